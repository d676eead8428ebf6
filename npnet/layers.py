"""Backprop layers of chapter 5: each has ``forward`` and ``backward(dout)``, as in the book.

A layer remembers what its backward pass needs from the last ``forward``. No layer modifies the arrays it is
given (the book's ``Relu.backward`` writes zeros into ``dout``; this one does not). Parameters are held by
reference: ``Affine(W, b)`` keeps the very arrays the network's ``params`` dict holds, so an optimizer that updates
``params`` in place updates the layer too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from npnet._validate import as_float_array, check_shape, labels_as_indices, real_array, real_number
from npnet.functions import CROSS_ENTROPY_DELTA, log_softmax, mean_negative_log, sigmoid, softmax
from npnet.rng import SeedLike, as_generator


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
        x = real_array(x, "Relu input x")
        self.mask = x <= 0
        return np.maximum(x, np.zeros((), dtype=x.dtype))  # = where(mask, 0, x); NaN stays NaN

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
            raise ValueError(
                f"Affine expects W of shape (D, M) and b of shape (M,), got W{np.shape(W)} and b{np.shape(b)}"
            )
        self.W = W
        self.b = b
        self.x: np.ndarray | None = None
        self.original_x_shape: tuple[int, ...] | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = real_array(x, "Affine input x")
        d = self.W.shape[0]
        if x.ndim < 2 or x[0].size != d:
            raise ValueError(
                f"Affine.forward expects x of shape (N, ...) with {d} features per sample "
                f"(W is {self.W.shape}), got x{x.shape}"
            )
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        out = self.x @ self.W
        if out.dtype != self.b.dtype:
            return out + self.b
        out += self.b  # in place: the product is a new array
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = self.backward_params(dout)
        assert self.original_x_shape is not None
        return (dout @ self.W.T).reshape(self.original_x_shape)

    def backward_params(self, dout: np.ndarray) -> np.ndarray:
        """``dW`` and ``db`` only, kept on the layer; returns ``dout`` as an array.

        A net's first layer is backpropagated this way (see :func:`backward_layers`): its ``dx`` would be the
        gradient with respect to the data, which nothing uses, and costs as much as ``dW``.
        """
        assert self.x is not None, "Affine.backward called before forward"
        dout = np.asarray(dout)
        check_shape(dout, (self.x.shape[0], self.W.shape[1]), "Affine.backward dout")
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout


def backward_layers(layers: Iterable[Any], dout: np.ndarray) -> None:
    """Backpropagate ``dout`` through ``layers`` from the last to the first, as the book's ``gradient`` loop does.

    The first layer's input gradient would be the gradient with respect to the data; nothing reads it, so a first
    layer with ``backward_params`` (:class:`Affine`) computes its parameter gradients only.
    """
    ordered = list(layers)
    for layer in reversed(ordered[1:]):
        dout = layer.backward(dout)
    if ordered:
        first = ordered[0]
        (first.backward_params if hasattr(first, "backward_params") else first.backward)(dout)


class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy error, the last layer of a classifier.

    Forward: ``y = softmax(x)``, ``loss = mean_i -log(y[i, t_i] + delta)`` (the book's ``delta = 1e-7``).
    Backward: ``dx = dout * (y - onehot(t)) / N``, the exact gradient of the cross entropy *without* ``delta``
    (PyTorch's ``F.cross_entropy``), as the book's layer computes it. ``delta=0`` makes forward and backward the
    same function: the loss is then computed as ``-mean(log_softmax(x)[i, t_i])``, PyTorch's ``F.cross_entropy``,
    which stays finite where ``softmax`` underflows.
    """

    def __init__(self, delta: float = CROSS_ENTROPY_DELTA) -> None:
        self.delta = real_number(delta, "delta")
        self.loss: float | None = None
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None
        self.labels: np.ndarray | None = None
        """The labels of the last forward as class indices (``t`` may be one-hot)."""

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        x = as_float_array(x, "x")
        if x.ndim != 2:
            raise ValueError(f"SoftmaxWithLoss.forward expects scores x of shape (N, C), got {x.shape}")
        idx = labels_as_indices(t, x.shape)  # validated once, before remembering anything
        self.t, self.labels = np.asarray(t), idx
        self.y = softmax(x)
        rows = np.arange(x.shape[0])
        if self.delta == 0:
            self.loss = float(-np.mean(log_softmax(x)[rows, idx]))
        else:
            self.loss = mean_negative_log(self.y, idx, self.delta)
        return self.loss

    def backward(self, dout: float = 1) -> np.ndarray:
        assert self.y is not None and self.labels is not None, "SoftmaxWithLoss.backward called before forward"
        batch_size = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(batch_size), self.labels] -= 1
        dx *= dout / batch_size  # in place: dx is already our own copy
        return dx


class Dropout:
    """Dropout (chapter 6): in training, each element is kept with probability ``1 - dropout_ratio``.

    The book's convention (``inverted=False``): training ``out = x * mask``, test ``out = x * (1 - dropout_ratio)``.
    PyTorch's inverted convention (``inverted=True``): training ``out = x * mask / (1 - dropout_ratio)``, test
    ``out = x``. Both have the same expected output; they differ in where the scaling happens.
    Backward: ``dx = dout * mask`` (divided by ``1 - dropout_ratio`` when inverted).

    ``mask`` is drawn from ``rng`` (a seed or Generator) at each training forward, unless ``hold`` is set and a mask
    of the right shape exists: then it is reused (numerical gradients need the same mask at every evaluation).
    """

    def __init__(self, dropout_ratio: float = 0.5, rng: SeedLike = None, inverted: bool = False) -> None:
        self.dropout_ratio = real_number(dropout_ratio, "dropout_ratio", 0.0, 1.0, high_open=True)
        self.inverted = bool(inverted)
        self.rng = as_generator(rng)
        self.hold = False
        self.mask: np.ndarray | None = None

    @property
    def keep_scale(self) -> float:
        """What a kept element is multiplied by in training: 1 (book) or ``1 / (1 - ratio)`` (inverted)."""
        return 1.0 / (1.0 - self.dropout_ratio) if self.inverted else 1.0

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        x = real_array(x, "Dropout input x")
        if not train_flg:
            return x.copy() if self.inverted else x * (1.0 - self.dropout_ratio)
        if not (self.hold and self.mask is not None and self.mask.shape == x.shape):
            self.mask = self.rng.random(x.shape) > self.dropout_ratio
        return x * self.mask * self.keep_scale

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.mask is not None, "Dropout.backward called before a training forward"
        check_shape(dout, self.mask.shape, "Dropout.backward dout")
        return dout * self.mask * self.keep_scale


#: The book's ``10e-7`` in BatchNormalization, i.e. 1e-6 (PyTorch's default is 1e-5).
BATCHNORM_EPS = 1e-6

#: Running-variance conventions: ``book`` (biased batch variance, running_var starts at 0) and ``pytorch``
#: (unbiased batch variance ``N / (N - 1) * var``, running_var starts at 1, as ``nn.BatchNorm1d``).
RUNNING_VAR_CONVENTIONS = ("book", "pytorch")


class BatchNormalization:
    """Batch normalization (chapter 6) over the features of ``x`` flattened to ``(N, D)``, as the book does.

    Training: ``mu = mean(x)``, ``var = mean((x - mu)**2)`` over the batch, ``xn = (x - mu) / sqrt(var + eps)``,
    ``out = gamma * xn + beta``, and ``running = momentum * running + (1 - momentum) * batch_stat``.
    Test: ``xn = (x - running_mean) / sqrt(running_var + eps)``.
    Backward gives ``dx`` (in ``x``'s shape) and keeps ``dgamma``, ``dbeta``; after a test-mode forward it
    differentiates the test-mode map (``dx = gamma * dout / sqrt(running_var + eps)``), not the last training batch
    as the book's does.

    ``running_var_convention="pytorch"`` stores the unbiased batch variance and starts ``running_var`` at 1, as
    ``nn.BatchNorm1d`` does; the book's (default) stores the biased one and starts at 0. Normalization itself uses
    the biased variance in both. With ``hold`` set, running statistics are left untouched.

    A training batch of one sample is refused, as ``nn.BatchNorm1d`` refuses it: it normalizes to ``beta`` and
    every gradient but ``dbeta`` is 0. ``allow_single_sample = True`` (on the class or a layer) lets it through,
    as the book's layer does; ``npnet.book.run_script`` sets it for the book's ``batch_norm_gradient_check.py``.
    """

    allow_single_sample = False

    def __init__(
        self,
        gamma: np.ndarray,
        beta: np.ndarray,
        momentum: float = 0.9,
        running_mean: np.ndarray | None = None,
        running_var: np.ndarray | None = None,
        eps: float = BATCHNORM_EPS,
        running_var_convention: str = "book",
    ) -> None:
        if np.ndim(gamma) != 1 or np.shape(gamma) != np.shape(beta):
            raise ValueError(f"gamma and beta must be 1-D of the same shape, got {np.shape(gamma)}, {np.shape(beta)}")
        if running_var_convention not in RUNNING_VAR_CONVENTIONS:
            raise ValueError(
                f"running_var_convention must be one of {RUNNING_VAR_CONVENTIONS}, got {running_var_convention!r}"
            )
        self.gamma, self.beta = gamma, beta
        self.momentum = real_number(momentum, "momentum", 0.0, 1.0)
        self.eps = real_number(eps, "BatchNormalization eps", low_open=True)
        self.running_var_convention = running_var_convention
        dtype, d = np.asarray(gamma).dtype, np.shape(gamma)[0]
        initial_var = 1.0 if running_var_convention == "pytorch" else 0.0
        self.running_mean = np.zeros(d, dtype) if running_mean is None else running_mean
        self.running_var = np.full(d, initial_var, dtype) if running_var is None else running_var
        self.hold = False
        self.input_shape: tuple[int, ...] | None = None
        self.batch_size = 0
        self.xc: np.ndarray | None = None
        self.xn: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.dgamma: np.ndarray | None = None
        self.dbeta: np.ndarray | None = None
        self.train_flg = True

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        x = real_array(x, "BatchNormalization input x")
        d = self.gamma.shape[0]
        if x.ndim < 2 or x[0].size != d:
            raise ValueError(
                f"BatchNormalization expects x of shape (N, ...) with {d} features per sample, got {x.shape}"
            )
        self.input_shape = x.shape
        x2 = x.reshape(x.shape[0], -1)
        if train_flg and x.shape[0] < 2 and not self.allow_single_sample:
            raise ValueError(
                f"BatchNormalization in training mode needs more than 1 sample per feature (as torch), got x{x.shape}:"
                " a batch of one normalizes to zeros (allow_single_sample = True lets it through, as the book's)"
            )
        self.train_flg = bool(train_flg)
        if train_flg:
            out = self._normalize_batch(x2)
        else:
            self.std = np.sqrt(self.running_var + self.eps)
            out = self.xn = (x2 - self.running_mean) / self.std
        return (self.gamma * out + self.beta).reshape(x.shape)

    def _normalize_batch(self, x: np.ndarray) -> np.ndarray:
        mu = x.mean(axis=0)
        xc = x - mu
        var = np.mean(xc**2, axis=0)
        std = np.sqrt(var + self.eps)
        self.batch_size, self.xc, self.std = x.shape[0], xc, std
        self.xn = xc / std
        if not self.hold:
            n = x.shape[0]
            stored_var = var * (n / (n - 1)) if self.running_var_convention == "pytorch" and n > 1 else var
            self.running_mean *= self.momentum
            self.running_mean += (1 - self.momentum) * mu
            self.running_var *= self.momentum
            self.running_var += (1 - self.momentum) * stored_var
        return self.xn

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.xn is not None and self.xc is not None and self.std is not None and self.input_shape is not None, (
            "BatchNormalization.backward called before a training forward"
        )
        check_shape(dout, self.input_shape, "BatchNormalization.backward dout")
        dout = np.asarray(dout).reshape(self.xn.shape)
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        if not self.train_flg:  # test mode: a fixed affine map of x, dx = gamma * dout / sqrt(running_var + eps)
            return (dxn / self.std).reshape(self.input_shape)
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc = dxc + (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return (dxc - dmu / self.batch_size).reshape(self.input_shape)
