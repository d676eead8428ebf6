"""Twin of ``npnet.gradient``: gradients by PyTorch autograd instead of finite differences.

``autograd_gradient(f, x)`` answers what ``npnet.gradient.numerical_gradient(f, x)`` estimates, for a function
written with torch ops; ``gradient_check`` compares an npnet network's backprop with its oracle twin's autograd.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from npnet.gradient import GradientDifference, compare_gradients
from oracle.convert import to_numpy, to_torch


def autograd_gradient(f: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray) -> np.ndarray:
    """``df/dx`` at ``x`` by autograd; ``f`` maps a tensor of ``x``'s shape and dtype to a scalar tensor."""
    xt = to_torch(x, requires_grad=True)
    (grad,) = torch.autograd.grad(f(xt), xt)
    return to_numpy(grad)


def gradient_check(network: Any, twin: Any, x: np.ndarray, t: np.ndarray) -> dict[str, GradientDifference]:
    """Per-parameter difference between ``network.gradient`` (npnet backprop) and ``twin.gradient`` (autograd)."""
    return compare_gradients(network.gradient(x, t), twin.gradient(x, t))
