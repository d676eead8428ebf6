"""Chapter 6 in float64 against numerical gradients, with masks held and running statistics untouched (NumPy only)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import npnet.layers as nl
from npnet.gradient import gradient_check, numerical_gradient
from npnet.nets import MultiLayerNet, MultiLayerNetExtend, init_scale
from tests.compare import assert_close


def test_batchnorm_backward_vs_numerical(rng: np.random.Generator) -> None:
    gamma, beta = 1 + rng.standard_normal(4), rng.standard_normal(4)
    x = rng.standard_normal((5, 4))
    layer = nl.BatchNormalization(gamma, beta)
    layer.hold = True
    dout = rng.standard_normal((5, 4))
    layer.forward(x)
    dx = layer.backward(dout)

    def objective(_: np.ndarray) -> float:
        return float(np.sum(layer.forward(x) * dout))

    assert_close(dx, numerical_gradient(objective, x), "BatchNormalization dx", "numerical")
    dgamma, dbeta = layer.dgamma, layer.dbeta
    assert_close(dgamma, numerical_gradient(objective, gamma), "dgamma", "numerical")
    assert_close(dbeta, numerical_gradient(objective, beta), "dbeta", "numerical")
    np.testing.assert_array_equal(layer.running_mean, np.zeros(4))  # held: never updated


def test_dropout_backward_vs_numerical_with_held_mask(rng: np.random.Generator) -> None:
    layer = nl.Dropout(0.5, rng=rng)
    x, dout = rng.standard_normal((3, 6)), rng.standard_normal((3, 6))
    layer.forward(x)
    layer.hold = True
    dx = layer.backward(dout)
    assert_close(dx, numerical_gradient(lambda _: float(np.sum(layer.forward(x) * dout)), x), "Dropout dx", "numerical")


def min_relu_input(net: MultiLayerNetExtend, x: np.ndarray) -> float:
    """The smallest |input| of any ReLU in a training forward (masks held): how far the net sits from a kink."""
    smallest = np.inf
    for layer in net.layers.values():
        if isinstance(layer, nl.Relu):
            smallest = min(smallest, float(np.min(np.abs(x))))
        x = layer.forward(x, True) if isinstance(layer, (nl.Dropout, nl.BatchNormalization)) else layer.forward(x)
    return smallest


def away_from_kinks(net: MultiLayerNetExtend, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Random biases and a batch whose ReLU inputs all lie at least 1e-3 from 0.

    A central difference with h = 1e-4 across a ReLU kink estimates the mean of the two one-sided slopes, not
    the gradient, so a gradient check is only meaningful away from kinks. Zero biases put dead units exactly on one
    (a unit whose inputs are all zero has pre-activation b = 0), hence the random biases.
    """
    for key, value in net.params.items():
        if key.startswith("b"):
            value[...] = 0.1 * rng.standard_normal(value.shape)
    for _ in range(100):
        x = rng.standard_normal(shape)
        if min_relu_input(net, x) > 1e-3:
            return x
    raise AssertionError("no batch clear of ReLU kinks in 100 draws; change the case")


OPTIONS = list(itertools.product([[5], [6, 4], [5, 4, 3]], [False, True], [False, True], [0.0, 0.3]))


@pytest.mark.parametrize(
    "hidden,use_batchnorm,use_dropout,wd",
    OPTIONS,
    ids=[f"h{len(h)}-bn{int(b)}-do{int(d)}-wd{w}" for h, b, d, w in OPTIONS],
)
def test_multilayer_net_extend_gradient_check(
    hidden: list[int], use_batchnorm: bool, use_dropout: bool, wd: float, rng: np.random.Generator
) -> None:
    """Backprop against central differences with h = 1e-5: batch norm over 4 samples has third derivatives in the
    thousands, so the book's h = 1e-4 leaves a truncation error (h**2/6 * |third derivative|) near the 1e-7 bound
    (measured: it falls a hundredfold per tenfold smaller h), while 1e-5 keeps round-off (eps * |f| / h, ~2e-11)
    far below it.
    """
    net = MultiLayerNetExtend(
        7,
        hidden,
        3,
        activation="relu",
        weight_init_std=0.5,
        weight_decay_lambda=wd,
        use_dropout=use_dropout,
        dropout_ration=0.3,
        use_batchnorm=use_batchnorm,
        rng=rng,
        loss_delta=0.0,
    )
    t = rng.integers(0, 3, size=4)
    with net.holding_state():
        x = away_from_kinks(net, rng, (4, 7))
        backprop = net.gradient(x, t)
        stats_before = {k: v.copy() for k, v in net.running_stats().items()}
        numerical = net.numerical_gradient(x, t, h=1e-5)
    for key in net.params:
        assert_close(backprop[key], numerical[key], f"d{key}", "numerical")
    for key, value in net.running_stats().items():
        np.testing.assert_array_equal(value, stats_before[key], err_msg=f"{key} moved during numerical_gradient")


def test_numerical_gradient_holds_masks_and_stats_by_itself(rng: np.random.Generator) -> None:
    net = MultiLayerNetExtend(5, [4], 2, use_dropout=True, use_batchnorm=True, rng=rng)
    x, t = rng.standard_normal((3, 5)), rng.integers(0, 2, size=3)
    net.gradient(x, t)
    masks, stats = [m.copy() for m in net.dropout_masks()], {k: v.copy() for k, v in net.running_stats().items()}
    net.numerical_gradient(x, t)
    for before, after in zip(masks, net.dropout_masks(), strict=True):
        np.testing.assert_array_equal(before, after)
    for key, value in net.running_stats().items():
        np.testing.assert_array_equal(value, stats[key])
    assert not any(layer.hold for layer in net.stochastic_layers())  # released afterwards


def test_weight_decay_in_loss_and_gradient(rng: np.random.Generator) -> None:
    plain = MultiLayerNet(4, [3, 3], 2, weight_init_std=0.7, rng=1)
    decayed = MultiLayerNet(4, [3, 3], 2, weight_init_std=0.7, weight_decay_lambda=0.2, rng=1)
    x, t = rng.standard_normal((5, 4)), rng.integers(0, 2, size=5)
    expected = sum(0.5 * 0.2 * np.sum(decayed.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + expected, rel=1e-14)
    g_plain, g_decayed = plain.gradient(x, t), decayed.gradient(x, t)
    for i in (1, 2, 3):
        assert_close(g_decayed[f"W{i}"], g_plain[f"W{i}"] + 0.2 * decayed.params[f"W{i}"], f"dW{i}", "grad")
        assert_close(g_decayed[f"b{i}"], g_plain[f"b{i}"], f"db{i}", "grad")  # biases are not decayed


@pytest.mark.parametrize(
    "name,expected",
    [
        ("relu", np.sqrt(2 / 50)),
        ("He", np.sqrt(2 / 50)),
        ("sigmoid", np.sqrt(1 / 50)),
        ("xavier", np.sqrt(1 / 50)),
        (0.01, 0.01),
    ],
)
def test_init_scale(name: str | float, expected: float) -> None:
    assert init_scale(name, 50) == pytest.approx(expected, rel=1e-15)


def test_init_scale_draws_that_std() -> None:
    net = MultiLayerNet(400, [300], 10, weight_init_std="he", rng=0)
    assert np.std(net.params["W1"]) == pytest.approx(np.sqrt(2 / 400), rel=0.01)
    assert np.std(net.params["W2"]) == pytest.approx(np.sqrt(2 / 300), rel=0.05)


def test_structure_and_names() -> None:
    net = MultiLayerNetExtend(4, [3, 2], 2, use_batchnorm=True, use_dropout=True, rng=0)
    assert list(net.layers) == [
        "Affine1",
        "BatchNorm1",
        "Activation_function1",
        "Dropout1",
        "Affine2",
        "BatchNorm2",
        "Activation_function2",
        "Dropout2",
        "Affine3",
    ]
    assert sorted(net.params) == sorted(["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"])
    assert net.layers["BatchNorm1"].gamma is net.params["gamma1"]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"weight_init_std": "lecun"}, "weight_init_std"),
        ({"weight_decay_lambda": -1}, "weight_decay_lambda"),
        ({"dropout_ration": 1.0, "use_dropout": True}, "dropout_ratio"),
        ({"activation": "gelu"}, "activation"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MultiLayerNetExtend(4, [3], 2, **kwargs)


def test_gradient_check_reports_every_parameter(rng: np.random.Generator) -> None:
    net = MultiLayerNetExtend(5, [4], 3, use_batchnorm=True, rng=rng, loss_delta=0.0)
    report = gradient_check(net, rng.standard_normal((3, 5)), rng.integers(0, 3, size=3))
    assert set(report) == set(net.params)
    assert max(r.mean_abs_diff for r in report.values()) < 1e-8
