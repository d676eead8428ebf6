"""MultiLayerNet(Extend) against its nn.Module twin, for several depths and every option combination."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from npnet.nets import MultiLayerNet, MultiLayerNetExtend
from npnet.optim import SGD
from oracle.nets import MultiLayerNetExtend as TorchMultiLayerNetExtend
from tests.compare import assert_close
from tests.protocol import check_gradients

OPTIONS = list(
    itertools.product([[6], [6, 5], [6, 5, 4]], [False, True], [False, True], [0.0, 0.1], ["relu", "sigmoid"])
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "hidden,use_batchnorm,use_dropout,wd,activation",
    OPTIONS,
    ids=[f"h{len(h)}-bn{int(b)}-do{int(d)}-wd{w}-{a}" for h, b, d, w, a in OPTIONS],
)
def test_gradient_loss_and_running_stats(
    hidden: list[int],
    use_batchnorm: bool,
    use_dropout: bool,
    wd: float,
    activation: str,
    dtype: type,
    rng: np.random.Generator,
) -> None:
    net = MultiLayerNetExtend(
        8,
        hidden,
        4,
        activation=activation,
        weight_init_std="he",
        weight_decay_lambda=wd,
        use_dropout=use_dropout,
        dropout_ration=0.25,
        use_batchnorm=use_batchnorm,
        rng=rng,
        dtype=dtype,
    )
    twin = TorchMultiLayerNetExtend.from_npnet(net)
    x = rng.standard_normal((5, 8)).astype(dtype)
    t = rng.integers(0, 4, size=5)
    grads = net.gradient(x, t)  # a training forward: draws the masks, moves the running statistics
    twin.use_masks(net.dropout_masks())
    check_gradients(grads, twin.gradient(x, t), "MultiLayerNetExtend.gradient")
    check_gradients(net.running_stats(), twin.running_stats(), "running statistics", kind="value")
    assert_close(net.predict(x), twin.predict(x), "test-mode predict")
    assert_close(net.loss(x, t), twin.loss(x, t), "test-mode loss", dtype=dtype)
    with net.holding_state():  # the same masks again (the twin keeps the ones it was given)
        assert_close(net.loss(x, t, train_flg=True), twin.loss(x, t, train_flg=True), "train loss", dtype=dtype)


def test_multilayer_net_is_extend_without_options(rng: np.random.Generator) -> None:
    net = MultiLayerNet(6, [5, 4], 3, weight_decay_lambda=0.05, rng=rng)
    twin = TorchMultiLayerNetExtend.from_npnet(net)
    x, t = rng.standard_normal((3, 6)), rng.integers(0, 3, size=3)
    check_gradients(net.gradient(x, t), twin.gradient(x, t), "MultiLayerNet.gradient")


def test_weight_decay_through_torch_optim_param_groups(rng: np.random.Generator) -> None:
    """torch.optim.SGD(weight_decay=lam) decays every parameter it is given and leaves the loss alone; with the
    biases in a group of their own (weight_decay=0) it is exactly the book's decay of the weights in the gradient."""
    net = MultiLayerNet(6, [5], 3, weight_decay_lambda=0.1, rng=rng)
    plain_twin = TorchMultiLayerNetExtend.from_npnet(MultiLayerNet(6, [5], 3, rng=0))
    with torch.no_grad():
        for i, linear in enumerate(plain_twin.linears, start=1):
            linear.weight.copy_(torch.from_numpy(net.params[f"W{i}"].T))
            linear.bias.copy_(torch.from_numpy(net.params[f"b{i}"]))
    weights = [linear.weight for linear in plain_twin.linears]
    biases = [linear.bias for linear in plain_twin.linears]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": 0.1}, {"params": biases, "weight_decay": 0.0}], lr=0.05)
    sgd = SGD(lr=0.05)
    for _ in range(20):
        x, t = rng.standard_normal((4, 6)), rng.integers(0, 3, size=4)
        sgd.update(net.params, net.gradient(x, t))
        opt.zero_grad()
        objective, _ = plain_twin.objective_and_loss(x, t, train_flg=True)
        objective.backward()
        opt.step()
    check_gradients(net.params, plain_twin.params, "params after 20 steps, decay in the optimizer", kind="value")
