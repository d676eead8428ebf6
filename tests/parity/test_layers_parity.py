"""Every chapter-5 layer against its PyTorch twin: forward, and backward of one random upstream gradient."""

from __future__ import annotations

import numpy as np
import pytest

import npnet.layers as nl
import oracle.layers as ol
from tests.compare import assert_close
from tests.protocol import check_forward_backward

DTYPES = [np.float64, np.float32]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (2, 3, 5)])
@pytest.mark.parametrize("layer", ["MulLayer", "AddLayer"])
def test_naive_layers(layer: str, shape: tuple[int, ...], dtype: type, rng: np.random.Generator) -> None:
    x, y = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    check_forward_backward(getattr(nl, layer)(), getattr(ol, layer)(), [x, y], rng, layer)


def test_book_apple_example() -> None:
    """Chapter 5's buy-apples graph: 2 apples at 100 with 10% tax; the book's printed answers."""
    mul_apple, mul_tax = nl.MulLayer(), nl.MulLayer()
    price = mul_tax.forward(mul_apple.forward(100, 2), 1.1)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert price == pytest.approx(220.0)
    assert (dapple, dapple_num, dtax) == pytest.approx((2.2, 110.0, 200.0))
    twin_apple, twin_tax = ol.MulLayer(), ol.MulLayer()
    assert float(twin_tax.forward(twin_apple.forward(100, 2), 1.1)) == price
    dap, dtx = twin_tax.backward(1.0)
    assert (float(dtx), *map(float, twin_apple.backward(dap))) == (dtax, dapple, dapple_num)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (4, 5), (3, 2, 4)])
@pytest.mark.parametrize("layer", ["Relu", "Sigmoid"])
def test_activation_layers(layer: str, shape: tuple[int, ...], dtype: type, rng: np.random.Generator) -> None:
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    x.reshape(-1)[::3] = 0  # exact zeros: the Relu layer's gradient there is 0, as torch.relu's
    check_forward_backward(getattr(nl, layer)(), getattr(ol, layer)(), [x], rng, layer)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "x_shape,out",
    [((1, 4), 3), ((5, 7), 2), ((6, 3), 1), ((2, 3, 4), 5), ((3, 1, 2, 3), 4)],
    ids=["b1", "odd", "out1", "3d", "4d"],
)
def test_affine(x_shape: tuple[int, ...], out: int, dtype: type, rng: np.random.Generator) -> None:
    d = int(np.prod(x_shape[1:]))
    W = rng.standard_normal((d, out)).astype(dtype)
    b = rng.standard_normal(out).astype(dtype)
    x = rng.standard_normal(x_shape).astype(dtype)
    W0, b0 = W.copy(), b.copy()
    layer = nl.Affine(W, b)
    check_forward_backward(layer, ol.Affine.from_npnet(layer), [x], rng, "Affine", param_grads=["dW", "db"])
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch,classes", [(1, 10), (2, 3), (13, 10)])
@pytest.mark.parametrize("labels", ["index", "one_hot"])
@pytest.mark.parametrize("delta", [nl.CROSS_ENTROPY_DELTA, 0.0], ids=["book_delta", "no_delta"])
@pytest.mark.parametrize("scale", [1.0, 100.0], ids=["normal", "large_logits"])
def test_softmax_with_loss(
    batch: int, classes: int, labels: str, delta: float, scale: float, dtype: type, rng: np.random.Generator
) -> None:
    x = (scale * rng.standard_normal((batch, classes))).astype(dtype)
    idx = rng.integers(0, classes, size=batch)
    t = np.eye(classes, dtype=dtype)[idx] if labels == "one_hot" else idx
    x0, t0 = x.copy(), t.copy()
    ours, twin = nl.SoftmaxWithLoss(delta), ol.SoftmaxWithLoss(delta)
    assert_close(ours.forward(x, t), twin.forward(x, t), "SoftmaxWithLoss forward", dtype=dtype)
    dout = float(rng.standard_normal())
    assert_close(ours.backward(dout), twin.backward(dout), "SoftmaxWithLoss backward dx", "grad")
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(t, t0)


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["normal", "huge_logits"])
def test_softmax_with_loss_matches_f_cross_entropy_without_delta(scale: float, rng: np.random.Generator) -> None:
    """With delta=0 the layer's forward is PyTorch's F.cross_entropy itself, finite even where softmax underflows."""
    import torch
    import torch.nn.functional as F

    x = scale * rng.standard_normal((9, 10))
    t = rng.integers(0, 10, size=9)
    expected = float(F.cross_entropy(torch.from_numpy(x), torch.from_numpy(t)))
    assert_close(nl.SoftmaxWithLoss(delta=0.0).forward(x, t), expected, "loss vs F.cross_entropy")
