"""``npnet train``: the book's two-layer net on MNIST, with its PyTorch twin trained beside it, step for step.

Both start from the same weights and see the same mini-batches; each epoch prints one row with both sides'
train and test accuracy and how far their weights have drifted apart (float round-off only, growing slowly).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from npnet.datasets import load_mnist
from npnet.nets import TwoLayerNet
from npnet.progress import ProgressBar
from npnet.rng import as_generator
from npnet.train import lockstep, minibatch_schedule, sgd_training
from npnet_cli import argtypes

HEADER = (
    f"{'epoch':>5} {'iter':>6} | {'npnet train':>11} {'test':>7} | {'torch train':>11} {'test':>7} | "
    f"{'max |W_np - W_torch|':>20}"
)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "train",
        help="train TwoLayerNet on MNIST beside its PyTorch twin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--iters", type=argtypes.positive_int, default=10000, help="SGD iterations (default 10000)")
    p.add_argument("--batch-size", type=argtypes.positive_int, default=100, help="mini-batch size (default 100)")
    p.add_argument("--lr", type=argtypes.positive_float, default=0.1, help="learning rate (default 0.1)")
    p.add_argument("--hidden", type=argtypes.positive_int, default=50, help="hidden units (default 50)")
    p.add_argument("--activation", choices=["relu", "sigmoid"], default="relu")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the mini-batch schedule")
    p.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="parameter dtype on both sides (default float64, as the book's randn weights)",
    )
    p.add_argument("--no-oracle", action="store_true", help="train npnet alone (PyTorch not needed)")
    p.add_argument("--device", default=None, help="the twin's torch device, e.g. cuda (default cpu)")
    p.add_argument("--data-dir", default=None, help="folder with the four MNIST files (default: shipped copy)")
    p.set_defaults(run=run)


def max_weight_gap(net: TwoLayerNet, twin: Any) -> float:
    twin_params = twin.params
    return max(float(np.max(np.abs(net.params[k] - twin_params[k]))) for k in net.params)


def run(args: argparse.Namespace) -> int:
    (x_train, t_train), (x_test, t_test) = load_mnist(data_dir=args.data_dir)
    gen = as_generator(args.seed)
    net = TwoLayerNet(784, args.hidden, 10, activation=args.activation, rng=gen, dtype=args.dtype)
    schedule = minibatch_schedule(len(x_train), args.batch_size, args.iters, gen)
    print(
        f"TwoLayerNet 784-{args.hidden}-10 ({args.activation}, {args.dtype}), {args.iters} iterations, "
        f"batch {args.batch_size}, lr {args.lr}, seed {args.seed}",
        flush=True,
    )
    bar = ProgressBar(args.iters, "training", stream=sys.stderr)
    runs = [sgd_training(net, x_train, t_train, x_test, t_test, schedule, args.lr, progress=bar)]
    twin = None
    if not args.no_oracle:
        from oracle.nets import TwoLayerNet as TorchTwoLayerNet
        from oracle.train import sgd_training as torch_sgd_training

        twin = TorchTwoLayerNet.from_npnet(net, device=args.device)
        runs.append(torch_sgd_training(twin, x_train, t_train, x_test, t_test, schedule, args.lr))
        print(
            f"PyTorch twin: nn.Linear/nn.{type(twin.activation).__name__}, torch.optim.SGD, "
            f"F.cross_entropy, device {twin.device}",
            flush=True,
        )
    print(HEADER, flush=True)
    started = time.perf_counter()
    final = None
    with bar:
        for reports in lockstep(*runs):
            bar.clear()
            final = reports
            ours = reports[0]
            row = f"{ours.epoch:5d} {ours.iteration:6d} | {ours.train_acc:11.4f} {ours.test_acc:7.4f} | "
            if twin is not None:
                theirs = reports[1]
                row += f"{theirs.train_acc:11.4f} {theirs.test_acc:7.4f} | {max_weight_gap(net, twin):20.3e}"
            else:
                row += f"{'-':>11} {'-':>7} | {'-':>20}"
            print(row, flush=True)
    if final is None:
        print("no iterations run")
        return 0
    summary = f"final test accuracy: npnet {final[0].test_acc:.4f}"
    if twin is not None:
        summary += f", torch twin {final[1].test_acc:.4f}"
    print(f"{summary} ({time.perf_counter() - started:.1f} s)")
    return 0
