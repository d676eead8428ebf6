"""The suite must be able to fail: plant known bugs in npnet and watch the parity checks go red.

Each case monkeypatches one npnet method with a subtly broken version (the kind of slip a reader makes when
typing the book in), runs the same check the real tests run, and asserts that it raises AssertionError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import npnet.layers as nl
import oracle.layers as ol
from npnet.nets import TwoLayerNet
from oracle.convert import to_numpy
from oracle.nets import TwoLayerNet as TorchTwoLayerNet
from tests.protocol import check_forward_backward, check_gradients


def affine_dw_scaled(self: nl.Affine, dout: np.ndarray) -> np.ndarray:
    dx = ORIGINAL["Affine"](self, dout)
    self.dW = self.dW * 1.001
    return dx


def softmax_loss_without_batch_division(self: nl.SoftmaxWithLoss, dout: float = 1) -> np.ndarray:
    return ORIGINAL["SoftmaxWithLoss"](self, dout) * self.y.shape[0]


def relu_book_in_place(self: nl.Relu, dout: np.ndarray) -> np.ndarray:
    dout[self.mask] = 0  # the book's Relu.backward writes into its argument
    return dout


def relu_passes_gradient_at_zero(self: nl.Relu, dout: np.ndarray) -> np.ndarray:
    return np.where(self.mask & (self._x != 0), 0, dout)


def relu_forward_keeping_x(self: nl.Relu, x: np.ndarray) -> np.ndarray:
    self._x = np.asarray(x)
    return ORIGINAL["ReluForward"](self, x)


def affine_ignores_dout_scale(self: nl.Affine, dout: np.ndarray) -> np.ndarray:
    return ORIGINAL["Affine"](self, np.sign(dout))


ORIGINAL: dict[str, Callable[..., Any]] = {
    "Affine": nl.Affine.backward,
    "SoftmaxWithLoss": nl.SoftmaxWithLoss.backward,
    "ReluForward": nl.Relu.forward,
}


def run_affine(rng: np.random.Generator) -> None:
    W, b = rng.standard_normal((6, 3)), rng.standard_normal(3)
    layer = nl.Affine(W, b)
    check_forward_backward(
        layer, ol.Affine.from_npnet(layer), [rng.standard_normal((4, 6))], rng, "Affine", param_grads=["dW", "db"]
    )


def run_relu(rng: np.random.Generator) -> None:
    x = rng.standard_normal((5, 4))
    x[::2, 1] = 0
    check_forward_backward(nl.Relu(), ol.Relu(), [x], rng, "Relu")


def run_two_layer_net(rng: np.random.Generator) -> None:
    net = TwoLayerNet(8, 5, 4, weight_init_std=0.5, rng=rng)
    x, t = rng.standard_normal((6, 8)), rng.integers(0, 4, size=6)
    check_gradients(net.gradient(x, t), TorchTwoLayerNet.from_npnet(net).gradient(x, t), "TwoLayerNet.gradient")


MUTANTS = [
    ("Affine", "backward", affine_dw_scaled, run_affine),
    ("Affine", "backward", affine_dw_scaled, run_two_layer_net),
    ("SoftmaxWithLoss", "backward", softmax_loss_without_batch_division, run_two_layer_net),
    ("Relu", "backward", relu_book_in_place, run_relu),
    ("Affine", "backward", affine_ignores_dout_scale, run_affine),
]


@pytest.mark.parametrize(
    "cls,method,mutant,check",
    MUTANTS,
    ids=["dW_x1.001-layer", "dW_x1.001-net", "no_batch_division", "relu_writes_dout", "ignores_dout"],
)
def test_planted_bug_is_caught(
    cls: str,
    method: str,
    mutant: Callable[..., Any],
    check: Callable[[np.random.Generator], None],
    monkeypatch: pytest.MonkeyPatch,
    rng: np.random.Generator,
) -> None:
    check(np.random.default_rng(1))  # the unbroken code passes this very check
    monkeypatch.setattr(getattr(nl, cls), method, mutant)
    with pytest.raises(AssertionError):
        check(rng)


def test_relu_gradient_at_zero_is_caught(monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator) -> None:
    """A Relu passing the gradient at exactly 0 (like torch.clamp) differs from torch.relu; the zeros catch it."""
    monkeypatch.setattr(nl.Relu, "forward", relu_forward_keeping_x)
    monkeypatch.setattr(nl.Relu, "backward", relu_passes_gradient_at_zero)
    with pytest.raises(AssertionError):
        run_relu(rng)


def batchnorm_forgets_the_variance_path(self: nl.BatchNormalization, dout: np.ndarray) -> np.ndarray:
    """A classic slip: backprop through ``xc / std`` but not through ``std`` itself."""
    dout2 = np.asarray(dout).reshape(self.xn.shape)
    self.dbeta, self.dgamma = dout2.sum(axis=0), np.sum(self.xn * dout2, axis=0)
    dxc = self.gamma * dout2 / self.std
    return (dxc - dxc.mean(axis=0)).reshape(self.input_shape)


def batchnorm_wrong_running_var(self: nl.BatchNormalization, x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    out = ORIGINAL["BatchNormBatch"](self, x)
    self.running_var += (1 - self.momentum) * np.var(x, axis=0) / (n - 1)  # a stray extra term
    return out


ORIGINAL["BatchNormBatch"] = nl.BatchNormalization._normalize_batch


def run_batchnorm(rng: np.random.Generator) -> None:
    layer = nl.BatchNormalization(1 + rng.standard_normal(4), rng.standard_normal(4))
    twin = ol.BatchNormalization.from_npnet(layer)
    check_forward_backward(
        layer, twin, [rng.standard_normal((5, 4))], rng, "BatchNormalization", param_grads=["dgamma", "dbeta"]
    )
    check_gradients(
        {"running_var": layer.running_var}, {"running_var": to_numpy(twin.running_var)}, "running", kind="value"
    )


@pytest.mark.parametrize(
    "method,mutant",
    [("backward", batchnorm_forgets_the_variance_path), ("_normalize_batch", batchnorm_wrong_running_var)],
    ids=["no_variance_path", "wrong_running_var"],
)
def test_planted_batchnorm_bug_is_caught(
    method: str, mutant: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator
) -> None:
    run_batchnorm(np.random.default_rng(1))
    monkeypatch.setattr(nl.BatchNormalization, method, mutant)
    with pytest.raises(AssertionError):
        run_batchnorm(rng)
