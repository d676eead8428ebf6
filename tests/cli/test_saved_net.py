"""``--save`` / ``npnet evaluate``'s file: npnet's own format once it stores the configuration, the CLI's stopgap
keys until then; either way the net comes back whole (weights, running statistics, configuration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from npnet import nets
from npnet_cli import saved_net


def trained_bn_net() -> nets.MultiLayerNetExtend:
    net = nets.MultiLayerNetExtend(6, [5, 4], 3, use_batchnorm=True, use_dropout=True, dropout_ration=0.3, rng=1)
    rng = np.random.default_rng(2)
    net.gradient(rng.standard_normal((8, 6)), rng.integers(0, 3, 8))  # moves the running statistics
    return net


def test_the_stopgap_brings_back_weights_statistics_and_settings(tmp_path: Path) -> None:
    if saved_net.core_saves_config():
        pytest.skip("npnet's own format stores the configuration: the stopgap is not used")
    net, path = trained_bn_net(), tmp_path / "net.npz"
    saved_net.save_network(net, path)
    back = saved_net.load_network(path)
    assert type(back) is nets.MultiLayerNetExtend and back.hidden_size_list == [5, 4]
    assert (back.use_batchnorm, back.use_dropout, back.dropout_ratio) == (True, True, 0.3)
    for name, value in [*net.params.items(), *net.running_stats().items()]:
        np.testing.assert_array_equal(value, {**back.params, **back.running_stats()}[name])
    x = np.random.default_rng(3).standard_normal((4, 6))
    np.testing.assert_array_equal(net.predict(x), back.predict(x))


def test_npnets_own_format_is_used_once_it_stores_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``npnet.nets.load_network`` present, the file is the net's own ``save_params`` and nothing else."""
    calls: list[Any] = []
    monkeypatch.setattr(nets, "load_network", lambda path: calls.append(path) or "the core's net", raising=False)
    net, path = trained_bn_net(), tmp_path / "net.npz"
    saved_net.save_network(net, path)
    with np.load(path, allow_pickle=False) as data:
        assert not any(k.startswith(("cli_config_", "cli_stats_")) for k in data.files)
    assert saved_net.load_network(path) == "the core's net" and calls == [path]
