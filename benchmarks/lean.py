"""The lean floor: the book's 784-50-10 ReLU net trained by SGD as one hand-fused NumPy loop, no layers, no checks.

It computes what ``npnet.train.train_network`` computes for a ``TwoLayerNet`` (the same products and the same
reductions in the same order, so the same numbers), with the least work a careful NumPy programmer would do: the
data cast to the parameters' dtype once, activations updated in place, no ``dx`` for the first layer, the softmax
of the gradient pass reused as its backward, the loss after the update from one more forward pass (the book's
recorded loss), and accuracies from chunked forward passes. ``npnet``'s loop is measured against this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from npnet.functions import CROSS_ENTROPY_DELTA
from npnet.train import EVAL_CHUNK, iterations_per_epoch


@dataclass
class LeanHistory:
    """Every iteration's loss after its update, and ``(iteration, train_acc, test_acc)`` per epoch."""

    losses: list[float] = field(default_factory=list)
    reports: list[tuple[int, float, float]] = field(default_factory=list)


def lean_accuracy(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray, chunk: int = EVAL_CHUNK) -> float:
    """Fraction of ``x`` classified as ``t`` (index labels), ``chunk`` samples per forward pass."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    correct = 0
    for start in range(0, len(x), chunk):
        hidden = x[start : start + chunk] @ W1
        hidden += b1
        np.maximum(hidden, 0, out=hidden)
        scores = hidden @ W2
        scores += b2
        correct += int(np.count_nonzero(np.argmax(scores, axis=1) == t[start : start + chunk]))
    return correct / len(x)


def lean_step(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray, learning_rate: float) -> float:
    """One SGD step on ``(x, t)``; returns the mini-batch's loss after the update (the book's rule)."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    rows = np.arange(len(x))
    hidden = x @ W1
    hidden += b1
    off = hidden <= 0
    hidden[off] = 0
    probs = hidden @ W2
    probs += b2
    probs -= probs.max(axis=1, keepdims=True)
    np.exp(probs, out=probs)
    probs /= probs.sum(axis=1, keepdims=True)
    probs[rows, t] -= 1  # now d(loss)/d(scores) times the batch size
    probs *= 1 / len(x)
    dW2, db2 = hidden.T @ probs, probs.sum(axis=0)
    dhidden = probs @ W2.T
    dhidden[off] = 0
    dW1, db1 = x.T @ dhidden, dhidden.sum(axis=0)
    W1 -= learning_rate * dW1
    b1 -= learning_rate * db1
    W2 -= learning_rate * dW2
    b2 -= learning_rate * db2
    hidden = x @ W1
    hidden += b1
    np.maximum(hidden, 0, out=hidden)
    scores = hidden @ W2
    scores += b2
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    picked = scores[rows, t] / scores.sum(axis=1)
    return float(-np.sum(np.log(picked + CROSS_ENTROPY_DELTA)) / len(x))


def lean_training(
    params: dict[str, np.ndarray],
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    schedule: np.ndarray,
    learning_rate: float = 0.1,
) -> LeanHistory:
    """Train ``params`` (``W1 b1 W2 b2``, updated in place) on ``schedule``; accuracies after every epoch's first step.

    Index labels only. The report rule is ``npnet.train.run_schedule``'s (iterations ``0, iter_per_epoch, ...``).
    """
    dtype = params["W1"].dtype
    x_train, x_test = x_train.astype(dtype, copy=False), x_test.astype(dtype, copy=False)
    iter_per_epoch = iterations_per_epoch(len(x_train), schedule.shape[1])
    history = LeanHistory()
    for i, batch in enumerate(schedule):
        history.losses.append(lean_step(params, x_train[batch], t_train[batch], learning_rate))
        if i % iter_per_epoch == 0:
            train_acc, test_acc = lean_accuracy(params, x_train, t_train), lean_accuracy(params, x_test, t_test)
            history.reports.append((i, train_acc, test_acc))
    return history
