"""The benchmark's lean floor computes what npnet's loop computes, so the ratio between them measures overhead only.

A short run of both from the same weights and schedule must give the very same losses, reports and weights: the
lean loop does the same products and reductions in the same order, only without layers, checks and copies.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.lean import lean_training
from benchmarks.training import in_dtype, round_order
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


def test_every_contestant_runs_once_in_every_place() -> None:
    names = ["npnet", "lean", "torch cpu"]
    rounds = [round_order(["float32", "float64"], names, r) for r in range(len(names))]
    for dtype in ("float32", "float64"):
        places = [[name for d, name in order if d == dtype] for order in rounds]
        for place in range(len(names)):
            assert sorted(order[place] for order in places) == sorted(names), (dtype, place, places)
    assert [order[0][0] for order in rounds] == ["float32", "float64", "float32"]
    assert all(sorted(order) == sorted((d, n) for d in ("float32", "float64") for n in names) for order in rounds)


def test_the_data_are_cast_before_the_clock() -> None:
    x = np.zeros((3, 784), dtype=np.float32)
    t = np.arange(3)
    cast = in_dtype((x, t, x[:2], t[:2]), np.float64)
    assert [a.dtype for a in cast] == [np.float64, t.dtype, np.float64, t.dtype]
    assert in_dtype((x, t, x, t), np.float32)[0] is x  # nothing copied where the dtype already fits
