"""``assert_close``: element-wise comparison against the tolerance table, with failures that say where and how much."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.tolerances import tolerance


def assert_close(actual: Any, expected: Any, name: str, kind: str = "value", dtype: Any = None) -> None:
    """Assert ``|actual - expected| <= atol + rtol * |expected|`` everywhere, shapes and dtypes equal.

    ``dtype`` picks the table row (default: ``expected``'s dtype). On failure the message names the array, the
    worst element's index, both values, the absolute and relative miss, and how many elements failed.
    """
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{name}: shape {a.shape} != expected {e.shape}")
    if a.dtype != e.dtype and not (np.isscalar(actual) or np.isscalar(expected)):
        raise AssertionError(f"{name}: dtype {a.dtype} != expected {e.dtype}")
    rtol, atol = tolerance(dtype if dtype is not None else e.dtype, kind)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    if not (
        np.all(np.isfinite(a64) == np.isfinite(e64)) and np.array_equal(a64[~np.isfinite(a64)], e64[~np.isfinite(e64)])
    ):
        raise AssertionError(f"{name}: non-finite values differ")
    finite = np.isfinite(e64)
    with np.errstate(invalid="ignore"):
        miss = np.where(finite, np.abs(a64 - e64), 0.0)
    allowed = atol + rtol * np.abs(np.where(finite, e64, 0.0))
    bad = miss > allowed
    if np.any(bad):
        worst = np.unravel_index(np.argmax(miss - allowed), miss.shape) if miss.ndim else ()
        rel = miss[worst] / abs(e64[worst]) if e64[worst] != 0 else np.inf
        raise AssertionError(
            f"{name}: {int(np.sum(bad))} of {bad.size} elements differ beyond rtol={rtol:g}, atol={atol:g} "
            f"({kind}); worst at index {tuple(int(i) for i in worst)}: got {a64[worst]!r}, expected "
            f"{e64[worst]!r}, |diff| {miss[worst]:.3e} (relative {rel:.3e}), allowed {allowed[worst]:.3e}"
        )
