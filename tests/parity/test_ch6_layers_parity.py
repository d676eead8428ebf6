"""Dropout and BatchNormalization against PyTorch: shared masks, both conventions, running statistics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import npnet.layers as nl
import oracle.layers as ol
from oracle.convert import to_numpy
from tests.compare import assert_close
from tests.protocol import check_forward_backward, upstream_gradient

DTYPES = [np.float64, np.float32]
SHAPES = [(1, 5), (4, 7), (3, 2, 4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("inverted", [False, True], ids=["book", "inverted"])
@pytest.mark.parametrize("ratio", [0.2, 0.5])
def test_dropout_train_with_shared_mask(
    ratio: float, inverted: bool, shape: tuple[int, ...], dtype: type, rng: np.random.Generator
) -> None:
    layer = nl.Dropout(ratio, rng=rng, inverted=inverted)
    x = rng.standard_normal(shape).astype(dtype)
    check_forward_backward(layer, ol.Dropout.from_npnet(layer), [x], rng, "Dropout", forward_kwargs={"train_flg": True})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("inverted", [False, True], ids=["book", "inverted"])
def test_dropout_test_time(inverted: bool, dtype: type, rng: np.random.Generator) -> None:
    layer = nl.Dropout(0.3, rng=rng, inverted=inverted)
    x = rng.standard_normal((4, 6)).astype(dtype)
    assert_close(
        layer.forward(x, train_flg=False),
        ol.Dropout.from_npnet(layer).forward(x, train_flg=False),
        "Dropout test-time forward",
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_f_dropout_is_npnet_inverted_dropout(dtype: type, rng: np.random.Generator) -> None:
    """torch's own F.dropout, given npnet its mask, is npnet's inverted convention exactly (forward and backward)."""
    x = (rng.standard_normal((6, 5)) + 3.0).astype(dtype)  # no zeros, so the mask is readable from the output
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    torch.manual_seed(int(rng.integers(2**31)))
    out = F.dropout(xt, p=0.4, training=True)
    layer = nl.Dropout(0.4, inverted=True)
    layer.mask, layer.hold = to_numpy(out) != 0, True
    assert_close(layer.forward(x), to_numpy(out), "F.dropout forward")
    g = upstream_gradient(x, rng)
    (dx,) = torch.autograd.grad(out, xt, torch.from_numpy(g))
    assert_close(layer.backward(g), to_numpy(dx), "F.dropout backward")


def make_bn(rng: np.random.Generator, d: int, dtype: type, convention: str) -> nl.BatchNormalization:
    gamma = (1 + 0.5 * rng.standard_normal(d)).astype(dtype)
    beta = rng.standard_normal(d).astype(dtype)
    return nl.BatchNormalization(gamma, beta, running_var_convention=convention)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3), (5, 4), (8, 1), (4, 3, 2, 2)], ids=["b2", "b5", "d1", "4d"])
@pytest.mark.parametrize("convention", ["book", "pytorch"])
def test_batchnorm_train_forward_backward(
    convention: str, shape: tuple[int, ...], dtype: type, rng: np.random.Generator
) -> None:
    layer = make_bn(rng, int(np.prod(shape[1:])), dtype, convention)
    twin = ol.BatchNormalization.from_npnet(layer)
    x = (2 * rng.standard_normal(shape) + 1).astype(dtype)
    check_forward_backward(
        layer, twin, [x], rng, "BatchNormalization", param_grads=["dgamma", "dbeta"], forward_kwargs={"train_flg": True}
    )
    assert_close(layer.running_mean, to_numpy(twin.running_mean), "running_mean")
    assert_close(layer.running_var, to_numpy(twin.running_var), "running_var")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("convention", ["book", "pytorch"])
def test_batchnorm_running_stats_over_steps_then_eval(convention: str, dtype: type, rng: np.random.Generator) -> None:
    layer = make_bn(rng, 6, dtype, convention)
    twin = ol.BatchNormalization.from_npnet(layer)
    for step in range(7):
        x = (rng.standard_normal((5, 6)) * (step + 1) + step).astype(dtype)
        assert_close(layer.forward(x), twin.forward(x), f"train forward, step {step}")
    assert_close(layer.running_mean, to_numpy(twin.running_mean), "running_mean after 7 steps")
    assert_close(layer.running_var, to_numpy(twin.running_var), "running_var after 7 steps")
    x = rng.standard_normal((3, 6)).astype(dtype)
    assert_close(layer.forward(x, train_flg=False), twin.forward(x, train_flg=False), "eval forward")


@pytest.mark.parametrize("dtype", DTYPES)
def test_pytorch_convention_is_nn_batchnorm1d(dtype: type, rng: np.random.Generator) -> None:
    """With running_var_convention="pytorch", npnet is torch's own nn.BatchNorm1d (eps=1e-6, momentum=1-0.9)."""
    layer = make_bn(rng, 4, dtype, "pytorch")
    module = nn.BatchNorm1d(4, eps=layer.eps, momentum=1 - layer.momentum, dtype=torch.from_numpy(layer.gamma).dtype)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(layer.gamma))
        module.bias.copy_(torch.from_numpy(layer.beta))
    for _ in range(5):
        x = (3 * rng.standard_normal((6, 4)) - 1).astype(dtype)
        assert_close(layer.forward(x), to_numpy(module(torch.from_numpy(x))), "train forward vs nn.BatchNorm1d")
    assert_close(layer.running_mean, to_numpy(module.running_mean), "running_mean vs nn.BatchNorm1d")
    assert_close(layer.running_var, to_numpy(module.running_var), "running_var vs nn.BatchNorm1d")
    module.eval()
    x = rng.standard_normal((2, 4)).astype(dtype)
    assert_close(layer.forward(x, train_flg=False), to_numpy(module(torch.from_numpy(x))), "eval vs nn.BatchNorm1d")


def test_book_running_var_is_not_torchs(rng: np.random.Generator) -> None:
    """The documented difference is real: after one step the two conventions differ by exactly the N/(N-1) factor
    on the batch term, and by the starting value (0 against 1)."""
    x = rng.standard_normal((4, 3))
    book, torch_like = make_bn(rng, 3, np.float64, "book"), make_bn(rng, 3, np.float64, "pytorch")
    book.forward(x)
    torch_like.forward(x)
    var = x.var(axis=0)
    np.testing.assert_allclose(book.running_var, 0.1 * var, rtol=1e-14)
    np.testing.assert_allclose(torch_like.running_var, 0.9 + 0.1 * var * 4 / 3, rtol=1e-14)
