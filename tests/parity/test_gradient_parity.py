"""npnet's numerical gradients against PyTorch autograd, and the oracle's gradient check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import npnet.functions as nf
from npnet.gradient import numerical_gradient
from npnet.nets import TwoLayerNet
from oracle.convert import to_torch
from oracle.gradient import autograd_gradient, gradient_check
from oracle.nets import TwoLayerNet as TorchTwoLayerNet
from tests.compare import assert_close


@pytest.mark.parametrize("shape", [(1, 5), (4, 3)])
def test_cross_entropy_of_softmax(shape: tuple[int, int], rng: np.random.Generator) -> None:
    x = rng.standard_normal(shape)
    t = rng.integers(0, shape[1], size=shape[0])
    ours = numerical_gradient(lambda z: nf.cross_entropy_error(nf.softmax(z), t, delta=0.0), x)
    theirs = autograd_gradient(lambda z: F.cross_entropy(z, to_torch(t, device=z.device)), x)
    assert_close(ours, theirs, "d cross_entropy(softmax(x)) / dx", "numerical")


def test_sum_squared_error_of_sigmoid(rng: np.random.Generator) -> None:
    x, t = rng.standard_normal((3, 4)), rng.random((3, 4))
    ours = numerical_gradient(lambda z: nf.sum_squared_error(nf.sigmoid(z), t), x)
    theirs = autograd_gradient(lambda z: 0.5 * torch.sum((torch.sigmoid(z) - to_torch(t, device=z.device)) ** 2), x)
    assert_close(ours, theirs, "d sse(sigmoid(x)) / dx", "numerical")


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_two_layer_net_numerical_vs_autograd(activation: str, rng: np.random.Generator) -> None:
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.4, activation=activation, rng=rng, loss_delta=0.0)
    x, t = rng.standard_normal((4, 6)), rng.integers(0, 3, size=4)
    twin = TorchTwoLayerNet.from_npnet(net)
    numerical, autograd = net.numerical_gradient(x, t), twin.gradient(x, t)
    for key in net.params:
        assert_close(numerical[key], autograd[key], f"numerical vs autograd d{key}", "numerical")
    report = gradient_check(net, twin, x, t)
    assert max(r.max_rel_diff for r in report.values()) < 1e-12, report
