"""A twin built after ``net.params[key] = array`` or ``load_params`` computes what npnet computes (issue 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from npnet.nets import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet
from oracle.nets import twin_of
from tests.compare import assert_close

NETS = {
    "TwoLayerNet": lambda: TwoLayerNet(4, 3, 2, rng=0),
    "MultiLayerNet": lambda: MultiLayerNet(4, [3, 3], 2, rng=0),
    "MultiLayerNetExtend": lambda: MultiLayerNetExtend(4, [3], 2, use_batchnorm=True, rng=0),
}


@pytest.mark.parametrize("make", NETS.values(), ids=NETS.keys())
def test_twin_sees_an_assigned_array(make: Any, rng: np.random.Generator) -> None:
    net = make()
    for key in ("W1", "b2"):
        net.params[key] = rng.standard_normal(net.params[key].shape)
    x, t = rng.standard_normal((6, 4)), rng.integers(0, 2, 6)
    twin = twin_of(net)
    assert_close(twin.predict(x), net.predict(x), "scores")
    assert_close(twin.loss(x, t), net.loss(x, t), "loss")


def test_twin_of_a_loaded_batchnorm_net_predicts_alike(tmp_path: Path, rng: np.random.Generator) -> None:
    trained = MultiLayerNetExtend(4, [3], 2, use_batchnorm=True, rng=0)
    for _ in range(5):
        x = 10.0 + 5.0 * rng.standard_normal((8, 4))
        grads = trained.gradient(x, rng.integers(0, 2, 8))
        for key in trained.params:
            trained.params[key] -= 0.1 * grads[key]
    trained.save_params(tmp_path / "bn.npz")
    loaded = MultiLayerNetExtend(4, [3], 2, use_batchnorm=True, rng=1)
    loaded.load_params(tmp_path / "bn.npz")
    x = 10.0 + 5.0 * rng.standard_normal((5, 4))
    assert_close(twin_of(loaded).predict(x), trained.predict(x), "test-mode scores")
