"""Twins of ``npnet.nets``: ``torch.nn.Module`` networks built from an npnet network's weights.

A twin speaks the npnet network's language (``predict``, ``loss``, ``accuracy``, ``gradient`` and ``params``, all
NumPy, keyed ``W1``, ``b1``, ...) and is also a plain ``nn.Module`` whose ``forward`` gives the scores, so
``torch.optim`` optimizers can train it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from npnet import nets as np_nets
from npnet.functions import CROSS_ENTROPY_DELTA
from oracle.convert import (affine_from_linear, affine_grads_from_linear, default_device, linear_from_affine,
                            to_numpy, to_torch)
from oracle.layers import book_softmax_cross_entropy

#: Hidden-layer activations by the npnet name.
ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}


class TwinNet(nn.Module):
    """What every twin network shares: NumPy in and out, the book's loss, and gradients keyed like npnet's.

    Subclasses define ``forward`` (scores from a tensor) and ``linears``, the ``nn.Linear`` of each affine layer in
    order, whose weights are ``W1, b1``, ``W2, b2``, ....
    """

    loss_delta: float = CROSS_ENTROPY_DELTA
    linears: nn.ModuleList

    @property
    def param_dtype(self) -> torch.dtype:
        return self.linears[0].weight.dtype

    @property
    def device(self) -> torch.device:
        return self.linears[0].weight.device

    def as_input(self, x: Any) -> torch.Tensor:
        """``x`` as a tensor of the parameters' dtype and device (float32 data meets float64 weights as in NumPy)."""
        return to_torch(x, self.param_dtype, self.device)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """A NumPy copy of every weight, in the book's layout and names."""
        out = {}
        for i, linear in enumerate(self.linears, start=1):
            out[f"W{i}"], out[f"b{i}"] = affine_from_linear(linear)
        return out

    def predict(self, x: Any) -> np.ndarray:
        with torch.no_grad():
            return to_numpy(self(self.as_input(x)))

    def objective_and_loss(self, x: Any, t: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(F.cross_entropy objective to differentiate, the book's reported loss)``."""
        return book_softmax_cross_entropy(self(self.as_input(x)), t, self.loss_delta)

    def loss(self, x: Any, t: Any) -> float:
        with torch.no_grad():
            return float(self.objective_and_loss(x, t)[1])

    def accuracy(self, x: Any, t: Any) -> float:
        return np_nets.accuracy_of_scores(self.predict(x), t)

    def gradients(self) -> dict[str, np.ndarray]:
        """The ``.grad`` of every weight after ``backward``, in the book's layout and names."""
        out = {}
        for i, linear in enumerate(self.linears, start=1):
            out[f"W{i}"], out[f"b{i}"] = affine_grads_from_linear(linear)
        return out

    def gradient(self, x: Any, t: Any) -> dict[str, np.ndarray]:
        """Autograd gradient of the loss (as the book's backprop defines it), keyed like npnet's ``params``."""
        self.zero_grad(set_to_none=True)
        objective, _ = self.objective_and_loss(x, t)
        objective.backward()
        return self.gradients()


class TwoLayerNet(TwinNet):
    """``nn.Linear -> nn.ReLU (or nn.Sigmoid) -> nn.Linear``, the twin of ``npnet.nets.TwoLayerNet``."""

    def __init__(self, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, activation: str = "relu",
                 loss_delta: float = CROSS_ENTROPY_DELTA, device: str | torch.device | None = None) -> None:
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
