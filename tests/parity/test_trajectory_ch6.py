"""MultiLayerNetExtend with batch norm, dropout and weight decay, trained by Adam on MNIST beside its twin."""

from __future__ import annotations

import numpy as np
import pytest

from npnet.nets import MultiLayerNetExtend
from npnet.optim import Adam, Momentum
from npnet.train import minibatch_schedule
from oracle.nets import MultiLayerNetExtend as TorchMultiLayerNetExtend
from oracle.optim import make_torch_optimizer
from tests.protocol import check_gradients

STEPS = 120


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", [Adam(lr=0.001), Momentum(lr=0.01)], ids=["adam", "momentum"])
def test_extend_trajectory_float64(optimizer: object, mnist: tuple) -> None:
    (x_train, t_train), _ = mnist
    x_train, t_train = x_train[:3000].astype(np.float64), t_train[:3000]
    gen = np.random.default_rng(7)
    net = MultiLayerNetExtend(
        784,
        [50, 40, 30],
        10,
        weight_init_std="he",
        weight_decay_lambda=0.01,
        use_dropout=True,
        dropout_ration=0.2,
        use_batchnorm=True,
        rng=gen,
    )
    twin = TorchMultiLayerNetExtend.from_npnet(net)
    torch_opt = make_torch_optimizer(optimizer, twin.parameters())
    losses = []
    for batch in minibatch_schedule(len(x_train), 64, STEPS, gen):
        x, t = x_train[batch], t_train[batch]
        grads = net.gradient(x, t)
        optimizer.update(net.params, grads)
        twin.use_masks(net.dropout_masks())
        torch_opt.zero_grad(set_to_none=True)
        objective, _ = twin.objective_and_loss(x, t, train_flg=True)
        objective.backward()
        torch_opt.step()
        losses.append(objective.item())
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.3  # it learned
    check_gradients(net.params, twin.params, f"params after {STEPS} steps", kind="trajectory")
    check_gradients(net.running_stats(), twin.running_stats(), f"running stats after {STEPS} steps", kind="trajectory")
