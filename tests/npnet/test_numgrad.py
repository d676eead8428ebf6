"""The nets' fast numerical gradient (npnet.numgrad) against the book's element-by-element loop, on small nets.

Both must give the same central differences: within the table's ``numerical-fast`` bound (the loop's own round-off)
for every parameter of every kind of net, batch norm, held dropout masks and weight decay included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from npnet.layers import Sigmoid
from npnet.nets import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet
from tests.compare import assert_close


def assert_fast_equals_loop(net: Any, x: np.ndarray, t: np.ndarray, **kwargs: Any) -> None:
    loop = net.numerical_gradient(x, t, method="loop", **kwargs)
    fast = net.numerical_gradient(x, t, **kwargs)
    assert list(fast) == list(net.params)
    for key in net.params:
        assert fast[key].shape == net.params[key].shape
        assert_close(fast[key], loop[key], f"fast d{key}", "numerical-fast")


NETS: dict[str, Callable[[np.random.Generator], Any]] = {
    "two-layer relu": lambda g: TwoLayerNet(6, 5, 4, weight_init_std=0.5, rng=g),
    "two-layer sigmoid": lambda g: TwoLayerNet(6, 5, 4, weight_init_std=0.5, activation="sigmoid", rng=g),
    "two-layer exact loss": lambda g: TwoLayerNet(6, 5, 4, weight_init_std=0.5, rng=g, loss_delta=0.0),
    "multi-layer decay": lambda g: MultiLayerNet(6, [5, 4], 4, weight_decay_lambda=0.1, rng=g),
    "multi-layer sigmoid": lambda g: MultiLayerNet(6, [5, 4, 3], 4, activation="sigmoid", rng=g),
}
for _bn in (False, True):
    for _dropout in (False, True):
        for _act in ("relu", "sigmoid"):
            NETS[f"extend bn={_bn} dropout={_dropout} {_act}"] = lambda g, bn=_bn, dropout=_dropout, act=_act: (
                MultiLayerNetExtend(
                    6,
                    [5, 4, 3],
                    4,
                    activation=act,
                    weight_decay_lambda=0.05,
                    use_dropout=dropout,
                    dropout_ration=0.3,
                    use_batchnorm=bn,
                    rng=g,
                )
            )
NETS["extend inverted dropout, pytorch running var"] = lambda g: MultiLayerNetExtend(
    6,
    [5, 4],
    4,
    use_dropout=True,
    use_batchnorm=True,
    dropout_inverted=True,
    running_var_convention="pytorch",
    rng=g,
)


@pytest.mark.parametrize("name", NETS)
def test_fast_equals_the_loop(name: str, rng: np.random.Generator) -> None:
    net = NETS[name](rng)
    x, t = rng.standard_normal((7, 6)), rng.integers(0, 4, size=7)
    if isinstance(net, MultiLayerNetExtend):
        net.gradient(x, t)  # a training step's masks, which both methods then hold
    assert_fast_equals_loop(net, x, t)


def test_fast_equals_the_loop_on_sparse_images_one_hot_labels_and_4d_input(rng: np.random.Generator) -> None:
    """MNIST-like input: zero pixels (whole zero columns too), a (N, 1, 3, 4) batch, one-hot labels, h = 1e-5."""
    x = rng.standard_normal((9, 1, 3, 4)) * (rng.random((9, 1, 3, 4)) < 0.3)
    x[:, 0, 0, :] = 0.0
    t = np.eye(4)[rng.integers(0, 4, size=9)]
    for net in (TwoLayerNet(12, 8, 4, weight_init_std=0.3, rng=rng), MultiLayerNet(12, [8, 5], 4, rng=rng)):
        assert_fast_equals_loop(net, x, t, h=1e-5)
        grads = net.numerical_gradient(x, t)
        assert np.all(grads["W1"][:4] == 0.0)  # inputs that are zero in every sample: exactly no change


def test_fresh_net_draws_the_same_masks_as_the_loop(rng: np.random.Generator) -> None:
    """Without a training forward first, both methods draw the masks once from the net's generator, then hold them."""
    x, t = rng.standard_normal((5, 6)), rng.integers(0, 4, size=5)
    make = NETS["extend bn=True dropout=True relu"]
    seed = int(rng.integers(2**31))
    loop = make(np.random.default_rng(seed)).numerical_gradient(x, t, method="loop")
    fast = make(np.random.default_rng(seed)).numerical_gradient(x, t)
    for key in loop:
        assert_close(fast[key], loop[key], f"fast d{key}", "numerical-fast")


def test_fast_leaves_params_masks_and_statistics_as_they_were(rng: np.random.Generator) -> None:
    net = NETS["extend bn=True dropout=True sigmoid"](rng)
    x, t = rng.standard_normal((5, 6)), rng.integers(0, 4, size=5)
    net.gradient(x, t)
    params = {k: v.copy() for k, v in net.params.items()}
    masks, stats = [m.copy() for m in net.dropout_masks()], {k: v.copy() for k, v in net.running_stats().items()}
    net.numerical_gradient(x, t)
    for key, value in net.params.items():
        np.testing.assert_array_equal(value, params[key], err_msg=key)
    for before, after in zip(masks, net.dropout_masks(), strict=True):
        np.testing.assert_array_equal(before, after)
    for key, value in net.running_stats().items():
        np.testing.assert_array_equal(value, stats[key], err_msg=key)
    assert not any(layer.hold for layer in net.stochastic_layers())


FLOAT32_NETS: dict[str, Callable[[np.random.Generator], Any]] = {
    "two-layer relu": lambda g: TwoLayerNet(6, 5, 4, weight_init_std=0.5, rng=g, dtype=np.float32),
    "extend bn dropout decay": lambda g: MultiLayerNetExtend(
        6,
        [5, 4, 3],
        4,
        weight_init_std=0.1,
        weight_decay_lambda=0.05,
        use_dropout=True,
        use_batchnorm=True,
        rng=g,
        dtype=np.float32,
    ),
}


@pytest.mark.parametrize("name", FLOAT32_NETS)
def test_float32_fast_is_the_loop_within_float32_round_off(name: str, rng: np.random.Generator) -> None:
    net = FLOAT32_NETS[name](rng)
    x, t = rng.standard_normal((7, 6)).astype(np.float32), rng.integers(0, 4, size=7)
    if isinstance(net, MultiLayerNetExtend):
        net.gradient(x, t)
        assert net.loss(x, t, train_flg=True) <= 2.0  # the table's float32 bound assumes losses up to 2
    else:
        assert net.loss(x, t) <= 2.0
    loop, fast = net.numerical_gradient(x, t, method="loop"), net.numerical_gradient(x, t)
    for key in loop:
        assert fast[key].dtype == np.float32
        assert_close(fast[key], loop[key], f"fast d{key}", "numerical-fast")


def test_method_is_checked_and_the_loop_is_the_books(rng: np.random.Generator) -> None:
    net = TwoLayerNet(3, 2, 2, rng=rng)
    x, t = rng.standard_normal((2, 3)), np.array([0, 1])
    with pytest.raises(ValueError, match=r"method must be one of \('fast', 'loop'\), got 'vectorized'"):
        net.numerical_gradient(x, t, method="vectorized")
    with pytest.raises(ValueError, match="the step h=1e-20 vanishes in float64 at W1"):
        net.numerical_gradient(x, t, h=1e-20)


def test_unknown_layers_are_refused_not_guessed(rng: np.random.Generator) -> None:
    net = TwoLayerNet(3, 2, 2, rng=rng)
    net.layers["Squash1"] = Sigmoid()  # after the last Affine: the fast method does not know this layout
    net.layers.move_to_end("Squash1", last=False)
    with pytest.raises(ValueError, match="must start with an Affine layer, got Squash1"):
        net.numerical_gradient(rng.standard_normal((2, 3)), np.array([0, 1]))
