"""Whole training runs: npnet's SGD loop and torch.optim.SGD on the same MNIST mini-batches, step for step."""

from __future__ import annotations

import numpy as np
import pytest

from npnet.nets import TwoLayerNet
from npnet.train import History, lockstep, minibatch_schedule, sgd_training
from oracle.nets import TwoLayerNet as TorchTwoLayerNet
from oracle.train import sgd_training as torch_sgd_training
from tests.compare import assert_close
from tests.protocol import check_gradients

STEPS = 150


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_sgd_trajectory_float64(activation: str, mnist: tuple) -> None:
    (x_train, t_train), (x_test, t_test) = mnist
    x_train, x_test = x_train[:6000].astype(np.float64), x_test[:1000].astype(np.float64)
    t_train, t_test = t_train[:6000], t_test[:1000]
    gen = np.random.default_rng(2024)
    net = TwoLayerNet(784, 50, 10, activation=activation, rng=gen)
    twin = TorchTwoLayerNet.from_npnet(net)
    schedule = minibatch_schedule(len(x_train), 100, STEPS, gen)
    ours, theirs = History(), History()
    pairs = list(
        lockstep(
            sgd_training(net, x_train, t_train, x_test, t_test, schedule, 0.1, ours),
            torch_sgd_training(twin, x_train, t_train, x_test, t_test, schedule, 0.1, theirs),
        )
    )
    assert len(pairs) == 3  # reports after iterations 0, 60 and 120
    for a, b in pairs:
        assert (a.epoch, a.iteration) == (b.epoch, b.iteration)
        # argmax of scores that agree to round-off: the same predictions, so the very same accuracies
        assert (a.train_acc, a.test_acc) == (b.train_acc, b.test_acc)
    assert len(ours.train_loss_list) == len(theirs.train_loss_list) == STEPS
    assert_close(np.array(ours.train_loss_list), np.array(theirs.train_loss_list), "loss trajectory", "trajectory")
    assert np.mean(ours.train_loss_list[-10:]) < np.mean(ours.train_loss_list[:10]) - 0.02  # it did learn
    check_gradients(net.params, twin.params, f"params after {STEPS} SGD steps", kind="trajectory")
