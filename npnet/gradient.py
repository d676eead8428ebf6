"""Numerical differentiation (chapter 4) and the gradient check of chapter 5.

``numerical_gradient(f, x)`` perturbs ``x`` in place, one element at a time, exactly as the book does, so that a
network whose layers hold ``x`` by reference see the perturbation. It restores every element from a saved copy,
never by adding and subtracting ``h``, so ``x`` comes back bit for bit as it went in.

Precision in float32: ``x + h`` is rounded to float32, so the step actually taken is not ``h``. The difference
quotient is therefore divided by the realised step ``(x+h) - (x-h)`` as stored, computed in float64, and the two
function values are subtracted in float64. What remains is the function's own float32 round-off, about
``eps32 * |f| / h`` (roughly 1e-3 relative for ``h = 1e-4``), which no choice of step can remove; check
gradients in float64 where you need more than three digits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

#: The book's step for central differences.
H = 1e-4


def numerical_diff(f: Callable[[float], float], x: float, h: float = H) -> float:
    """Central difference ``(f(x + h) - f(x - h)) / 2h``; error ``O(h**2)``."""
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = H) -> np.ndarray:
    """Gradient of the scalar function ``f`` at ``x`` by central differences, one element at a time.

    Args:
        f: called as ``f(x)``; must return a scalar. It may ignore its argument and read ``x`` by reference
            (the book's ``lambda W: net.loss(x, t)``), which is why ``x`` is perturbed in place.
        x: a floating-point array of any shape; it is returned to its exact original state.
        h: the step.

    Returns:
        An array of ``x``'s shape and dtype: ``df/dx[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)``.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"numerical_gradient: x must be a floating-point numpy array (it is perturbed in place), "
            f"got {type(x).__name__} of dtype {getattr(x, 'dtype', None)}"
        )
    if not x.flags.writeable:
        raise ValueError("numerical_gradient: x must be writeable; it is perturbed in place and restored")
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + h
        plus = x[idx]
        f_plus = float(f(x))
        x[idx] = original - h
        minus = x[idx]
        f_minus = float(f(x))
        x[idx] = original
        if plus == minus:
            raise ValueError(
                f"numerical_gradient: the step h={h} vanishes in {x.dtype} at x{list(idx)} = "
                f"{original}; use a larger h or a wider dtype"
            )
        grad[idx] = (f_plus - f_minus) / (float(plus) - float(minus))
    return grad.astype(x.dtype, copy=False)


class GradientDifference(NamedTuple):
    """How far a backprop gradient is from its numerical estimate, for one parameter."""

    mean_abs_diff: float
    """``mean(|backprop - numerical|)``, the book's measure."""
    max_rel_diff: float
    """``max(|backprop - numerical| / max(|backprop| + |numerical|, tiny))`` over the elements."""


def compare_gradients(
    backprop: Mapping[str, np.ndarray], numerical: Mapping[str, np.ndarray]
) -> dict[str, GradientDifference]:
    """Per-key :class:`GradientDifference` between two gradient dicts with the same keys and shapes."""
    if set(backprop) != set(numerical):
        raise ValueError(f"gradient dicts have different keys: {sorted(backprop)} vs {sorted(numerical)}")
    report = {}
    for key in backprop:
        a = np.asarray(backprop[key], dtype=np.float64)
        n = np.asarray(numerical[key], dtype=np.float64)
        if a.shape != n.shape:
            raise ValueError(f"gradient {key!r}: shapes differ, {a.shape} vs {n.shape}")
        diff = np.abs(a - n)
        scale = np.maximum(np.abs(a) + np.abs(n), np.finfo(np.float64).tiny)
        report[key] = GradientDifference(float(np.mean(diff)), float(np.max(diff / scale, initial=0.0)))
    return report


def gradient_check(network: Any, x: np.ndarray, t: np.ndarray) -> dict[str, GradientDifference]:
    """The book's ``gradient_check.py`` as a function: backprop against numerical gradients, per parameter.

    ``network`` needs ``gradient(x, t)`` and ``numerical_gradient(x, t)`` returning dicts keyed like
    ``network.params``. Use a few samples: the numerical side costs two forward passes per parameter element.
    """
    return compare_gradients(network.gradient(x, t), network.numerical_gradient(x, t))
