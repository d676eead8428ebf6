"""Activation functions, softmax and the two losses of chapters 3-4.

Every function takes NumPy arrays and returns NumPy arrays (or a Python float for the losses); none of them
modifies its input. Names and signatures are the book's (``common/functions.py``).
"""

from __future__ import annotations

import numpy as np

from npnet._validate import as_float_array, labels_as_indices

#: The book's ``delta`` in ``cross_entropy_error``: ``-log(y + 1e-7)`` keeps ``log(0)`` finite.
CROSS_ENTROPY_DELTA = 1e-7


def identity_function(x: np.ndarray) -> np.ndarray:
    """``f(x) = x``, the output activation of a regression net."""
    return np.asarray(x)


def step_function(x: np.ndarray) -> np.ndarray:
    """``1 if x > 0 else 0``, element-wise, as integers."""
    return (np.asarray(x) > 0).astype(np.int64)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``, element-wise.

    Computed from ``e = exp(-|x|)`` as ``1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` otherwise, so that
    no ``exp`` overflows (large negative inputs give 0 without a warning) and both halves are accurate to a
    few units in the last place.
    """
    x = as_float_array(x, "x")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of :func:`sigmoid`: ``(1 - sigmoid(x)) * sigmoid(x)``."""
    s = sigmoid(x)
    return (1.0 - s) * s


def relu(x: np.ndarray) -> np.ndarray:
    """``max(0, x)``, element-wise."""
    x = np.asarray(x)
    return np.maximum(np.zeros((), dtype=x.dtype), x)


def relu_grad(x: np.ndarray) -> np.ndarray:
    """The book's derivative of :func:`relu`: 1 where ``x >= 0``, else 0.

    Note the book's choice at ``x == 0``: 1 here, as ``torch.clamp(x, min=0)`` differentiates, while the
    ``Relu`` layer (like ``torch.relu``) passes 0 there. Both are valid subgradients.
    """
    x = np.asarray(x)
    return (x >= 0).astype(x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64)


def softmax(x: np.ndarray) -> np.ndarray:
    """``exp(x - max(x)) / sum(exp(x - max(x)))`` over the last axis; 1-D or 2-D (one row per sample).

    Subtracting the row maximum leaves the result unchanged and keeps ``exp`` from overflowing.
    """
    x = as_float_array(x, "x")
    e = x - x.max(axis=-1, keepdims=True)
    np.exp(e, out=e)  # in place: the shifted copy is ours
    e /= e.sum(axis=-1, keepdims=True)
    return e


def log_softmax(x: np.ndarray) -> np.ndarray:
    """``log(softmax(x))`` over the last axis, computed as ``x - max - log(sum(exp(x - max)))``.

    Finite wherever ``x`` is, even where ``softmax(x)`` underflows to 0.
    """
    x = as_float_array(x, "x")
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def sum_squared_error(y: np.ndarray, t: np.ndarray) -> float:
    """``0.5 * sum((y - t) ** 2)`` over every element (not averaged over the batch, as in the book)."""
    y = as_float_array(y, "y")
    t = np.asarray(t)
    if y.shape != t.shape:
        raise ValueError(f"sum_squared_error: y and t must have the same shape, got y{y.shape} and t{t.shape}")
    return float(0.5 * np.sum((y - t) ** 2))


def cross_entropy_error(y: np.ndarray, t: np.ndarray, delta: float = CROSS_ENTROPY_DELTA) -> float:
    """Mean over the batch of ``-log(y[i, t_i] + delta)``.

    Args:
        y: probabilities, shape ``(C,)`` for one sample or ``(N, C)`` for a batch.
        t: labels, either one-hot (same shape as ``y``) or class indices (shape ``()``/``(N,)``).
        delta: the book's ``1e-7``; ``delta=0`` gives the exact negative log-likelihood (PyTorch's ``nll_loss``
            of ``log(y)``).

    Returns:
        The loss as a Python float.
    """
    y = as_float_array(y, "y")
    if y.ndim == 1:
        y = y.reshape(1, -1)
    if y.ndim != 2:
        raise ValueError(f"cross_entropy_error: y must be 1-D or 2-D (samples, classes), got shape {y.shape}")
    idx = labels_as_indices(t, y.shape)
    batch_size = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(batch_size), idx] + delta)) / batch_size)
