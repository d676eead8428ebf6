"""``--save`` and ``npnet evaluate``: a trained net to an ``.npz`` file and back, configuration included.

The net's own ``save_params`` writes the file. Once npnet's save format stores the running statistics and the
net's configuration (``npnet.nets.load_network`` exists), that is all. Until then this module adds the missing
pieces under keys of its own, all prefixed ``cli_`` (:data:`CONFIG_PREFIX`), and reads them back itself: a stopgap
to delete when the core format lands, kept here so that nothing else knows the layout.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from npnet import nets
from npnet.serialization import save_params

CONFIG_PREFIX = "cli_config_"
STATS_PREFIX = "cli_stats_"
KINDS = {
    "TwoLayerNet": nets.TwoLayerNet,
    "MultiLayerNet": nets.MultiLayerNet,
    "MultiLayerNetExtend": nets.MultiLayerNetExtend,
}


def core_saves_config() -> bool:
    """Whether npnet's own format stores the configuration (then the net's save/load is used as is)."""
    return hasattr(nets, "load_network")


def save_network(net: Any, path: Path) -> None:
    """Write ``net`` (parameters, batch-norm running statistics, configuration) to ``path`` (``.npz``)."""
    if core_saves_config():
        net.save_params(path)
        return
    arrays = dict(net.params)
    arrays.update({STATS_PREFIX + k: v for k, v in getattr(net, "running_stats", dict)().items()})
    arrays.update({CONFIG_PREFIX + k: np.asarray(v) for k, v in stopgap_config(net).items()})
    save_params(arrays, path)


def stopgap_config(net: Any) -> dict[str, Any]:
    """What rebuilds ``net``: its class and constructor settings (numbers, strings and int lists only)."""
    p = net.params
    dtype = str(p["W1"].dtype)
    if isinstance(net, nets.TwoLayerNet):
        sizes = [p["W1"].shape[0], p["W1"].shape[1], p["W2"].shape[1]]
        return {"kind": "TwoLayerNet", "sizes": sizes, "activation": net.activation, "dtype": dtype}
    config: dict[str, Any] = {
        "kind": type(net).__name__,
        "sizes": [net.input_size, *net.hidden_size_list, net.output_size],
        "activation": net.activation,
        "dtype": dtype,
        "weight_decay_lambda": net.weight_decay_lambda,
    }
    if type(net) is nets.MultiLayerNetExtend:
        config.update(use_dropout=net.use_dropout, dropout_ration=net.dropout_ratio, use_batchnorm=net.use_batchnorm)
    return config


def load_network(path: Path) -> Any:
    """The net saved at ``path``, rebuilt from its stored configuration, with its parameters and statistics."""
    if core_saves_config():
        return getattr(nets, "load_network")(path)  # noqa: B009 (absent until npnet's format stores the config)
    where = os.fspath(path)
    try:
        data = dict(np.load(path, allow_pickle=False))
    except (OSError, ValueError) as error:
        raise ValueError(f"{where}: not a readable .npz file ({error})") from None
    config = {k.removeprefix(CONFIG_PREFIX): data.pop(k) for k in list(data) if k.startswith(CONFIG_PREFIX)}
    stats = {k.removeprefix(STATS_PREFIX): data.pop(k) for k in list(data) if k.startswith(STATS_PREFIX)}
    if "kind" not in config or str(config["kind"]) not in KINDS:
        raise ValueError(f"{where}: no network configuration stored (not written by npnet train --save)")
    net = rebuild(config)
    if sorted(data) != sorted(net.params) or sorted(stats) != sorted(getattr(net, "running_stats", dict)()):
        raise ValueError(f"{where}: holds arrays {sorted(data)}, expected {sorted(net.params)}")
    for name, target in [*net.params.items(), *getattr(net, "running_stats", dict)().items()]:
        value = data[name] if name in data else stats[name]
        if value.shape != target.shape or not np.all(np.isfinite(value)):
            raise ValueError(f"{where}: array {name!r} has shape {value.shape} or non-finite values")
        np.copyto(target, value)
    return net


def rebuild(config: dict[str, np.ndarray]) -> Any:
    """A fresh net of the stored class and settings (its weights are overwritten by the caller)."""
    sizes = [int(s) for s in config["sizes"]]
    activation, dtype, kind = str(config["activation"]), str(config["dtype"]), str(config["kind"])
    if kind == "TwoLayerNet":
        return nets.TwoLayerNet(sizes[0], sizes[1], sizes[2], activation=activation, rng=0, dtype=dtype)
    decay = float(config["weight_decay_lambda"])
    if kind == "MultiLayerNet":
        return nets.MultiLayerNet(sizes[0], sizes[1:-1], sizes[-1], activation, 0.01, decay, rng=0, dtype=dtype)
    return nets.MultiLayerNetExtend(
        sizes[0],
        sizes[1:-1],
        sizes[-1],
        activation,
        0.01,
        decay,
        use_dropout=bool(config["use_dropout"]),
        dropout_ration=float(config["dropout_ration"]),
        use_batchnorm=bool(config["use_batchnorm"]),
        rng=0,
        dtype=dtype,
    )
