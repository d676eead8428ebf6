"""Checks shared by every public entry point: clear errors that name what was expected and what came."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_float_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a floating-point array: floats keep their dtype, integers and booleans become float64."""
    arr = np.asarray(x)
    if arr.dtype.kind == "f":  # the common case first: dtype.kind is much cheaper than np.issubdtype
        return arr
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        return arr.astype(np.float64)
    raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")


def labels_as_indices(t: Any, y_shape: tuple[int, ...]) -> np.ndarray:
    """Class indices, shape ``(N,)``, from one-hot labels (shape ``y_shape``) or index labels (``(N,)``).

    ``y_shape`` is ``(N, C)``. A one-hot row must hold exactly one 1 and zeros elsewhere; an index must be an
    integer in ``[0, C)``. Anything else raises ``ValueError`` naming the shape or the offending value.
    """
    n, c = y_shape
    t = np.asarray(t)
    if t.shape == (n, c) or (t.ndim == 1 and n == 1 and t.shape == (c,) and c > 1):
        t = t.reshape(n, c)
        is_one_hot = np.all((t == 0) | (t == 1), axis=1) & (np.sum(t, axis=1) == 1)
        if not np.all(is_one_hot):
            row = int(np.argmin(is_one_hot))
            raise ValueError(f"one-hot labels must have exactly one 1 per row; row {row} is {t[row]!r}")
        return np.argmax(t, axis=1)
    if t.shape == (n,) or (t.ndim == 0 and n == 1):
        t = t.reshape(n)
        if t.dtype.kind not in "iu":  # not an integer dtype (the cheap test: labels are checked every step)
            if not np.all(np.mod(t, 1) == 0):
                raise ValueError(f"index labels must be whole numbers, got dtype {t.dtype} with fractions")
            t = t.astype(np.int64)
        if t.size == 0 or (t.min() >= 0 and t.max() < c):  # two reductions, not five array operations
            return t.astype(np.intp, copy=False)
        bad = (t < 0) | (t >= c)
        if np.any(bad):
            raise ValueError(
                f"index labels must lie in [0, {c}); got {t[np.argmax(bad)]} at position {int(np.argmax(bad))}"
            )
        return t.astype(np.intp, copy=False)
    raise ValueError(f"labels must be one-hot with shape {(n, c)} or indices with shape {(n,)}; got shape {t.shape}")


def check_shape(a: Any, expected: tuple[int, ...], what: str) -> None:
    """Raise ``ValueError`` unless ``a`` has shape ``expected``."""
    if np.shape(a) != tuple(expected):
        raise ValueError(f"{what}: expected shape {tuple(expected)}, got {np.shape(a)}")
