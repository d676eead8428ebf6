"""Element-wise comparison against the tolerance table, as a record a report or a test failure can show.

``compare(actual, expected, quantity, kind, dtype)`` returns a :class:`Comparison`: the largest absolute and
relative difference, the bound ``|actual - expected| <= atol + rtol * |expected|`` (``(rtol, atol)`` from
:func:`npnet.tolerances.tolerance`), the margin (bound over difference at the tightest element, so ``>= 1``
passes), how many elements failed and the worst one. ``assert_close`` raises ``AssertionError`` with that text.
NumPy only: the torch-free gradient check and the PyTorch checks share it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from npnet.tolerances import tolerance


@dataclass(frozen=True)
class Comparison:
    """One array compared with its reference; ``problem`` is set when shapes, dtypes or non-finite values differ."""

    quantity: str
    kind: str
    shape: tuple[int, ...]
    dtype: str
    rtol: float
    atol: float
    max_abs: float
    max_rel: float
    margin: float
    n_bad: int
    size: int
    worst: tuple[int, ...] | None = None
    got: float | None = None
    expected: float | None = None
    problem: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None and self.n_bad == 0

    @property
    def message(self) -> str:
        """One line: what failed, where, by how much, against which bound (or ``"... ok"``)."""
        if self.problem is not None:
            return f"{self.quantity}: {self.problem}"
        if self.n_bad == 0:
            return f"{self.quantity}: ok, max |diff| {self.max_abs:.3e} within rtol={self.rtol:g}, atol={self.atol:g}"
        assert self.worst is not None and self.got is not None and self.expected is not None
        allowed = self.atol + self.rtol * abs(self.expected)
        miss = abs(self.got - self.expected)
        rel = miss / abs(self.expected) if self.expected != 0 else math.inf
        return (
            f"{self.quantity}: {self.n_bad} of {self.size} elements differ beyond rtol={self.rtol:g}, "
            f"atol={self.atol:g} ({self.kind}); worst at index {self.worst}: got {self.got!r}, expected "
            f"{self.expected!r}, |diff| {miss:.3e} (relative {rel:.3e}), allowed {allowed:.3e}"
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["passed"] = self.passed
        return out


def _mismatch(quantity: str, kind: str, a: np.ndarray, e: np.ndarray, problem: str, rtol: float, atol: float) -> Any:
    return Comparison(
        quantity, kind, e.shape, e.dtype.name, rtol, atol, math.inf, math.inf, 0.0, e.size, e.size, problem=problem
    )


def _nonfinite_problem(a64: np.ndarray, e64: np.ndarray) -> str | None:
    """Where ``a64`` and ``e64`` disagree on nan/inf, a sentence naming the first such index; else None."""
    same_mask = np.isfinite(a64) == np.isfinite(e64)
    same_values = np.array_equal(a64[~np.isfinite(a64)], e64[~np.isfinite(e64)], equal_nan=True)
    if np.all(same_mask) and same_values:
        return None
    bad = np.argwhere(~same_mask | (~np.isfinite(e64) & (a64 != e64) & ~(np.isnan(a64) & np.isnan(e64))))
    where = tuple(int(i) for i in bad[0]) if bad.size else ()
    got = a64[where] if a64.ndim else a64
    exp = e64[where] if e64.ndim else e64
    return f"non-finite values differ; first at index {where}: got {got!r}, expected {exp!r}"


def compare(actual: Any, expected: Any, quantity: str, kind: str = "value", dtype: Any = None) -> Comparison:
    """Compare ``actual`` with ``expected`` element-wise under the table's ``(rtol, atol)`` for ``dtype``/``kind``.

    ``dtype`` picks the table row (default: ``expected``'s dtype). Shapes must be equal, and dtypes too unless one
    side is a Python scalar; nan/inf must sit at the same places with the same values.
    """
    a, e = np.asarray(actual), np.asarray(expected)
    rtol, atol = tolerance(dtype if dtype is not None else e.dtype, kind)
    if a.shape != e.shape:
        return _mismatch(quantity, kind, a, e, f"shape {a.shape} != expected {e.shape}", rtol, atol)
    if a.dtype != e.dtype and not (np.isscalar(actual) or np.isscalar(expected)):
        return _mismatch(quantity, kind, a, e, f"dtype {a.dtype} != expected {e.dtype}", rtol, atol)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    problem = _nonfinite_problem(a64, e64)
    if problem is not None:
        return _mismatch(quantity, kind, a, e, problem, rtol, atol)
    finite = np.isfinite(e64)
    with np.errstate(invalid="ignore"):
        miss = np.where(finite, np.abs(a64 - e64), 0.0)
    allowed = atol + rtol * np.abs(np.where(finite, e64, 0.0))
    bad = miss > allowed
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(e64 != 0, miss / np.abs(np.where(finite, e64, 1.0)), np.where(miss > 0, np.inf, 0.0))
        used = np.where(allowed > 0, miss / np.where(allowed > 0, allowed, 1.0), np.where(miss > 0, np.inf, 0.0))
    max_used = float(np.max(used)) if used.size else 0.0
    margin = math.inf if max_used == 0 else 1.0 / max_used
    worst = None
    got = exp = None
    if np.any(bad):
        w = np.unravel_index(np.argmax(miss - allowed), miss.shape) if miss.ndim else ()
        worst = tuple(int(i) for i in w)
        got, exp = float(a64[w]), float(e64[w])
    return Comparison(
        quantity,
        kind,
        e.shape,
        e.dtype.name,
        rtol,
        atol,
        float(np.max(miss)) if miss.size else 0.0,
        float(np.max(rel)) if rel.size else 0.0,
        margin,
        int(np.sum(bad)),
        int(bad.size),
        worst,
        got,
        exp,
    )


def assert_close(actual: Any, expected: Any, name: str, kind: str = "value", dtype: Any = None) -> None:
    """Assert ``|actual - expected| <= atol + rtol * |expected|`` everywhere, shapes and dtypes equal.

    ``dtype`` picks the table row (default: ``expected``'s dtype). On failure the message names the array, the
    worst element's index, both values, the absolute and relative miss, and how many elements failed.
    """
    result = compare(actual, expected, name, kind, dtype)
    if not result.passed:
        raise AssertionError(result.message)
