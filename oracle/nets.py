"""Twins of ``npnet.nets``: ``torch.nn.Module`` networks built from an npnet network's weights.

A twin speaks the npnet network's language (``predict``, ``loss``, ``accuracy``, ``gradient`` and ``params``, all
NumPy, keyed ``W1``, ``b1``, ...) and is also a plain ``nn.Module`` whose ``forward`` gives the scores, so
``torch.optim`` optimizers can train it.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from npnet import layers as np_layers
from npnet import nets as np_nets
from npnet._validate import labels_as_indices
from npnet.functions import CROSS_ENTROPY_DELTA
from oracle.convert import (
    affine_from_linear,
    affine_grads_from_linear,
    default_device,
    linear_from_affine,
    to_numpy,
    to_torch,
)
from oracle.layers import batch_norm_book, book_softmax_cross_entropy

#: Hidden-layer activations by the npnet name.
ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}


class TwinNet(nn.Module):
    """What every twin network shares: NumPy in and out, the book's loss, and gradients keyed like npnet's.

    Subclasses define ``forward`` (scores from a tensor) and ``linears``, the ``nn.Linear`` of each affine layer in
    order, whose weights are ``W1, b1``, ``W2, b2``, ....
    """

    loss_delta: float = CROSS_ENTROPY_DELTA
    linears: nn.ModuleList

    def linear_layers(self) -> list[nn.Linear]:
        """The ``nn.Linear`` of each affine layer, in order (``W1, b1`` first)."""
        return [cast(nn.Linear, m) for m in self.linears]

    @property
    def param_dtype(self) -> torch.dtype:
        return self.linear_layers()[0].weight.dtype

    @property
    def output_size(self) -> int:
        """The number of classes (the last linear layer's width), as npnet's nets say it."""
        return int(self.linear_layers()[-1].out_features)

    @property
    def device(self) -> torch.device:
        return self.linear_layers()[0].weight.device

    def as_input(self, x: Any) -> torch.Tensor:
        """``x`` as a tensor of the parameters' dtype and device (float32 data meets float64 weights as in NumPy)."""
        return to_torch(x, self.param_dtype, self.device)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """A NumPy copy of every weight, in the book's layout and names."""
        out = {}
        for i, linear in enumerate(self.linear_layers(), start=1):
            out[f"W{i}"], out[f"b{i}"] = affine_from_linear(linear)
        return out

    def scores(self, x: torch.Tensor, train_flg: bool = False) -> torch.Tensor:
        """Scores before softmax; nets with Dropout or batch norm use ``train_flg``, the others ignore it."""
        return self(x)

    def weight_decay_term(self) -> torch.Tensor | float:
        """What the loss adds for weight decay (nothing unless a subclass says otherwise)."""
        return 0.0

    def predict(self, x: Any, train_flg: bool = False) -> np.ndarray:
        with torch.no_grad():
            return to_numpy(self.scores(self.as_input(x), train_flg))

    def objective_and_loss(self, x: Any, t: Any, train_flg: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``(objective to differentiate, the book's reported loss)``: ``F.cross_entropy`` and the book's value,
        each plus the weight-decay term."""
        scores = self.scores(self.as_input(x), train_flg)
        labels_as_indices(t, (scores.shape[0], scores.shape[1]))  # npnet's label checks and messages
        objective, reported = book_softmax_cross_entropy(scores, t, self.loss_delta)
        decay = self.weight_decay_term()
        return objective + decay, reported + (decay.detach() if isinstance(decay, torch.Tensor) else decay)

    def loss(self, x: Any, t: Any, train_flg: bool = False) -> float:
        with torch.no_grad():
            return float(self.objective_and_loss(x, t, train_flg)[1])

    def accuracy(self, x: Any, t: Any) -> float:
        return np_nets.accuracy_of_scores(self.predict(x), t)

    def gradients(self) -> dict[str, np.ndarray]:
        """The ``.grad`` of every weight after ``backward``, in the book's layout and names."""
        out = {}
        for i, linear in enumerate(self.linear_layers(), start=1):
            out[f"W{i}"], out[f"b{i}"] = affine_grads_from_linear(linear)
        return out

    def gradient(self, x: Any, t: Any) -> dict[str, np.ndarray]:
        """Autograd gradient of the training-mode loss (as the book's backprop defines it), keyed like ``params``."""
        self.zero_grad(set_to_none=True)
        objective, _ = self.objective_and_loss(x, t, train_flg=True)
        objective.backward()
        return self.gradients()


class TwoLayerNet(TwinNet):
    """``nn.Linear -> nn.ReLU (or nn.Sigmoid) -> nn.Linear``, the twin of ``npnet.nets.TwoLayerNet``."""

    def __init__(
        self,
        W1: np.ndarray,
        b1: np.ndarray,
        W2: np.ndarray,
        b2: np.ndarray,
        activation: str = "relu",
        loss_delta: float = CROSS_ENTROPY_DELTA,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__()
        device = default_device(device)
        self.linears = nn.ModuleList([linear_from_affine(W1, b1, device), linear_from_affine(W2, b2, device)])
        self.activation = ACTIVATIONS[activation.lower()]()
        self.loss_delta = loss_delta

    @classmethod
    def from_npnet(cls, net: np_nets.TwoLayerNet, device: str | torch.device | None = None) -> TwoLayerNet:
        """A twin holding copies of ``net``'s current weights."""
        p = net.params
        return cls(p["W1"], p["b1"], p["W2"], p["b2"], net.activation, net.lastLayer.delta, device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.activation(self.linears[0](torch.flatten(x, start_dim=1)))
        return self.linears[1](h)


class MultiLayerNetExtend(TwinNet):
    """Twin of ``npnet.nets.MultiLayerNetExtend`` (and so of ``MultiLayerNet``).

    ``nn.Linear`` layers, ``nn.ReLU``/``nn.Sigmoid``, batch norm through ``F.batch_norm`` with the npnet layers'
    ``eps``, momentum and running-variance convention (:func:`oracle.layers.batch_norm_book`), dropout with the masks
    npnet drew (``use_masks``; ``F.dropout`` cannot take a given mask), and weight decay as
    ``0.5 * lambda * sum(W**2)`` added to the loss with torch ops, so autograd adds ``lambda * W`` to each weight
    gradient as npnet does. Parameters and gradients are keyed ``W{i} b{i} gamma{i} beta{i}`` as in npnet.
    """

    def __init__(self, net: np_nets.MultiLayerNetExtend, device: str | torch.device | None = None) -> None:
        super().__init__()
        device = default_device(device)
        p = net.params
        n_affine = net.hidden_layer_num + 1
        self.linears = nn.ModuleList(
            [linear_from_affine(p[f"W{i}"], p[f"b{i}"], device) for i in range(1, n_affine + 1)]
        )
        self.activations = nn.ModuleList([ACTIVATIONS[net.activation.lower()]() for _ in range(net.hidden_layer_num)])
        self.loss_delta = net.last_layer.delta
        self.weight_decay_lambda = net.weight_decay_lambda
        self.use_batchnorm, self.use_dropout = net.use_batchnorm, net.use_dropout
        self.gammas = nn.ParameterList()
        self.betas = nn.ParameterList()
        self.bn_settings: list[tuple[float, float, str]] = []
        self.running_means: list[torch.Tensor] = []
        self.running_vars: list[torch.Tensor] = []
        self.dropout_specs: list[tuple[float, bool]] = []
        for layer in net.layers.values():
            if isinstance(layer, np_layers.BatchNormalization):
                self.gammas.append(nn.Parameter(to_torch(layer.gamma, device=device)))
                self.betas.append(nn.Parameter(to_torch(layer.beta, device=device)))
                self.bn_settings.append((layer.momentum, layer.eps, layer.running_var_convention))
                self.running_means.append(to_torch(layer.running_mean, device=device))
                self.running_vars.append(to_torch(layer.running_var, device=device))
            elif isinstance(layer, np_layers.Dropout):
                self.dropout_specs.append((layer.dropout_ratio, layer.inverted))
        self.masks: list[torch.Tensor] | None = None

    @classmethod
    def from_npnet(
        cls, net: np_nets.MultiLayerNetExtend, device: str | torch.device | None = None
    ) -> MultiLayerNetExtend:
        """A twin holding copies of ``net``'s weights and running statistics."""
        return cls(net, device)

    def use_masks(self, masks: list[np.ndarray]) -> None:
        """The dropout masks for the next training forwards (npnet's ``net.dropout_masks()``), one per layer."""
        if len(masks) != len(self.dropout_specs):
            raise ValueError(f"{len(self.dropout_specs)} dropout layers but {len(masks)} masks")
        self.masks = [to_torch(m, self.param_dtype, self.device) for m in masks]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scores(x, train_flg=False)

    def scores(self, x: torch.Tensor, train_flg: bool = False) -> torch.Tensor:
        h = torch.flatten(x, start_dim=1)
        for i, activation in enumerate(self.activations):
            h = self.linears[i](h)
            if self.use_batchnorm:
                momentum, eps, convention = self.bn_settings[i]
                h = batch_norm_book(
                    h,
                    self.gammas[i],
                    self.betas[i],
                    self.running_means[i],
                    self.running_vars[i],
                    train_flg,
                    momentum,
                    eps,
                    convention,
                )
            h = activation(h)
            if self.use_dropout:
                h = self._dropout(h, i, train_flg)
        return self.linears[-1](h)

    def _dropout(self, h: torch.Tensor, i: int, train_flg: bool) -> torch.Tensor:
        ratio, inverted = self.dropout_specs[i]
        if not train_flg:
            return F.dropout(h, ratio, training=False) if inverted else h * (1.0 - ratio)
        if self.masks is None:
            raise RuntimeError("training forward of a twin with dropout needs npnet's masks: call use_masks first")
        return h * self.masks[i] * (1.0 / (1.0 - ratio) if inverted else 1.0)

    def weight_decay_term(self) -> torch.Tensor | float:
        if self.weight_decay_lambda == 0:
            return 0.0
        squares = [torch.sum(linear.weight**2) for linear in self.linear_layers()]
        return 0.5 * self.weight_decay_lambda * torch.stack(squares).sum()

    @property
    def params(self) -> dict[str, np.ndarray]:
        out = super().params
        for i, (gamma, beta) in enumerate(zip(self.gammas, self.betas, strict=True), start=1):
            out[f"gamma{i}"], out[f"beta{i}"] = to_numpy(gamma), to_numpy(beta)
        return out

    def gradients(self) -> dict[str, np.ndarray]:
        out = super().gradients()
        for i, (gamma, beta) in enumerate(zip(self.gammas, self.betas, strict=True), start=1):
            if gamma.grad is None or beta.grad is None:
                raise RuntimeError("no gradients on gamma/beta: run backward first")
            out[f"gamma{i}"], out[f"beta{i}"] = to_numpy(gamma.grad), to_numpy(beta.grad)
        return out

    def running_stats(self) -> dict[str, np.ndarray]:
        """``running_mean{i}``, ``running_var{i}`` as NumPy arrays, keyed as npnet's ``running_stats()``."""
        out = {}
        for i, (mean, var) in enumerate(zip(self.running_means, self.running_vars, strict=True), start=1):
            out[f"running_mean{i}"], out[f"running_var{i}"] = to_numpy(mean), to_numpy(var)
        return out


#: ``MultiLayerNet`` is ``MultiLayerNetExtend`` without dropout and batch norm, on both sides.
MultiLayerNet = MultiLayerNetExtend


def twin_of(net: Any, device: str | torch.device | None = None) -> TwinNet:
    """The twin of any npnet network (``TwoLayerNet``, ``MultiLayerNet``, ``MultiLayerNetExtend``)."""
    if isinstance(net, np_nets.TwoLayerNet):
        return TwoLayerNet.from_npnet(net, device)
    if isinstance(net, np_nets.MultiLayerNetExtend):
        return MultiLayerNetExtend.from_npnet(net, device)
    raise TypeError(f"no twin for {type(net).__name__}; expected an npnet.nets network")
