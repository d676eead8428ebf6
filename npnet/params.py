"""``LiveParams``: a network's ``params`` mapping, whose entries *are* the arrays its layers compute with.

Each key (``W1``, ``b1``, ``gamma1``, ...) is bound to one attribute of one layer (``Affine1.W``, ``Affine1.b``,
``BatchNorm1.gamma``, ...). Reading ``params[key]`` returns that attribute; assigning ``params[key] = array`` checks
the array (shape, dtype, finiteness, writeable) and rebinds the layer's attribute to it, so the layers use it at
once. Keys are fixed when the network is built: adding one raises ``KeyError``, deleting one ``TypeError``.

The book's in-place update ``params[key] -= lr * grad[key]`` reads the array, updates it in place and assigns the
same object back; that assignment is recognised by identity and skips every check, so the training loop pays one
attribute lookup per key and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import numpy as np

#: Parameter dtypes npnet computes in (float16 is refused: its 1e-3 resolution breaks the book's ``eps`` values).
SUPPORTED_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def check_param_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as float64 or float32, else a ``ValueError`` naming it."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be a floating-point dtype, float64 or float32; got {dtype!r}") from None
    if dt not in SUPPORTED_DTYPES:
        raise ValueError(f"dtype must be a floating-point dtype, float64 or float32; got {dt}")
    return dt


def check_param_array(value: Any, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """``value`` itself if it can serve as parameter ``name`` (a writeable, finite ``ndarray`` of ``shape`` and
    ``dtype``), else ``TypeError``/``ValueError`` naming the parameter, what was expected and what came."""
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"params[{name!r}] must be a numpy.ndarray of shape {shape} and dtype {dtype}, got {type(value).__name__}"
        )
    if value.shape != shape:
        raise ValueError(f"params[{name!r}]: expected shape {shape}, got {value.shape}")
    if value.dtype != dtype:
        raise TypeError(
            f"params[{name!r}]: expected dtype {dtype} (the network's), got {value.dtype}; convert with .astype"
        )
    if not value.flags.writeable:
        raise ValueError(f"params[{name!r}] must be writeable (optimizers update it in place)")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"params[{name!r}] holds non-finite values (nan or inf)")
    return value


class LiveParams(MutableMapping[str, np.ndarray]):
    """A fixed set of names, each bound to ``(layer, attribute)``; see the module docstring."""

    def __init__(self) -> None:
        self._bindings: dict[str, tuple[Any, str]] = {}

    def bind(self, name: str, layer: Any, attribute: str) -> None:
        """Make ``name`` stand for ``layer.<attribute>`` (done once, while the network is built)."""
        if name in self._bindings:
            raise KeyError(f"parameter {name!r} is already bound")
        self._bindings[name] = (layer, attribute)

    def __getitem__(self, name: str) -> np.ndarray:
        layer, attribute = self._bindings[name]
        value: np.ndarray = getattr(layer, attribute)
        return value

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        try:
            layer, attribute = self._bindings[name]
        except KeyError:
            raise KeyError(f"params has no entry {name!r} (it holds {list(self._bindings)}); keys are fixed") from None
        current = getattr(layer, attribute)
        if value is current:  # the in-place update `params[k] -= step` assigns the same array back
            return
        setattr(layer, attribute, check_param_array(value, name, current.shape, current.dtype))

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"params entries cannot be deleted ({name!r}): the layers need every one")

    def __iter__(self) -> Iterator[str]:
        return iter(self._bindings)

    def __len__(self) -> int:
        return len(self._bindings)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k!r}: {self[k].dtype}{self[k].shape}" for k in self)
        return f"LiveParams({{{shapes}}})"

    def replace_all(self, new: Any) -> None:
        """Assign every entry of the mapping ``new`` (exactly this mapping's keys), each checked as by ``[]=``."""
        if not hasattr(new, "keys") or set(new.keys()) != set(self._bindings):
            got = sorted(new.keys()) if hasattr(new, "keys") else type(new).__name__
            raise KeyError(f"params must be replaced by a mapping with keys {sorted(self._bindings)}, got {got}")
        for name in self._bindings:
            self[name] = new[name]
