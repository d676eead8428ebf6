"""Complete, self-describing saves: running statistics, format version and configuration (issue 11, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from npnet import nets
from npnet.nets import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet
from npnet.optim import SGD


def trained_bn_net() -> MultiLayerNetExtend:
    """A batch-norm net after a few SGD steps, so its running statistics are far from their start."""
    net = MultiLayerNetExtend(3, [4, 4], 2, use_batchnorm=True, rng=0)
    gen = np.random.default_rng(1)
    opt = SGD(lr=0.1)
    for _ in range(20):
        x = 50.0 + 30.0 * gen.standard_normal((8, 3))  # far from the running statistics' start (0 mean, 0 var)
        opt.update(net.params, net.gradient(x, gen.integers(0, 2, 8)))
    return net


def test_batchnorm_net_round_trips_in_test_mode(tmp_path: Path) -> None:
    net = trained_bn_net()
    net.save_params(tmp_path / "bn.npz")
    fresh = MultiLayerNetExtend(3, [4, 4], 2, use_batchnorm=True, rng=5)
    fresh.load_params(tmp_path / "bn.npz")
    x = 50.0 + 30.0 * np.random.default_rng(2).standard_normal((6, 3))
    np.testing.assert_array_equal(fresh.predict(x, train_flg=False), net.predict(x, train_flg=False))
    for key, value in net.running_stats().items():
        np.testing.assert_array_equal(fresh.running_stats()[key], value)


def test_load_writes_into_the_live_arrays(tmp_path: Path) -> None:
    net = trained_bn_net()
    net.save_params(tmp_path / "bn.npz")
    fresh = MultiLayerNetExtend(3, [4, 4], 2, use_batchnorm=True, rng=5)
    arrays = [fresh.params["W1"], fresh.layers["BatchNorm1"].running_mean]
    fresh.load_params(tmp_path / "bn.npz")
    assert fresh.params["W1"] is arrays[0] and fresh.layers["BatchNorm1"].running_mean is arrays[1]


def test_file_holds_a_format_version_and_the_configuration(tmp_path: Path) -> None:
    net = MultiLayerNetExtend(3, [5], 2, activation="sigmoid", weight_decay_lambda=0.1, use_batchnorm=True, rng=0)
    net.save_params(tmp_path / "n.npz")
    with np.load(tmp_path / "n.npz", allow_pickle=False) as data:
        assert int(data["__npnet_format__"]) == 1
        stored = json.loads(str(data["__npnet_config__"]))
    assert stored["kind"] == "MultiLayerNetExtend"
    assert stored["config"]["hidden_size_list"] == [5] and stored["config"]["activation"] == "sigmoid"
    assert stored["config"]["weight_decay_lambda"] == 0.1 and stored["config"]["use_batchnorm"] is True


@pytest.mark.parametrize(
    "make",
    [
        lambda: TwoLayerNet(4, 3, 2, rng=0, activation="sigmoid", dtype=np.float32),
        lambda: MultiLayerNet(4, [3, 3], 2, rng=0, weight_decay_lambda=0.01),
        trained_bn_net,
    ],
    ids=["TwoLayerNet", "MultiLayerNet", "MultiLayerNetExtend"],
)
def test_load_network_rebuilds_the_saved_net(make: object, tmp_path: Path) -> None:
    net = make()  # type: ignore[operator]
    net.save_params(tmp_path / "n.npz")
    loaded = nets.load_network(tmp_path / "n.npz")
    assert type(loaded) is type(net) and loaded.config() == net.config()
    x = np.random.default_rng(3).standard_normal((4, net.input_size))
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


def test_refused_load_leaves_the_net_unchanged(tmp_path: Path) -> None:
    net = TwoLayerNet(4, 3, 2, rng=0)
    saved = {k: v.copy() for k, v in TwoLayerNet(4, 3, 2, rng=1).params.items()}
    saved["b2"] = np.array([0.0, np.nan])  # the last array is bad; nothing before it may be written
    np.savez(tmp_path / "bad.npz", **saved)
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError, match="'b2' holds non-finite"):
        net.load_params(tmp_path / "bad.npz")
    for key, value in before.items():
        np.testing.assert_array_equal(net.params[key], value)


def test_format_0_file_still_loads_into_a_net_without_buffers(tmp_path: Path) -> None:
    source = TwoLayerNet(4, 3, 2, rng=1)
    np.savez(tmp_path / "old.npz", **dict(source.params))
    net = TwoLayerNet(4, 3, 2, rng=0)
    net.load_params(tmp_path / "old.npz")
    np.testing.assert_array_equal(net.params["W1"], source.params["W1"])
