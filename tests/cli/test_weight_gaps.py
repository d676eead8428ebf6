"""The weight gaps ``npnet train`` reports: which parameters they cover, and what the float32 verdict says.

A bias that feeds batch norm is subtracted again by it, so the training loss does not depend on it and its gradient
is round-off; an adaptive optimizer turns that round-off into steps of about the learning rate (seen on a float32
Adam run with batch norm: every weight within 2e-6 of its twin, b1 and b2 1e-3 apart). The gaps leave those biases
out and name them apart.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from npnet.nets import MultiLayerNetExtend
from npnet_cli.pairs import Pair, batchnorm_fed_biases
from npnet_cli.train_outputs import float32_verdict
from tests.compare import assert_close


def extend_net(use_batchnorm: bool) -> MultiLayerNetExtend:
    return MultiLayerNetExtend(6, [5, 4], 3, use_batchnorm=use_batchnorm, rng=0)


@pytest.mark.parametrize("use_batchnorm", [True, False])
def test_the_named_biases_are_exactly_those_the_training_loss_ignores(use_batchnorm: bool) -> None:
    net = extend_net(use_batchnorm)
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)
    before = net.loss(x, t, train_flg=True)
    for key in net.params:
        if key.startswith("b"):
            net.params[key][0] += 5.0  # one unit: the softmax ignores a shift of every class alike
            moved = net.loss(x, t, train_flg=True)
            net.params[key][0] -= 5.0
            if key in batchnorm_fed_biases(net):
                assert_close(moved, before, f"loss with {key}[0] shifted", "value")
            else:
                assert abs(moved - before) > 1e-3, key
    assert batchnorm_fed_biases(net) == (["b1", "b2"] if use_batchnorm else [])


def side(params: dict[str, np.ndarray], use_batchnorm: bool) -> Any:
    """A stand-in trainer: what :class:`Pair` reads of one side."""
    return SimpleNamespace(network=SimpleNamespace(params=params, use_batchnorm=use_batchnorm, hidden_layer_num=2))


@pytest.mark.parametrize("use_batchnorm", [True, False])
def test_weight_gap_leaves_the_batchnorm_fed_biases_out(use_batchnorm: bool) -> None:
    ours = {key: np.zeros(3) for key in ("W1", "b1", "W2", "b2", "W3", "b3")}
    theirs = {key: value.copy() for key, value in ours.items()}
    theirs["b1"][0], theirs["W2"][1], theirs["b3"][2] = 0.5, 0.25, 0.125
    pair = Pair("test", side(ours, use_batchnorm), side(theirs, use_batchnorm))
    if use_batchnorm:
        assert pair.weight_gap() == 0.25 and pair.batchnorm_fed_gap() == 0.5
    else:
        assert pair.weight_gap() == 0.5 and np.isnan(pair.batchnorm_fed_gap())


def test_float32_verdict_within_and_beyond_the_drift() -> None:
    assert "as close as float32 gets" in float32_verdict(1e-6, 4e-3)
    beyond = float32_verdict(8e-2, 4e-3)
    assert "larger than the drift of float32 arithmetic itself (20x)" in beyond
    assert "as close as float32 gets" not in beyond
    assert "larger than the drift" in float32_verdict(1e-9, 0.0)  # a zero drift has no ratio, and no crash
