"""Checks shared by every public entry point: clear errors that name what was expected and what came."""

from __future__ import annotations

import math
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
    t = real_array(t, "labels")
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


def positive_int(value: Any, name: str) -> int:
    """``value`` as an int if it is an integer >= 1, else ``ValueError``; the one check of every count in npnet.

    ``bool`` is refused (``True`` is not a count), and so are floats, even whole ones (``2.0``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def real_number(
    value: Any, name: str, low: float = 0.0, high: float = math.inf, *, low_open: bool = False, high_open: bool = False
) -> float:
    """``value`` as a finite Python float in the interval from ``low`` to ``high`` (open ends as flagged).

    ``bool``, complex numbers and non-numbers raise ``TypeError``; NaN, infinities and values outside the interval
    raise ``ValueError`` naming the interval.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    x = float(value)
    above = low < x if low_open else low <= x
    below = x < high if high_open else x <= high
    if not (math.isfinite(x) and above and below):
        bound = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a finite number in {bound}, got {value!r}")
    return x


def real_array(x: Any, name: str) -> np.ndarray:
    """``x`` as an array of real numbers (integer, bool or floating dtype, kept as is), else ``TypeError``."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiub":  # float, signed, unsigned, bool: np.issubdtype's answer at a tenth of the cost
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return arr


def check_labels(t: Any, num_classes: int | None, what: str) -> None:
    """Raise ``ValueError`` (prefixed with ``what``) unless ``t`` holds valid labels for ``num_classes`` classes.

    The same rules and messages as :func:`labels_as_indices`; with ``num_classes=None`` (a network that does not say
    its width) one-hot rows are checked against their own width and indices only for being whole and >= 0.
    """
    t = real_array(t, f"{what} labels")
    n = len(t) if t.ndim else 1
    if num_classes is None:
        num_classes = t.shape[1] if t.ndim == 2 else int(np.nanmax(t, initial=0)) + 1 if np.all(np.isfinite(t)) else 1
    try:
        labels_as_indices(t, (n, num_classes))
    except ValueError as err:
        raise ValueError(f"{what} labels: {err}") from None
