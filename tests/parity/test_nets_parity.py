"""TwoLayerNet against its nn.Module twin: predict, loss, accuracy and every gradient."""

from __future__ import annotations

import numpy as np
import pytest

from npnet.functions import CROSS_ENTROPY_DELTA
from npnet.nets import TwoLayerNet
from oracle.nets import TwoLayerNet as TorchTwoLayerNet
from tests.compare import assert_close
from tests.protocol import check_gradients


def make_case(
    rng: np.random.Generator,
    batch: int,
    dtype: type,
    activation: str,
    labels: str,
    delta: float = CROSS_ENTROPY_DELTA,
    sizes: tuple[int, int, int] = (12, 7, 5),
) -> tuple[TwoLayerNet, np.ndarray, np.ndarray]:
    d, h, c = sizes
    net = TwoLayerNet(d, h, c, weight_init_std=0.5, activation=activation, rng=rng, dtype=dtype, loss_delta=delta)
    x = rng.standard_normal((batch, d)).astype(dtype)
    idx = rng.integers(0, c, size=batch)
    t = np.eye(c, dtype=dtype)[idx] if labels == "one_hot" else idx
    return net, x, t


CASES = pytest.mark.parametrize("dtype", [np.float64, np.float32])
BATCHES = pytest.mark.parametrize("batch", [1, 2, 9])
ACTIVATIONS = pytest.mark.parametrize("activation", ["relu", "sigmoid"])
LABELS = pytest.mark.parametrize("labels", ["index", "one_hot"])


@CASES
@BATCHES
@ACTIVATIONS
def test_predict(batch: int, activation: str, dtype: type, rng: np.random.Generator) -> None:
    net, x, _ = make_case(rng, batch, dtype, activation, "index")
    assert_close(net.predict(x), TorchTwoLayerNet.from_npnet(net).predict(x), "TwoLayerNet.predict")


@CASES
@BATCHES
@ACTIVATIONS
@LABELS
@pytest.mark.parametrize("delta", [CROSS_ENTROPY_DELTA, 0.0], ids=["book_delta", "no_delta"])
def test_loss_and_gradient(
    batch: int, activation: str, labels: str, delta: float, dtype: type, rng: np.random.Generator
) -> None:
    net, x, t = make_case(rng, batch, dtype, activation, labels, delta)
    twin = TorchTwoLayerNet.from_npnet(net)
    assert_close(net.loss(x, t), twin.loss(x, t), "TwoLayerNet.loss", dtype=dtype)
    check_gradients(net.gradient(x, t), twin.gradient(x, t), "TwoLayerNet.gradient")


@ACTIVATIONS
def test_accuracy_and_mnist_shapes(activation: str, mnist: tuple, rng: np.random.Generator) -> None:
    (x_train, t_train), _ = mnist
    net = TwoLayerNet(784, 50, 10, activation=activation, rng=rng)
    twin = TorchTwoLayerNet.from_npnet(net)
    x, t = x_train[:300], t_train[:300]
    assert net.accuracy(x, t) == twin.accuracy(x, t)
    check_gradients(net.gradient(x, t), twin.gradient(x, t), "TwoLayerNet.gradient on MNIST")


def test_twin_copies_weights(rng: np.random.Generator) -> None:
    """The twin holds copies: training npnet afterwards must not move the twin."""
    net, _, _ = make_case(rng, 2, np.float64, "relu", "index")
    twin = TorchTwoLayerNet.from_npnet(net)
    before = twin.params
    net.params["W1"] += 1.0
    check_gradients(twin.params, before, "twin params", kind="value")
