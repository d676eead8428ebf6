"""Crossing between NumPy and PyTorch: arrays to tensors and back, and the book's ``(W, b)`` to ``nn.Linear``.

The book stores an affine layer's weight as ``W`` of shape ``(in, out)`` and computes ``x @ W + b``; PyTorch's
``nn.Linear`` stores ``weight`` of shape ``(out, in)`` and computes ``x @ weight.T + bias``. So
``weight = W.T`` and ``dW = weight.grad.T``; nothing else differs.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch import nn

#: Environment variable naming the default device of every twin (``cpu`` if unset).
DEVICE_ENV = "NPNET_ORACLE_DEVICE"


def default_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else ``$NPNET_ORACLE_DEVICE``, else the CPU.

    Raises ``ValueError`` for a name torch does not know and for a CUDA device this torch build cannot reach,
    naming where the request came from.
    """
    source = "device" if device is not None else f"${DEVICE_ENV}"
    requested = device if device is not None else os.environ.get(DEVICE_ENV, "cpu")
    if isinstance(requested, torch.device):
        resolved = requested
    else:
        try:
            resolved = torch.device(requested)
        except RuntimeError:
            raise ValueError(f"{source}: expected a torch device such as 'cpu' or 'cuda', got {requested!r}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"{source}: {requested!r} asked for CUDA, but torch {torch.__version__} sees no usable CUDA device "
            f"(built for CUDA {torch.version.cuda})"
        )
    return resolved


def torch_dtype(dtype: Any) -> torch.dtype:
    """The torch dtype of a NumPy dtype (float64 -> torch.float64, ...)."""
    return torch.from_numpy(np.empty(0, dtype=np.dtype(dtype))).dtype


def to_torch(
    x: Any, dtype: Any = None, device: str | torch.device | None = None, requires_grad: bool = False
) -> torch.Tensor:
    """A new tensor holding a copy of ``x`` (NumPy array or scalar), on ``device``, optionally as ``dtype``.

    A NumPy dtype or a torch dtype is accepted; ``None`` keeps ``x``'s own dtype.
    """
    arr = np.array(x)  # a copy: the twin never shares memory with npnet's arrays
    tensor = torch.from_numpy(arr)
    if dtype is not None:
        tensor = tensor.to(dtype if isinstance(dtype, torch.dtype) else torch_dtype(dtype))
    tensor = tensor.to(default_device(device))
    return tensor.requires_grad_(requires_grad)


def to_numpy(x: torch.Tensor) -> np.ndarray:
    """A NumPy copy of a tensor, from any device, detached from autograd."""
    return x.detach().cpu().numpy().copy()


def linear_from_affine(W: np.ndarray, b: np.ndarray, device: str | torch.device | None = None) -> nn.Linear:
    """An ``nn.Linear`` computing ``x @ W + b``: ``weight = W.T`` (shape ``(out, in)``), ``bias = b``."""
    in_features, out_features = W.shape
    dtype = torch_dtype(W.dtype)
    linear = nn.Linear(in_features, out_features, device=default_device(device), dtype=dtype)
    with torch.no_grad():
        linear.weight.copy_(to_torch(W.T, dtype, device))
        linear.bias.copy_(to_torch(b, dtype, device))
    return linear


def affine_from_linear(linear: nn.Linear) -> tuple[np.ndarray, np.ndarray]:
    """``(W, b)`` in the book's layout from an ``nn.Linear``."""
    return to_numpy(linear.weight).T.copy(), to_numpy(linear.bias)


def affine_grads_from_linear(linear: nn.Linear) -> tuple[np.ndarray, np.ndarray]:
    """``(dW, db)`` in the book's layout from an ``nn.Linear`` after ``backward``."""
    if linear.weight.grad is None or linear.bias.grad is None:
        raise RuntimeError("no gradients on this nn.Linear: run backward first")
    return to_numpy(linear.weight.grad).T.copy(), to_numpy(linear.bias.grad)


def labels_to_torch(
    t: Any,
    scores_shape: tuple[int, ...],
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Class indices (``int64``, shape ``(N,)``) from one-hot or index labels, as ``F.nll_loss`` takes them."""
    t_arr = np.asarray(t)
    t_tensor = to_torch(t_arr, device=device)
    n, c = scores_shape
    if t_arr.shape == (n, c) or (t_arr.ndim == 1 and n == 1 and c > 1 and t_arr.shape == (c,)):
        return torch.argmax(t_tensor.reshape(n, c), dim=1)
    return t_tensor.reshape(scores_shape[0]).to(torch.int64)
