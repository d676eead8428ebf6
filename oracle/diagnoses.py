"""Signatures of the classic slips: given a failed comparison, which known mistake reproduces it.

A slip is recognised when the user's array equals the reference transformed the way that slip transforms it
(within the same tolerance table): scaled by the batch size, negated, transposed, not reshaped, wrong only where
the input was exactly 0, non-finite where large logits overflow ``exp`` — or equal to a named *alternative*
reference the check computed with the slip planted (Adam without bias correction, the other Nesterov order,
the unbiased running variance, ...). The first signature that fits is the diagnosis; none fitting is said plainly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from npnet.compare import Comparison, compare
from oracle.report import UNKNOWN_SLIP

# The hints, by the slip they name (the README's table lists these).
BATCH_MISSING = "off by the batch size N={n}: a missing division by N (the gradient of a mean is 1/N per sample)"
BATCH_EXTRA = "off by the batch size N={n}: an extra division by N (the batch is averaged twice)"
SIGN = "sign-flipped: the gradient has the opposite sign (x - t against t - x, or += where -= belongs)"
TRANSPOSED = "transposed: the gradient has the reference's transpose (x.T @ dout against dout.T @ x, W against W.T)"
NOT_RESHAPED = (
    "dx is not reshaped to x's shape: keep x.shape at forward (the book's original_x_shape) and reshape dx back"
)
RELU_ZERO = "the ReLU mask is wrong at exactly 0: use mask = (x <= 0), so no gradient passes where x == 0"
SOFTMAX_SHIFT = (
    "softmax overflows on large logits: subtract the row's max before exp (softmax(x) == softmax(x - max(x)))"
)
IGNORES_DOUT = "backward ignores dout: multiply the local gradient by the upstream gradient dout"
DROPOUT_SCALE = (
    "Dropout is scaled neither as the book (training x * mask, test x * (1 - p)) nor as inverted dropout "
    "(training x * mask / (1 - p), test x): training and test must use the same convention"
)
BN_UNBIASED = (
    "running_var holds the unbiased (N - 1) batch variance, PyTorch's convention; the book keeps the biased one "
    "(np.mean(xc**2)); set running_var_convention = 'pytorch' on the layer if that is what you mean"
)
CEE_DELTA = "the cross-entropy delta: the book computes -log(y + 1e-7), a tiny delta inside the log, never outside"


@dataclass
class Evidence:
    """What a check knows beside the two arrays: the batch size, where the input was exactly 0, whether the logits
    were made large on purpose, and named alternative references (hint, lazily computed array)."""

    batch_size: int | None = None
    zero_positions: np.ndarray | None = None
    large_logits: bool = False
    alternatives: Sequence[tuple[str, Callable[..., Any]]] = field(default_factory=list)


def _matches(actual: np.ndarray, candidate: Any, comparison: Comparison) -> bool:
    cand = np.asarray(candidate)
    if cand.shape != actual.shape:
        return False
    return compare(actual, cand.astype(actual.dtype, copy=False), "slip", comparison.kind, comparison.dtype).passed


def _shape_slips(a: np.ndarray, e: np.ndarray, c: Comparison) -> str | None:
    if a.shape != e.shape and a.size == e.size and _matches(a, e.reshape(a.shape), c):
        return TRANSPOSED if a.ndim == 2 and a.shape == e.shape[::-1] and _matches(a, e.T, c) else NOT_RESHAPED
    if a.ndim == 2 and a.shape == e.shape[::-1] and _matches(a, e.T, c):
        return TRANSPOSED
    return None


def _scale_slips(a: np.ndarray, e: np.ndarray, c: Comparison, ev: Evidence) -> str | None:
    if e.size and np.any(e != 0) and _matches(a, -e, c):
        return SIGN
    if a.ndim == 2 and a.shape[0] == a.shape[1] and not _matches(a, e, c) and _matches(a, e.T, c):
        return TRANSPOSED
    n = ev.batch_size
    if n is not None and n > 1:
        if _matches(a, e * n, c):
            return BATCH_MISSING.format(n=n)
        if _matches(a, e / n, c):
            return BATCH_EXTRA.format(n=n)
    return None


def _relu_zero_slip(a: np.ndarray, e: np.ndarray, ev: Evidence, c: Comparison) -> str | None:
    zeros = ev.zero_positions
    if zeros is None or zeros.shape != a.shape or not np.any(zeros):
        return None
    off_zero = ~zeros
    differs_at_zero = not np.allclose(a[zeros], e[zeros], rtol=c.rtol, atol=c.atol)
    agrees_elsewhere = np.allclose(a[off_zero], e[off_zero], rtol=c.rtol, atol=c.atol)
    return RELU_ZERO if differs_at_zero and agrees_elsewhere else None


def diagnose(actual: Any, expected: Any, comparison: Comparison, evidence: Evidence | None = None) -> str:
    """The hint for a failed ``comparison`` of ``actual`` against ``expected`` (:data:`UNKNOWN_SLIP` if none fits)."""
    ev = evidence or Evidence()
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if ev.large_logits and (not np.all(np.isfinite(a))) and np.all(np.isfinite(e)):
        return SOFTMAX_SHIFT
    hint = _shape_slips(a, e, comparison)
    if hint is None and a.shape == e.shape and np.all(np.isfinite(a)):
        hint = _relu_zero_slip(a, e, ev, comparison) or _scale_slips(a, e, comparison, ev)
        if hint is None:
            for alt_hint, alternative in ev.alternatives:
                if _matches(a, np.asarray(alternative(), dtype=np.float64), comparison):
                    return alt_hint
    return hint or UNKNOWN_SLIP
