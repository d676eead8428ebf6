"""The benchmark's lean floor computes what npnet's loop computes, so the ratio between them measures overhead only.

A short run of both from the same weights and schedule must give the very same losses, reports and weights: the
lean loop does the same products and reductions in the same order, only without layers, checks and copies.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.lean import lean_training
from npnet.nets import TwoLayerNet
from npnet.train import minibatch_schedule, train_network


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lean_floor_is_npnet_bit_for_bit(dtype: type, mnist: tuple) -> None:
    (x_train, t_train), (x_test, t_test) = mnist
    data = (x_train[:1000], t_train[:1000], x_test[:300], t_test[:300])
    net = TwoLayerNet(784, 20, 10, rng=3, dtype=dtype)
    params = {key: value.copy() for key, value in net.params.items()}
    history = train_network(net, *data, iters_num=25, batch_size=100, learning_rate=0.1, rng=4, verbose=False)
    lean = lean_training(params, *data, minibatch_schedule(1000, 100, 25, 4), learning_rate=0.1)
    assert lean.losses == history.train_loss_list
    assert lean.reports == [(r.iteration, r.train_acc, r.test_acc) for r in history.reports]
    for key, value in net.params.items():
        np.testing.assert_array_equal(params[key], value, err_msg=key)
