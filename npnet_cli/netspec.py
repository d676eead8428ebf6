"""The network and optimizer flags of ``npnet train``: chapters 5-6's nets and optimizers built from them.

``--net two-layer`` is chapter 5's :class:`~npnet.nets.TwoLayerNet` (one hidden layer, one ``weight_init_std``);
``multi-layer`` is :class:`~npnet.nets.MultiLayerNet` (any depth, weight decay); ``multi-layer-extend`` is
:class:`~npnet.nets.MultiLayerNetExtend` (plus batch norm and dropout). A flag a net does not have is refused
with the flag's name and the net that has it.
"""

from __future__ import annotations

import argparse
import inspect
from typing import Any

from npnet.nets import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet
from npnet.optim import OPTIMIZERS, Optimizer
from npnet_cli import argtypes

NETS = ("two-layer", "multi-layer", "multi-layer-extend")
#: Widths when --hidden is not given: the book's train_neuralnet.py and optimizer_compare_mnist.py.
DEFAULT_HIDDEN = {"two-layer": [50], "multi-layer": [100, 100, 100, 100], "multi-layer-extend": [100, 100, 100, 100]}
#: Optimizer flags and the keyword each sets.
OPTIMIZER_FLAGS = {
    "lr": "--lr",
    "momentum": "--momentum",
    "decay_rate": "--decay-rate",
    "beta1": "--beta1",
    "beta2": "--beta2",
    "eps": "--eps",
}
#: The learning rate of plain SGD when --lr is not given: the book's train_neuralnet.py (0.1).
SGD_DEFAULT_LR = 0.1


def add_network_options(p: argparse.ArgumentParser) -> None:
    """``--net``, ``--hidden``, ``--activation``, ``--init``, ``--batchnorm``, ``--dropout``, ``--weight-decay``,
    ``--dtype``."""
    g = p.add_argument_group("network")
    g.add_argument("--net", choices=NETS, default="two-layer", help="which of the book's nets (default two-layer)")
    g.add_argument(
        "--hidden",
        type=argtypes.layer_widths,
        default=None,
        metavar="W1,W2,...",
        help="hidden widths, comma-separated (default 50 for two-layer, 100,100,100,100 otherwise)",
    )
    g.add_argument("--activation", choices=["relu", "sigmoid"], default="relu")
    g.add_argument(
        "--init",
        type=argtypes.init_scale,
        default=None,
        metavar="std|xavier|he|FLOAT",
        help="initial weight scale: std (0.01), xavier (sqrt(1/n)), he (sqrt(2/n)) or a number "
        "(default std for two-layer, he for relu and xavier for sigmoid otherwise)",
    )
    g.add_argument("--batchnorm", action="store_true", help="batch norm before every activation (multi-layer-extend)")
    g.add_argument(
        "--dropout", type=argtypes.fraction, default=0.0, metavar="R", help="dropout ratio R (multi-layer-extend)"
    )
    g.add_argument(
        "--weight-decay", type=argtypes.non_negative_float, default=0.0, metavar="L", help="L2 weight decay lambda"
    )
    g.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="parameter dtype on both sides (default float64, as the book's randn weights)",
    )


def add_optimizer_options(p: argparse.ArgumentParser) -> None:
    """``--optimizer`` and the settings of the chapter-6 optimizers (each only where the optimizer has it)."""
    g = p.add_argument_group("optimizer")
    g.add_argument(
        "--optimizer",
        type=str.lower,
        choices=list(OPTIMIZERS),
        default="sgd",
        metavar="NAME",
        help=f"{', '.join(OPTIMIZERS)} (default sgd)",
    )
    g.add_argument(
        "--lr", type=argtypes.positive_float, default=None, help="learning rate (default 0.1 for sgd, else its own)"
    )
    g.add_argument("--momentum", type=argtypes.fraction, default=None, help="momentum, nesterov (default 0.9)")
    g.add_argument("--decay-rate", type=argtypes.fraction, default=None, help="rmsprop (default 0.99)")
    g.add_argument("--beta1", type=argtypes.fraction, default=None, help="adam (default 0.9)")
    g.add_argument("--beta2", type=argtypes.fraction, default=None, help="adam (default 0.999)")
    g.add_argument("--eps", type=argtypes.positive_float, default=None, help="adagrad, rmsprop, adam (default 1e-7)")


def check_network_flags(args: argparse.Namespace) -> None:
    """Refuse, naming the flag, what the chosen net does not have; call before any data is loaded."""
    extend_only = [("--batchnorm", args.batchnorm), ("--dropout", args.dropout > 0)]
    for flag, given in extend_only:
        if given and args.net != "multi-layer-extend":
            raise ValueError(f"{flag}: --net {args.net} has none; use --net multi-layer-extend")
    if args.net == "two-layer":
        if args.weight_decay > 0:
            raise ValueError("--weight-decay: --net two-layer has none; use --net multi-layer or multi-layer-extend")
        if args.hidden is not None and len(args.hidden) != 1:
            raise ValueError(f"--hidden: --net two-layer has one hidden layer, got {len(args.hidden)} widths")
        if isinstance(args.init, str):
            raise ValueError(f"--init {args.init}: --net two-layer takes std or a number (one scale for both layers)")


def init_of(args: argparse.Namespace) -> float | str:
    """``--init``, or the net's default: 0.01 for two-layer (the book's), He for ReLU and Xavier for sigmoid."""
    if args.init is not None:
        return args.init
    if args.net == "two-layer":
        return 0.01
    return "he" if args.activation == "relu" else "xavier"


def build_network(args: argparse.Namespace, rng: Any, dtype: str | None = None) -> Any:
    """The net the flags describe, 784 inputs and 10 classes, weights drawn from ``rng``, in ``dtype`` (or
    ``--dtype``)."""
    hidden = args.hidden if args.hidden is not None else DEFAULT_HIDDEN[args.net]
    dt = dtype or args.dtype
    if args.net == "two-layer":
        return TwoLayerNet(784, hidden[0], 10, float(init_of(args)), args.activation, rng, dtype=dt)
    init = init_of(args)
    if args.net == "multi-layer":
        return MultiLayerNet(784, hidden, 10, args.activation, init, args.weight_decay, rng, dtype=dt)
    return MultiLayerNetExtend(
        784,
        hidden,
        10,
        args.activation,
        init,
        args.weight_decay,
        use_dropout=args.dropout > 0,
        dropout_ration=args.dropout if args.dropout > 0 else 0.5,
        use_batchnorm=args.batchnorm,
        rng=rng,
        dtype=dt,
    )


def build_optimizer(args: argparse.Namespace) -> Optimizer:
    """``--optimizer`` with the settings given; a setting the optimizer does not take is refused by its flag."""
    cls = OPTIMIZERS[args.optimizer]
    takes = set(inspect.signature(cls).parameters)
    settings = {}
    for keyword, flag in OPTIMIZER_FLAGS.items():
        value = getattr(args, keyword)
        if value is None:
            continue
        if keyword not in takes:
            raise ValueError(f"{flag}: --optimizer {args.optimizer} takes {', '.join(sorted(takes))}; not {flag}")
        settings[keyword] = value
    if args.optimizer == "sgd":
        settings.setdefault("lr", SGD_DEFAULT_LR)
    return cls(**settings)


def describe(net: Any, args: argparse.Namespace) -> str:
    """``MultiLayerNetExtend 784-100-100-10 (relu, init he, batch norm, dropout 0.2, float64)``."""
    hidden = args.hidden if args.hidden is not None else DEFAULT_HIDDEN[args.net]
    parts = [args.activation, f"init {init_of(args)}"]
    if args.batchnorm:
        parts.append("batch norm")
    if args.dropout > 0:
        parts.append(f"dropout {args.dropout:g}")
    if args.weight_decay > 0:
        parts.append(f"weight decay {args.weight_decay:g}")
    parts.append(args.dtype)
    return f"{type(net).__name__} 784-{'-'.join(map(str, hidden))}-10 ({', '.join(parts)})"
