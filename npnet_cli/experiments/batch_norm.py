"""``npnet experiment batch-norm``: the book's ``batch_norm_test.py``.

For each of 16 initial weight scales ``W`` log-spaced from 1 down to 0.0001 (``np.logspace(0, -4, num=16)``), two
six-layer ``MultiLayerNetExtend`` nets (784-100-100-100-100-100-10, ReLU, weights ``W * standard_normal``) are
trained on the first 1000 MNIST training samples by SGD (lr 0.01, mini-batches of 100) for 20 epochs: one with a
batch-norm layer before every activation, one without. Both start from the same normal draws and see the same
mini-batches (one seed). After each epoch's first step the training accuracy on those 1000 samples is recorded;
the figure is the book's grid, one panel per scale: with batch norm the net learns over a wide range of scales,
without it only near a well-chosen one. A net whose loss overflows (large ``W`` without batch norm) is marked
"diverged": the book's run diverges there too; its accuracy is still a result.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from npnet.nets import MultiLayerNetExtend
from npnet_cli import argtypes
from npnet_cli.experiments import common

NAME = "batch-norm"
HELP = "train with and without batch norm over 16 weight scales (the book's batch_norm_test.py)"

LEARNING_RATE = 0.01
COLUMNS = 4
#: Line colour of each variant (dashed is taken by the twins).
COLOURS = {"Batch Normalization": "C0", "Normal (without BatchNorm)": "C1"}


def register(commands: Any) -> None:
    p = commands.add_parser(NAME, help=HELP, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", type=argtypes.positive_int, default=16, help="weight scales from 1 to 1e-4 (default 16)")
    p.add_argument("--epochs", type=argtypes.positive_int, default=20, help="epochs (default 20)")
    p.add_argument("--train-size", type=argtypes.positive_int, default=1000, help="training samples (default 1000)")
    p.add_argument("--batch-size", type=argtypes.positive_int, default=100, help="mini-batch size (default 100)")
    common.add_common_options(p, NAME)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    x_train, t_train, _, _ = common.mnist(args)
    x, t = x_train[: args.train_size], t_train[: args.train_size]
    scales = [float(w) for w in np.logspace(0, -4, num=args.scales)]
    print(
        f"6-layer MultiLayerNetExtend (ReLU), {len(x)} training samples, SGD lr {LEARNING_RATE}, {args.epochs} epochs, "
        f"batch {args.batch_size}, {len(scales)} weight scales, seed {args.seed}",
        flush=True,
    )
    runs = []
    for i, w in enumerate(scales):
        pairs = [train_pair(label, w, args, (x, t, x, t)) for label in COLOURS]
        runs.append((w, pairs))
        print(f"W:{w:.4g} ({i + 1}/{len(scales)}): " + ", ".join(progress_note(p) for p in pairs), flush=True)
    print_table(runs, args)
    common.check_finite({f"W:{w} {p.label}": p.trainer.train_acc_list for w, pairs in runs for p in pairs})
    plot(runs, args)
    return 0


def train_pair(label: str, w: float, args: argparse.Namespace, data: common.Data) -> common.Pair:
    """One net of weight scale ``w`` (with batch norm if ``label`` says so) and its twin, trained to the end.

    The 1000 training samples are also the Trainer's "test" set, so both accuracy lists are training accuracy.
    """
    network = MultiLayerNetExtend(
        784, [100] * 5, 10, weight_init_std=w, use_batchnorm=label.startswith("Batch"), rng=args.seed
    )
    pair = common.make_pair(
        label,
        args,
        network,
        data,
        epochs=args.epochs,
        mini_batch_size=args.batch_size,
        optimizer="SGD",
        optimizer_param={"lr": LEARNING_RATE},
    )
    # A diverging net is a result here, marked in the table: its optimizer lets the overflowed gradients through
    # (npnet's optimizers refuse NaN and inf by default), as the book's script does.
    pair.trainer.optimizer.check_finite = False
    with np.errstate(over="ignore", invalid="ignore"):
        pair.run()
    return pair


def diverged(pair: common.Pair) -> bool:
    """Whether npnet's training loss left the finite numbers."""
    return not bool(np.all(np.isfinite(pair.trainer.train_loss_list)))


def progress_note(pair: common.Pair) -> str:
    """``"BN 0.9930"``: a variant's final training accuracy, for the line printed after each scale."""
    short = "BN" if pair.label.startswith("Batch") else "no BN"
    return f"{short} {pair.trainer.train_acc_list[-1]:.4f}{' (diverged)' if diverged(pair) else ''}"


def print_table(runs: list[tuple[float, list[common.Pair]]], args: argparse.Namespace) -> None:
    """Per scale: final training accuracy with and without batch norm, which net diverged, and (with twins) how far
    npnet and its twins are apart."""
    rows, gaps = [], []
    for w, (bn, plain) in runs:
        note = ", ".join(f"{'BN' if p is bn else 'no BN'} diverged" for p in (bn, plain) if diverged(p)) or "-"
        rows.append([w, bn.trainer.train_acc_list[-1], plain.trainer.train_acc_list[-1], note])
        gaps.append(
            [max(p.gap("train_acc_list") for p in (bn, plain)), max(p.gap("train_loss_list") for p in (bn, plain))]
        )
    common.print_summary(
        ["W", "train acc BN", "train acc no BN", "note"],
        rows,
        [".4g", ".4f", ".4f", ""],
        ["max |acc np - torch|", "max |loss np - torch|"],
        None if args.no_oracle else gaps,
    )


def plot(runs: list[tuple[float, list[common.Pair]]], args: argparse.Namespace) -> None:
    """The book's grid: per scale, training accuracy per epoch with batch norm and without, twins dashed."""
    rows = math.ceil(len(runs) / COLUMNS)
    cols = min(COLUMNS, len(runs))
    fig, axes = common.figure(rows, cols, size=(3.0 * cols, 2.4 * rows))
    for i, (w, pairs) in enumerate(runs):
        ax = axes[i // cols][i % cols]
        for p in pairs:
            epochs = range(len(p.trainer.train_acc_list))
            theirs = None if p.twin is None else p.twin.train_acc_list
            common.plot_pair(ax, epochs, p.trainer.train_acc_list, theirs, color=COLOURS[p.label], label=p.label)
        ax.set(title=f"W:{w:.4g}", ylim=(0, 1.0))
        if i % cols:
            ax.set_yticklabels([])
        else:
            ax.set_ylabel("accuracy")
        if i >= len(runs) - cols:
            ax.set_xlabel("epochs")
    for j in range(len(runs), rows * cols):
        axes[j // cols][j % cols].axis("off")
    last = axes[(len(runs) - 1) // cols][(len(runs) - 1) % cols]
    common.twin_legend_note(last, args)
    last.legend(loc="lower right", fontsize="x-small")
    common.save(fig, args)
