"""Twins of ``npnet.functions``, computed with PyTorch's own functions; NumPy in, NumPy out.

The derivatives (``sigmoid_grad``, ``relu_grad``) come from autograd of the matching torch function. For an
element-wise function, the gradient of ``sum(f(x))`` is exactly ``f'(x)`` element by element.

Conventions (see docs/conventions.md):

- ``relu_grad``: the book's is 1 at ``x == 0``; ``torch.clamp(x, min=0)`` differentiates the same way, while
  ``torch.relu`` gives 0 there (the ``Relu`` layer's choice) and ``torch.maximum(x, 0)`` gives 0.5.
- ``cross_entropy_error``: the book adds ``delta = 1e-7`` inside the log; ``F.nll_loss(log(y + delta), t)`` is
  exactly that, and ``delta=0`` gives PyTorch's plain negative log-likelihood.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from npnet.functions import CROSS_ENTROPY_DELTA
from oracle.convert import labels_to_torch, to_numpy, to_torch


def _float_tensor(x: Any, requires_grad: bool = False) -> torch.Tensor:
    arr = np.asarray(x)
    dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
    return to_torch(arr, dtype, requires_grad=requires_grad)


def _elementwise_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: Any) -> np.ndarray:
    xt = _float_tensor(x, requires_grad=True)
    (grad,) = torch.autograd.grad(f(xt).sum(), xt)
    return to_numpy(grad)


def identity_function(x: Any) -> np.ndarray:
    """``x`` through ``torch.nn.Identity``."""
    return to_numpy(torch.nn.Identity()(to_torch(x)))


def step_function(x: Any) -> np.ndarray:
    """``torch.heaviside(x, 0)`` as int64: 1 where ``x > 0``, else 0."""
    xt = _float_tensor(x)
    return to_numpy(torch.heaviside(xt, torch.zeros((), dtype=xt.dtype, device=xt.device)).to(torch.int64))


def sigmoid(x: Any) -> np.ndarray:
    """``torch.sigmoid``."""
    return to_numpy(torch.sigmoid(_float_tensor(x)))


def sigmoid_grad(x: Any) -> np.ndarray:
    """Autograd derivative of ``torch.sigmoid``."""
    return _elementwise_derivative(torch.sigmoid, x)


def relu(x: Any) -> np.ndarray:
    """``F.relu``."""
    return to_numpy(F.relu(_float_tensor(x)))


def relu_grad(x: Any) -> np.ndarray:
    """Autograd derivative of ``torch.clamp(x, min=0)``, which, like the book's ``relu_grad``, is 1 at 0."""
    return _elementwise_derivative(lambda t: torch.clamp(t, min=0), x)


def softmax(x: Any) -> np.ndarray:
    """``F.softmax`` over the last axis."""
    return to_numpy(F.softmax(_float_tensor(x), dim=-1))


def sum_squared_error(y: Any, t: Any) -> float:
    """``0.5 * F.mse_loss(y, t, reduction="sum")``."""
    yt = _float_tensor(y)
    return float(0.5 * F.mse_loss(yt, to_torch(t, yt.dtype), reduction="sum"))


def cross_entropy_error(y: Any, t: Any, delta: float = CROSS_ENTROPY_DELTA) -> float:
    """``F.nll_loss(torch.log(y + delta), t)``, the batch mean; ``y`` is 1-D or 2-D probabilities."""
    yt = _float_tensor(y)
    if yt.ndim == 1:
        yt = yt.reshape(1, -1)
    return float(F.nll_loss(torch.log(yt + delta), labels_to_torch(t, tuple(yt.shape))))
