"""Twins of ``npnet.layers``: the same ``forward``/``backward`` interface, computed by PyTorch and autograd.

``forward`` records the computation with autograd; ``backward(dout)`` asks autograd for the vector-Jacobian
product with ``dout`` (``torch.autograd.grad(out, inputs, grad_outputs=dout)``), returns the input gradients as
NumPy arrays and keeps parameter gradients on the layer under the book's names (``dW``, ``db``).
Each twin is built from the npnet layer's own state with ``Twin.from_npnet(layer)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from npnet import layers as np_layers
from npnet.functions import CROSS_ENTROPY_DELTA
from oracle.convert import default_device, labels_to_torch, to_numpy, to_torch


def _float_dtype(x: Any) -> Any:
    """``x``'s dtype if floating, else float64 (the book feeds plain ints such as ``apple_num = 2``)."""
    dtype = np.asarray(x).dtype
    return dtype if np.issubdtype(dtype, np.floating) else np.float64


class AutogradLayer:
    """Base of the twins: ``compute(*inputs, **params)`` in torch; autograd does ``backward``.

    Parameters are leaf tensors in ``self.tensors``; after ``backward`` their gradients are NumPy arrays in
    attributes ``d<name>`` (``dW``, ``db``, ...).
    """

    param_names: tuple[str, ...] = ()

    def __init__(self, device: str | torch.device | None = None, **params: Any) -> None:
        self.device = default_device(device)
        self.tensors = {
            name: to_torch(params[name], device=self.device, requires_grad=True) for name in self.param_names
        }
        self._inputs: list[torch.Tensor] = []
        self._out: torch.Tensor | None = None

    def compute(self, *inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, *inputs: Any) -> Any:
        self._inputs = [to_torch(x, _float_dtype(x), self.device, requires_grad=True) for x in inputs]
        self._out = self.compute(*self._inputs)
        return to_numpy(self._out)

    def backward(self, dout: Any = 1) -> Any:
        if self._out is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        sources = [*self._inputs, *self.tensors.values()]
        grads = torch.autograd.grad(
            self._out,
            sources,
            grad_outputs=to_torch(dout, self._out.dtype, self.device),
            allow_unused=True,
            materialize_grads=True,
        )
        n = len(self._inputs)
        for name, grad in zip(self.tensors, grads[n:], strict=True):
            setattr(self, f"d{name}", to_numpy(grad))
        dx = [to_numpy(g) for g in grads[:n]]
        return dx[0] if n == 1 else tuple(dx)


class MulLayer(AutogradLayer):
    """``x * y``."""

    @classmethod
    def from_npnet(cls, layer: np_layers.MulLayer | None = None, device: Any = None) -> MulLayer:
        return cls(device)

    def compute(self, *inputs: torch.Tensor) -> torch.Tensor:
        x, y = inputs
        return torch.mul(x, y)


class AddLayer(AutogradLayer):
    """``x + y``."""

    @classmethod
    def from_npnet(cls, layer: np_layers.AddLayer | None = None, device: Any = None) -> AddLayer:
        return cls(device)

    def compute(self, *inputs: torch.Tensor) -> torch.Tensor:
        x, y = inputs
        return torch.add(x, y)


class Relu(AutogradLayer):
    """``F.relu`` (its gradient at exactly 0 is 0, as the book's ``Relu`` layer's)."""

    @classmethod
    def from_npnet(cls, layer: np_layers.Relu | None = None, device: Any = None) -> Relu:
        return cls(device)

    def compute(self, *inputs: torch.Tensor) -> torch.Tensor:
        return F.relu(inputs[0])


class Sigmoid(AutogradLayer):
    """``torch.sigmoid``."""

    @classmethod
    def from_npnet(cls, layer: np_layers.Sigmoid | None = None, device: Any = None) -> Sigmoid:
        return cls(device)

    def compute(self, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(inputs[0])


class Affine(AutogradLayer):
    """``F.linear(x.flatten(1), W.T, b)``, i.e. ``x @ W + b`` with the book's ``W`` of shape ``(in, out)``."""

    param_names = ("W", "b")
    dW: np.ndarray
    db: np.ndarray

    def __init__(self, W: np.ndarray, b: np.ndarray, device: str | torch.device | None = None) -> None:
        super().__init__(device, W=W, b=b)

    @classmethod
    def from_npnet(cls, layer: np_layers.Affine, device: Any = None) -> Affine:
        return cls(layer.W, layer.b, device)

    def compute(self, *inputs: torch.Tensor) -> torch.Tensor:
        x = inputs[0]
        return F.linear(torch.flatten(x, start_dim=1), self.tensors["W"].T, self.tensors["b"])


class SoftmaxWithLoss:
    """The book's softmax-with-loss layer in PyTorch.

    Reported loss: ``F.nll_loss(torch.log(F.softmax(x) + delta), t)``, the book's formula with its ``delta``
    (``F.cross_entropy(x, t)`` when ``delta == 0``).
    Gradient: autograd of ``F.cross_entropy(x, t) * dout``, which is what the book's backward computes
    (``(softmax(x) - onehot(t)) / N``): the book's backward ignores ``delta``, so the twin takes its gradient from
    the delta-free loss rather than from the reported one. With ``delta=0`` the two coincide.
    """

    def __init__(self, delta: float = CROSS_ENTROPY_DELTA, device: str | torch.device | None = None) -> None:
        self.delta = delta
        self.device = default_device(device)
        self._x: torch.Tensor | None = None
        self._objective: torch.Tensor | None = None
        self.loss: float | None = None

    @classmethod
    def from_npnet(cls, layer: np_layers.SoftmaxWithLoss, device: Any = None) -> SoftmaxWithLoss:
        return cls(layer.delta, device)

    def forward(self, x: Any, t: Any) -> float:
        self._x = to_torch(x, device=self.device, requires_grad=True)
        self._objective, reported = book_softmax_cross_entropy(self._x, t, self.delta)
        self.loss = float(reported)
        return self.loss

    def backward(self, dout: float = 1) -> np.ndarray:
        if self._x is None or self._objective is None:
            raise RuntimeError("SoftmaxWithLoss.backward called before forward")
        (dx,) = torch.autograd.grad(self._objective * dout, self._x)
        return to_numpy(dx)


def book_softmax_cross_entropy(scores: torch.Tensor, t: Any, delta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(objective, reported)`` for the book's last layer on torch ``scores`` of shape ``(N, C)``.

    ``objective = F.cross_entropy(scores, t)`` is what the book's backward differentiates; ``reported`` is the
    book's forward value ``F.nll_loss(log(softmax(scores) + delta), t)``, computed without autograd, or the
    objective itself when ``delta == 0``.
    """
    target = labels_to_torch(t, tuple(scores.shape), scores.device)
    objective = F.cross_entropy(scores, target)
    if delta == 0:
        return objective, objective.detach()
    with torch.no_grad():
        reported = F.nll_loss(torch.log(F.softmax(scores, dim=1) + delta), target)
    return objective, reported


class Dropout(AutogradLayer):
    """Twin of ``npnet.layers.Dropout`` using the npnet layer's own mask.

    ``F.dropout`` draws its mask from torch's generator, so it cannot be handed npnet's; in training the twin
    therefore computes ``x * mask * scale`` with torch ops, where ``mask`` is the one npnet drew for the same forward
    (read from the npnet layer). At test time the inverted convention is ``F.dropout(x, training=False)`` (the
    identity) and the book's is ``x * (1 - p)``. ``tests/parity/test_ch6_layers_parity.py`` also shows that torch's
    own ``F.dropout`` is exactly npnet's inverted convention once npnet is given the mask torch drew.
    """

    def __init__(self, source: np_layers.Dropout, device: str | torch.device | None = None) -> None:
        super().__init__(device)
        self.source = source
        self._train = True

    @classmethod
    def from_npnet(cls, layer: np_layers.Dropout, device: Any = None) -> Dropout:
        return cls(layer, device)

    def forward(self, x: Any, train_flg: bool = True) -> Any:
        self._train = train_flg
        return super().forward(x)

    def compute(self, *inputs: torch.Tensor) -> torch.Tensor:
        x, p = inputs[0], self.source.dropout_ratio
        if not self._train:
            return F.dropout(x, p, training=False) if self.source.inverted else x * (1.0 - p)
        if self.source.mask is None or self.source.mask.shape != tuple(x.shape):
            raise RuntimeError("the twin Dropout needs the npnet layer's mask: run the npnet forward first")
        mask = to_torch(self.source.mask, x.dtype, self.device)
        return x * mask * self.source.keep_scale


class BatchNormalization(AutogradLayer):
    """Twin of ``npnet.layers.BatchNormalization`` with ``F.batch_norm`` over ``x`` flattened to ``(N, D)``.

    Differences handled here: the book's ``eps`` is 1e-6 (passed to torch, whose default is 1e-5); the book's
    ``momentum`` m weighs the old running value, torch's weighs the new batch statistic (torch momentum = 1 - m).
    For ``running_var_convention="pytorch"`` the running statistics are updated by ``F.batch_norm`` itself
    (unbiased variance). For the book's convention ``F.batch_norm`` normalizes (which uses the biased variance in
    both) and the running statistics are updated with the book's formula in torch ops:
    ``running = m * running + (1 - m) * stat`` with the biased ``x.var(dim=0, unbiased=False)``.
    """

    param_names = ("gamma", "beta")
    dgamma: np.ndarray
    dbeta: np.ndarray

    def __init__(
        self,
        gamma: np.ndarray,
        beta: np.ndarray,
        momentum: float,
        running_mean: np.ndarray,
        running_var: np.ndarray,
        eps: float,
        running_var_convention: str = "book",
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__(device, gamma=gamma, beta=beta)
        self.momentum, self.eps, self.convention = momentum, eps, running_var_convention
        self.running_mean = to_torch(running_mean, device=self.device)
        self.running_var = to_torch(running_var, device=self.device)
        self._train = True

    @classmethod
    def from_npnet(cls, layer: np_layers.BatchNormalization, device: Any = None) -> BatchNormalization:
        return cls(
            layer.gamma,
            layer.beta,
            layer.momentum,
            layer.running_mean,
            layer.running_var,
            layer.eps,
            layer.running_var_convention,
            device,
        )

    def forward(self, x: Any, train_flg: bool = True) -> Any:
        self._train = train_flg
        return super().forward(x)

    def compute(self, *inputs: torch.Tensor) -> torch.Tensor:
        x = inputs[0]
        out = batch_norm_book(
            torch.flatten(x, start_dim=1),
            self.tensors["gamma"],
            self.tensors["beta"],
            self.running_mean,
            self.running_var,
            self._train,
            self.momentum,
            self.eps,
            self.convention,
        )
        return out.reshape(x.shape)


def batch_norm_book(
    x: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    training: bool,
    momentum: float,
    eps: float,
    convention: str,
) -> torch.Tensor:
    """The book's batch norm on ``(N, D)`` with ``F.batch_norm``; updates the running tensors in place in training.

    ``momentum`` is the book's (weight of the old running value). See :class:`BatchNormalization`.
    """
    if not training:
        return F.batch_norm(x, running_mean, running_var, gamma, beta, training=False, eps=eps)
    if convention == "pytorch":
        return F.batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=1.0 - momentum, eps=eps)
    out = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    with torch.no_grad():
        running_mean.mul_(momentum).add_((1.0 - momentum) * x.mean(dim=0))
        running_var.mul_(momentum).add_((1.0 - momentum) * x.var(dim=0, unbiased=False))
    return out
