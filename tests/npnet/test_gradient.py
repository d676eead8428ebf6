"""Numerical differentiation and backprop-against-numerical checks, in float64 (NumPy only)."""

from __future__ import annotations

import numpy as np
import pytest

import npnet.layers as nl
from npnet.functions import softmax
from npnet.gradient import compare_gradients, gradient_check, numerical_diff, numerical_gradient
from npnet.nets import TwoLayerNet
from tests.compare import assert_close


def test_numerical_diff_book_example() -> None:
    # Chapter 4: f(x) = 0.01 x^2 + 0.1 x has f'(5) = 0.2 and f'(10) = 0.3; central differences are exact on
    # a quadratic up to round-off.
    f = lambda x: 0.01 * x**2 + 0.1 * x  # noqa: E731
    assert numerical_diff(f, 5.0) == pytest.approx(0.2, abs=1e-10)
    assert numerical_diff(f, 10.0) == pytest.approx(0.3, abs=1e-10)


def test_numerical_gradient_book_example() -> None:
    f = lambda x: np.sum(x**2)  # noqa: E731
    assert_close(numerical_gradient(f, np.array([3.0, 4.0])), np.array([6.0, 8.0]), "grad", "numerical")
    assert_close(numerical_gradient(f, np.array([[0.0, 2.0]])), np.array([[0.0, 4.0]]), "grad", "numerical")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numerical_gradient_restores_x_bit_for_bit(dtype: type, rng: np.random.Generator) -> None:
    x = (rng.standard_normal((4, 3)) * 10).astype(dtype)
    before = x.copy()
    grad = numerical_gradient(lambda z: float(np.sum(np.sin(z))), x)
    assert grad.dtype == x.dtype and grad.shape == x.shape
    np.testing.assert_array_equal(x, before)
    # float32: dividing by the realised step keeps the estimate within the function's own round-off.
    rtol = 1e-6 if dtype == np.float64 else 5e-3
    np.testing.assert_allclose(grad, np.cos(before.astype(np.float64)), rtol=rtol, atol=rtol)


def test_numerical_gradient_refuses_what_it_cannot_perturb() -> None:
    with pytest.raises(TypeError, match="floating-point numpy array"):
        numerical_gradient(np.sum, np.array([1, 2]))
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        numerical_gradient(np.sum, frozen)
    with pytest.raises(ValueError, match="vanishes"):
        numerical_gradient(np.sum, np.array([1e8], dtype=np.float32))


def backprop_vs_numerical(layer_forward, layer_backward, x: np.ndarray, rng: np.random.Generator) -> None:
    """Backward of a random upstream gradient against the numerical gradient of <forward(x), dout>."""
    dout = rng.standard_normal(layer_forward(x).shape)
    dx = layer_backward(dout)
    expected = numerical_gradient(lambda z: float(np.sum(layer_forward(z) * dout)), x)
    assert_close(dx, expected, "dx", "numerical")


@pytest.mark.parametrize("layer", ["Relu", "Sigmoid"])
def test_activation_backward_vs_numerical(layer: str, rng: np.random.Generator) -> None:
    x = rng.standard_normal((3, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of Relu's kink, where a central difference is meaningless
    obj = getattr(nl, layer)()
    obj.forward(x)
    backprop_vs_numerical(lambda z: getattr(nl, layer)().forward(z), obj.backward, x, rng)


def test_affine_backward_vs_numerical(rng: np.random.Generator) -> None:
    W, b, x = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal((3, 2, 3))
    layer = nl.Affine(W, b)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    objective = lambda _: float(np.sum(nl.Affine(W, b).forward(x) * dout))  # noqa: E731
    assert_close(dx, numerical_gradient(objective, x), "Affine dx", "numerical")
    assert_close(layer.dW, numerical_gradient(objective, W), "Affine dW", "numerical")
    assert_close(layer.db, numerical_gradient(objective, b), "Affine db", "numerical")


@pytest.mark.parametrize("labels", ["index", "one_hot"])
def test_softmax_with_loss_backward_vs_numerical(labels: str, rng: np.random.Generator) -> None:
    x = rng.standard_normal((4, 5))
    idx = rng.integers(0, 5, size=4)
    t = np.eye(5)[idx] if labels == "one_hot" else idx
    layer = nl.SoftmaxWithLoss(delta=0.0)
    layer.forward(x, t)
    dx = layer.backward(0.7)
    assert_close(dx, numerical_gradient(lambda z: 0.7 * nl.SoftmaxWithLoss(0.0).forward(z, t), x), "dx", "numerical")
    assert_close(dx / 0.7, (softmax(x) - np.eye(5)[idx]) / 4, "dx formula", "grad")


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("batch", [1, 3])
def test_two_layer_net_gradient_check(activation: str, batch: int, rng: np.random.Generator) -> None:
    """Backprop equals the numerical gradient of the same (delta-free) loss, to the numerical tolerance."""
    net = TwoLayerNet(10, 6, 4, weight_init_std=0.3, activation=activation, rng=rng, loss_delta=0.0)
    x, t = rng.standard_normal((batch, 10)), rng.integers(0, 4, size=batch)
    backprop, numerical = net.gradient(x, t), net.numerical_gradient(x, t)
    for key in net.params:
        assert_close(backprop[key], numerical[key], f"TwoLayerNet d{key}", "numerical")
    report = gradient_check(net, x, t)
    assert set(report) == {"W1", "b1", "W2", "b2"}
    assert all(r.mean_abs_diff < 1e-8 for r in report.values()), report


def test_book_delta_biases_the_numerical_gradient(rng: np.random.Generator) -> None:
    """With the book's delta, numerical and backprop gradients differ by about delta / y_t: measurable."""
    net = TwoLayerNet(10, 6, 4, weight_init_std=0.3, rng=rng)
    x, t = rng.standard_normal((3, 10)), rng.integers(0, 4, size=3)
    biased = gradient_check(net, x, t)["b2"].mean_abs_diff
    net.lastLayer.delta = 0.0
    exact = gradient_check(net, x, t)["b2"].mean_abs_diff
    assert biased > 1e-8 and biased > 100 * exact


def test_compare_gradients_reports_worst_relative_miss() -> None:
    report = compare_gradients({"W": np.array([1.0, 2.0])}, {"W": np.array([1.0, 2.2])})
    assert report["W"].mean_abs_diff == pytest.approx(0.1)
    assert report["W"].max_rel_diff == pytest.approx(0.2 / 4.2)
    with pytest.raises(ValueError, match="keys"):
        compare_gradients({"W": np.ones(1)}, {"b": np.ones(1)})
