"""Backprop layers of chapter 5: each has ``forward`` and ``backward(dout)``, as in the book.

A layer remembers what its backward pass needs from the last ``forward``. No layer modifies the arrays it is
given (the book's ``Relu.backward`` writes zeros into ``dout``; this one does not). Parameters are held by
reference: ``Affine(W, b)`` keeps the very arrays the network's ``params`` dict holds, so an optimizer that updates
``params`` in place updates the layer too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnet._validate import as_float_array, check_shape, labels_as_indices
from npnet.functions import CROSS_ENTROPY_DELTA, cross_entropy_error, log_softmax, sigmoid, softmax


class MulLayer:
    """``out = x * y``; backward: ``dx = dout * y``, ``dy = dout * x``."""

    def __init__(self) -> None:
        self.x: Any = None
        self.y: Any = None

    def forward(self, x: Any, y: Any) -> Any:
        self.x, self.y = x, y
        return x * y

    def backward(self, dout: Any) -> tuple[Any, Any]:
        return dout * self.y, dout * self.x


class AddLayer:
    """``out = x + y``; backward passes ``dout`` to both inputs."""

    def forward(self, x: Any, y: Any) -> Any:
        return x + y

    def backward(self, dout: Any) -> tuple[Any, Any]:
        return dout * 1, dout * 1


class Relu:
    """``out = max(0, x)``; backward: ``dx = dout`` where ``x > 0``, else 0 (also at ``x == 0``, like torch.relu)."""

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self.mask = x <= 0
        return np.where(self.mask, np.zeros((), dtype=x.dtype), x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.mask is not None, "Relu.backward called before forward"
        dout = np.asarray(dout)
        check_shape(dout, self.mask.shape, "Relu.backward dout")
        return np.where(self.mask, np.zeros((), dtype=dout.dtype), dout)


class Sigmoid:
    """``out = 1 / (1 + exp(-x))``; backward: ``dx = dout * out * (1 - out)``."""

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.out is not None, "Sigmoid.backward called before forward"
        check_shape(dout, self.out.shape, "Sigmoid.backward dout")
        return dout * (1.0 - self.out) * self.out


class Affine:
    """``out = x @ W + b`` with ``x`` of shape ``(N, ...)`` flattened to ``(N, D)``, ``W`` ``(D, M)``, ``b`` ``(M,)``.

    Backward: ``dx = dout @ W.T`` (returned in ``x``'s original shape), ``dW = x.T @ dout``,
    ``db = sum(dout, axis=0)``; ``dW`` and ``db`` are kept on the layer.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        if np.ndim(W) != 2 or np.ndim(b) != 1 or np.shape(b)[0] != np.shape(W)[1]:
            raise ValueError(f"Affine expects W of shape (D, M) and b of shape (M,), got W{np.shape(W)} "
                             f"and b{np.shape(b)}")
        self.W = W
        self.b = b
        self.x: np.ndarray | None = None
        self.original_x_shape: tuple[int, ...] | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        d = self.W.shape[0]
        if x.ndim < 2 or x[0].size != d:
            raise ValueError(f"Affine.forward expects x of shape (N, ...) with {d} features per sample "
                             f"(W is {self.W.shape}), got x{x.shape}")
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.x is not None and self.original_x_shape is not None, "Affine.backward called before forward"
        dout = np.asarray(dout)
        expected = (self.x.shape[0], self.W.shape[1])
        check_shape(dout, expected, "Affine.backward dout")
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return (dout @ self.W.T).reshape(self.original_x_shape)


class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy error, the last layer of a classifier.

    Forward: ``y = softmax(x)``, ``loss = mean_i -log(y[i, t_i] + delta)`` (the book's ``delta = 1e-7``).
    Backward: ``dx = dout * (y - onehot(t)) / N``, the exact gradient of the cross entropy *without* ``delta``
    (PyTorch's ``F.cross_entropy``), as the book's layer computes it. ``delta=0`` makes forward and backward the
    same function: the loss is then computed as ``-mean(log_softmax(x)[i, t_i])``, PyTorch's ``F.cross_entropy``,
    which stays finite where ``softmax`` underflows.
    """

    def __init__(self, delta: float = CROSS_ENTROPY_DELTA) -> None:
        self.delta = delta
        self.loss: float | None = None
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        x = as_float_array(x, "x")
        if x.ndim != 2:
            raise ValueError(f"SoftmaxWithLoss.forward expects scores x of shape (N, C), got {x.shape}")
        labels_as_indices(t, x.shape)  # validate before remembering anything
        self.t = np.asarray(t)
        self.y = softmax(x)
        if self.delta == 0:
            idx = labels_as_indices(self.t, x.shape)
            self.loss = float(-np.mean(log_softmax(x)[np.arange(x.shape[0]), idx]))
        else:
            self.loss = cross_entropy_error(self.y, self.t, self.delta)
        return self.loss

    def backward(self, dout: float = 1) -> np.ndarray:
        assert self.y is not None and self.t is not None, "SoftmaxWithLoss.backward called before forward"
        batch_size = self.y.shape[0]
        idx = labels_as_indices(self.t, self.y.shape)
        dx = self.y.copy()
        dx[np.arange(batch_size), idx] -= 1
        return dx * (dout / batch_size)
