"""``net.params`` is live: what is assigned is what the layers compute with (issue 11, item 1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from npnet.nets import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet
from npnet.optim import SGD, Adam

NETS = {
    "TwoLayerNet": lambda: TwoLayerNet(4, 3, 2, rng=0),
    "MultiLayerNet": lambda: MultiLayerNet(4, [3, 3], 2, rng=0),
    "MultiLayerNetExtend": lambda: MultiLayerNetExtend(4, [3], 2, use_batchnorm=True, use_dropout=True, rng=0),
}


def batch() -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(7)
    return gen.standard_normal((5, 4)), np.array([0, 1, 1, 0, 1])


@pytest.mark.parametrize("make", NETS.values(), ids=NETS.keys())
def test_assigned_array_is_used_by_the_layers(make: Any) -> None:
    net = make()
    x, _ = batch()
    before = net.predict(x)
    new_w1 = np.zeros_like(net.params["W1"])
    net.params["W1"] = new_w1
    assert net.params["W1"] is new_w1
    # with W1 = 0 every hidden unit sees only its bias: every sample gets the same scores
    after = net.predict(x)
    assert not np.allclose(after, before)
    np.testing.assert_array_equal(after, np.broadcast_to(after[0], after.shape))
    # a fresh net whose layers were given W1 = 0 by construction agrees exactly
    reference = make()
    reference.layers["Affine1"].W[...] = 0.0
    np.testing.assert_array_equal(after, reference.predict(x))


@pytest.mark.parametrize("make", NETS.values(), ids=NETS.keys())
def test_optimizer_after_assignment_trains_the_assigned_array(make: Any) -> None:
    net = make()
    x, t = batch()
    net.params["W2"] = net.params["W2"].copy()  # a new object, as `params[k] = params[k] - step` would make
    grads = net.gradient(x, t)
    expected = net.params["W2"] - 0.1 * grads["W2"]
    SGD(lr=0.1).update(net.params, grads)
    np.testing.assert_array_equal(net.layers["Affine2"].W, expected)
    assert net.layers["Affine2"].W is net.params["W2"]


@pytest.mark.parametrize("make", NETS.values(), ids=NETS.keys())
def test_book_in_place_update_keeps_the_same_arrays(make: Any) -> None:
    net = make()
    x, t = batch()
    ids = {k: id(v) for k, v in net.params.items()}
    grads = net.gradient(x, t)
    for key in ("W1", "b1"):
        net.params[key] -= 0.1 * grads[key]
    # the book's rebinding form goes through the checks and is used as well
    net.params["W2"] = net.params["W2"] - 0.1 * grads["W2"]
    assert {k: id(v) for k, v in net.params.items() if k != "W2"} == {k: v for k, v in ids.items() if k != "W2"}
    assert net.layers["Affine2"].W is net.params["W2"]
    np.testing.assert_array_equal(net.gradient(x, t)["W2"], net.layers["Affine2"].dW)


def test_keys_are_fixed_and_the_mapping_acts_like_a_dict() -> None:
    net = TwoLayerNet(4, 3, 2, rng=0)
    assert list(net.params) == ["W1", "b1", "W2", "b2"] and len(net.params) == 4
    with pytest.raises(TypeError, match="cannot be deleted"):
        net.params.pop("b2")
    with pytest.raises(KeyError):
        net.params["gamma1"]
    assert set(net.gradient(*batch())) == set(net.params)


def test_replacing_the_whole_mapping_assigns_each_entry_checked() -> None:
    net, other = TwoLayerNet(4, 3, 2, rng=0), TwoLayerNet(4, 3, 2, rng=1)
    x, _ = batch()
    net.params = {k: v.copy() for k, v in other.params.items()}
    np.testing.assert_array_equal(net.predict(x), other.predict(x))
    with pytest.raises(KeyError, match="keys"):
        net.params = {"W1": other.params["W1"]}


def test_adam_on_live_params_matches_adam_on_a_plain_dict() -> None:
    net = MultiLayerNetExtend(4, [3], 2, use_batchnorm=True, rng=0)
    x, t = batch()
    plain = {k: v.copy() for k, v in net.params.items()}
    live_opt, plain_opt = Adam(), Adam()
    for _ in range(3):
        grads = net.gradient(x, t)
        live_opt.update(net.params, grads)
        plain_opt.update(plain, grads)
    for key in plain:
        np.testing.assert_array_equal(net.params[key], plain[key])
