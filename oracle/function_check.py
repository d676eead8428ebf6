"""``check_function``: a user's book-style function against PyTorch's own.

Cases per function (drawn from the generator unless ``inputs`` is given):

- ``sigmoid``, ``relu``: ``(4, 5)`` standard normal times 3, with exact zeros planted (relu); ``torch.sigmoid``,
  ``F.relu``.
- ``softmax``: a batch ``(4, 5)``, a single sample ``(5,)``, and large logits (times 1000, where ``exp``
  overflows unless the max is subtracted); ``F.softmax`` over the last axis.
- ``sum_squared_error``: ``0.5 * sum((y - t)**2)`` on one sample and on a batch; ``F.mse_loss(reduction="sum")``.
- ``cross_entropy_error``: softmax probabilities, batched and single, index and one-hot labels, one labelled
  probability tiny (1e-9, where the book's delta 1e-7 matters); ``F.nll_loss(log(y + 1e-7), t)``.
- ``numerical_gradient``: the user's ``numerical_gradient(f, x)`` on ``f(x) = sum(sin(x) * x**2)`` (smooth,
  third derivatives of order one) at ``(3, 4)`` and ``(5,)``, against autograd, under the ``numerical`` bounds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from npnet.compare import compare
from oracle import diagnoses as dx
from oracle import functions as of
from oracle.gradient import autograd_gradient
from oracle.report import Report

BOOK_DELTA = 1e-7
#: The book's finite-difference step.
BOOK_H = 1e-4


def _check(r: Report, quantity: str, actual: Any, expected: Any, kind: str, dtype: Any, ev: dx.Evidence) -> None:
    c = compare(actual, expected, quantity, kind, dtype)
    r.add(c, None if c.passed else dx.diagnose(actual, expected, c, ev))


def _x(gen: np.random.Generator, shape: tuple[int, ...], dtype: Any, scale: float = 3.0) -> np.ndarray:
    return (scale * gen.standard_normal(shape)).astype(dtype)


def _elementwise(
    fn: Callable[..., Any], like: str, inputs: Any, gen: np.random.Generator, dtype: Any, r: Report
) -> None:
    xs = [np.asarray(inputs[0])] if inputs is not None else [_x(gen, (4, 5), dtype)]
    xs[0].reshape(-1)[::4] = 0 if inputs is None else xs[0].reshape(-1)[::4]
    reference = of.sigmoid if like == "sigmoid" else of.relu
    for x in xs:
        r.drawn.append(f"x {x.shape} {x.dtype}")
        ev = dx.Evidence(batch_size=None)
        _check(r, f"{like}(x)", fn(x.copy()), reference(x), "value", x.dtype, ev)


def _softmax(fn: Callable[..., Any], like: str, inputs: Any, gen: np.random.Generator, dtype: Any, r: Report) -> None:
    if inputs is not None:
        cases = [("", np.asarray(inputs[0]), False)]
    else:
        cases = [
            ("batch", _x(gen, (4, 5), dtype), False),
            ("single", _x(gen, (5,), dtype), False),
            ("large logits", _x(gen, (4, 5), dtype, 1000.0), True),
        ]
    for label, x, large in cases:
        r.drawn.append(f"x {x.shape} {x.dtype}" + (" times 1000" if large else ""))
        with np.errstate(over="ignore", invalid="ignore"):
            got = fn(x.copy())
        ev = dx.Evidence(batch_size=x.shape[0] if x.ndim == 2 else None, large_logits=large)
        _check(r, f"softmax [{label}]" if label else "softmax", got, of.softmax(x), "value", x.dtype, ev)


def _sse(fn: Callable[..., Any], like: str, inputs: Any, gen: np.random.Generator, dtype: Any, r: Report) -> None:
    if inputs is not None:
        cases = [("", np.asarray(inputs[0]), np.asarray(inputs[1]))]
    else:
        y1, y2 = of.softmax(_x(gen, (10,), dtype)), of.softmax(_x(gen, (3, 10), dtype))
        cases = [
            ("single", y1, np.eye(10, dtype=dtype)[2]),
            ("batch", y2, np.eye(10, dtype=dtype)[gen.integers(0, 10, 3)]),
        ]
    for label, y, t in cases:
        r.drawn.append(f"y {y.shape} {y.dtype}, t {t.shape}")
        expected = np.asarray(of.sum_squared_error(y, t), dtype=y.dtype)
        got = np.asarray(fn(y.copy(), t.copy()), dtype=y.dtype)
        _check(
            r,
            f"sum_squared_error [{label}]" if label else "sum_squared_error",
            got,
            expected,
            "value",
            y.dtype,
            dx.Evidence(batch_size=y.shape[0] if y.ndim == 2 else None),
        )


def _cee_cases(gen: np.random.Generator, dtype: Any) -> list[tuple[str, np.ndarray, np.ndarray]]:
    n, c = 4, 6
    y = of.softmax(_x(gen, (n, c), dtype, 1.0))
    idx = gen.integers(0, c, size=n)
    y[0] = 0.2
    y[0, idx[0]] = 1e-9  # a labelled probability where the book's delta matters
    one_hot = np.eye(c, dtype=dtype)[idx]
    return [
        ("batch, index labels", y, idx),
        ("batch, one-hot labels", y, one_hot),
        ("single, index label", y[1], np.asarray(idx[1])),
        ("single, one-hot label", y[1], one_hot[1]),
    ]


def _cee(fn: Callable[..., Any], like: str, inputs: Any, gen: np.random.Generator, dtype: Any, r: Report) -> None:
    r.conventions.append(f"the book's delta: -mean(log(y[t] + {BOOK_DELTA:g}))")
    cases = [("", np.asarray(inputs[0]), np.asarray(inputs[1]))] if inputs is not None else _cee_cases(gen, dtype)
    for label, y, t in cases:
        r.drawn.append(f"y {y.shape} {y.dtype}, t {t.shape} {t.dtype}")
        expected = np.asarray(of.cross_entropy_error(y, t, BOOK_DELTA), dtype=y.dtype)
        with np.errstate(divide="ignore"):
            got = np.asarray(fn(y.copy(), t.copy()), dtype=y.dtype)
        alternatives = [
            (dx.CEE_DELTA, lambda y=y, t=t: of.cross_entropy_error(y, t, 0.0)),
            (dx.CEE_DELTA, lambda y=y, t=t: of.cross_entropy_error(y, t, 0.0) + BOOK_DELTA),
        ]
        ev = dx.Evidence(batch_size=y.shape[0] if y.ndim == 2 else None, alternatives=alternatives)
        _check(
            r, f"cross_entropy_error [{label}]" if label else "cross_entropy_error", got, expected, "value", y.dtype, ev
        )


def smooth_numpy(x: np.ndarray) -> float:
    """``sum(sin(x) * x**2)``, the known smooth function of the numerical-gradient check."""
    return float(np.sum(np.sin(x) * x**2))


def smooth_torch(x: torch.Tensor) -> torch.Tensor:
    return torch.sum(torch.sin(x) * x**2)


FORWARD_DIFF = "a forward difference (f(x + h) - f(x)) / h: the book's is central, (f(x + h) - f(x - h)) / (2h)"
HALF_STEP = "the difference is divided by h instead of 2h (the central difference spans 2h)"


def _forward_difference(x: np.ndarray, h: float) -> np.ndarray:
    grad = np.zeros_like(x)
    flat, g = x.copy().reshape(-1), grad.reshape(-1)
    f0 = smooth_numpy(flat.reshape(x.shape))
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        g[i] = (smooth_numpy(flat.reshape(x.shape)) - f0) / h
        flat[i] = old
    return grad


def _numerical(fn: Callable[..., Any], like: str, inputs: Any, gen: np.random.Generator, dtype: Any, r: Report) -> None:
    r.conventions.append(f"f(x) = sum(sin(x) * x**2), central difference at the book's h = {BOOK_H:g}, float64")
    xs = (
        [np.asarray(inputs[0], dtype=np.float64)]
        if inputs is not None
        else [_x(gen, (3, 4), np.float64, 1.0), _x(gen, (5,), np.float64, 1.0)]
    )
    for x in xs:
        r.drawn.append(f"x {x.shape} float64")
        x_in = x.copy()
        got = np.asarray(fn(smooth_numpy, x_in))
        if not np.array_equal(x_in, x):
            r.warnings.append(f"numerical_gradient left x {x.shape} changed: restore each element after its probe")
        expected = autograd_gradient(smooth_torch, x)
        alternatives = [
            (FORWARD_DIFF, lambda x=x: _forward_difference(x, BOOK_H)),
            (HALF_STEP, lambda e=expected: 2 * e),
        ]
        _check(
            r,
            f"numerical_gradient {x.shape}",
            got,
            expected,
            "numerical",
            np.float64,
            dx.Evidence(alternatives=alternatives),
        )


FUNCTIONS: dict[str, Callable[[Callable[..., Any], str, Any, np.random.Generator, Any, Report], None]] = {
    "sigmoid": _elementwise,
    "relu": _elementwise,
    "softmax": _softmax,
    "sum_squared_error": _sse,
    "cross_entropy_error": _cee,
    "numerical_gradient": _numerical,
}


def run_function_check(fn: Any, like: str, inputs: Any, gen: np.random.Generator, dtype: Any, r: Report) -> None:
    """Run the cases of ``like`` on ``fn`` in ``dtype`` (float64 when ``None``), adding to ``r``."""
    FUNCTIONS[like](fn, like, inputs, gen, np.dtype(dtype if dtype is not None else np.float64), r)


__all__ = ["FUNCTIONS", "F", "run_function_check"]
