"""npnet evaluate FILE: a net saved by ``npnet train --save``, read back, and its test accuracy on npnet and
on its PyTorch twin (built from the loaded weights and batch-norm statistics).

The net's kind, sizes and settings come from the file itself; nothing needs repeating on the command line.

examples:
  npnet train --net multi-layer-extend --batchnorm --epochs 2 --save net.npz
  npnet evaluate net.npz
  npnet evaluate net.npz --no-oracle
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from npnet.nets import load_network
from npnet_cli import data, interrupt
from npnet_cli.devices import twin_device


def register(commands: Any) -> None:
    p = commands.add_parser(
        "evaluate",
        help="test accuracy of a net saved by `npnet train --save`, on npnet and its twin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", type=Path, metavar="FILE", help="an .npz file written by npnet train --save")
    p.add_argument("--no-oracle", action="store_true", help="npnet alone (PyTorch not needed)")
    p.add_argument("--device", default=None, help="the twin's torch device, e.g. cuda (default cpu)")
    p.add_argument("--data-dir", default=None, help="folder with the four MNIST files (default: shipped copy)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise ValueError(f"FILE: {args.file} is not a file")
    interrupt.at(f"reading {args.file}")
    net = load_network(args.file)
    dtype = net.params["W1"].dtype
    device = twin_device(args, dtype)
    _, (x_test, t_test) = data.mnist(args)
    sizes = [net.params["W1"].shape[0]] + [w.shape[1] for k, w in net.params.items() if k.startswith("W")]
    print(f"{args.file}: {type(net).__name__} {'-'.join(map(str, sizes))} ({dtype})", flush=True)
    interrupt.at("evaluating")
    print(f"test accuracy: npnet {net.accuracy(x_test, t_test):.4f}", end="", flush=True)
    if args.no_oracle:
        print(flush=True)
        return 0
    from oracle.nets import twin_of

    twin = twin_of(net, device)
    scores_gap = float(np.max(np.abs(net.predict(x_test) - twin.predict(x_test))))
    print(f", torch twin {twin.accuracy(x_test, t_test):.4f} (max |scores np - torch| {scores_gap:.2e})", flush=True)
    return 0
