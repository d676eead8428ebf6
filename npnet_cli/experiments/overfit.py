"""``npnet experiment overfit``: the book's ``overfit_weight_decay.py`` and ``overfit_dropout.py`` in one command.

A seven-layer net (784-100-100-100-100-100-100-10, ReLU, He initialisation) is trained on only the first 300
MNIST training samples by SGD (lr 0.01, mini-batches of 100) for 201 epochs, three times from the same weights on
the same mini-batches (one seed): plainly (``MultiLayerNet``), with weight decay (lambda 0.1: the loss adds
``0.5 * lambda * sum(W**2)``) and with dropout (``MultiLayerNetExtend``, ratio 0.2, the book's dropout: masks in
training, outputs scaled by ``1 - ratio`` in testing). After each epoch's first step the accuracy on the 300
training samples and on the whole 10000-sample test set is recorded. The plain net fits its 300 samples perfectly
while its test accuracy stalls far below: overfitting; both remedies narrow the gap. The book's dropout script runs
301 epochs; here the three runs share one budget (``--epochs``) so that their panels compare.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from npnet.nets import MultiLayerNet, MultiLayerNetExtend
from npnet_cli import argtypes
from npnet_cli.experiments import common

NAME = "overfit"
HELP = "overfit 300 samples, then curb it with weight decay and dropout (overfit_weight_decay.py, overfit_dropout.py)"

LEARNING_RATE = 0.01
HIDDEN = [100] * 6


def register(commands: Any) -> None:
    p = commands.add_parser(NAME, help=HELP, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=argtypes.positive_int, default=201, help="epochs (default 201)")
    p.add_argument("--train-size", type=argtypes.positive_int, default=300, help="training samples (default 300)")
    p.add_argument("--batch-size", type=argtypes.positive_int, default=100, help="mini-batch size (default 100)")
    p.add_argument(
        "--weight-decay", type=argtypes.non_negative_float, default=0.1, help="weight decay lambda (default 0.1)"
    )
    p.add_argument("--dropout-ratio", type=argtypes.fraction, default=0.2, help="dropout ratio (default 0.2)")
    p.add_argument("--print-every", type=argtypes.positive_int, default=25, help="table row every N epochs")
    common.add_common_options(p, NAME)
    p.set_defaults(run=run)


def networks(args: argparse.Namespace) -> dict[str, Any]:
    """The three nets by label, each from the same seed (so with the same initial weights)."""
    return {
        "plain": MultiLayerNet(784, HIDDEN, 10, rng=args.seed),
        f"weight decay {args.weight_decay:g}": MultiLayerNet(
            784, HIDDEN, 10, weight_decay_lambda=args.weight_decay, rng=args.seed
        ),
        f"dropout {args.dropout_ratio:g}": MultiLayerNetExtend(
            784, HIDDEN, 10, use_dropout=True, dropout_ration=args.dropout_ratio, rng=args.seed
        ),
    }


def run(args: argparse.Namespace) -> int:
    x_train, t_train, x_test, t_test = common.mnist(args)
    data = (x_train[: args.train_size], t_train[: args.train_size], x_test, t_test)
    print(
        f"7-layer net (ReLU, He), {len(data[0])} training samples, SGD lr {LEARNING_RATE}, {args.epochs} epochs, "
        f"batch {args.batch_size}, seed {args.seed}",
        flush=True,
    )
    pairs = []
    for label, network in networks(args).items():
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
        pair.run()
        pairs.append(pair)
    print_tables(pairs, args)
    common.check_finite({p.label: p.trainer.train_loss_list + p.trainer.test_acc_list for p in pairs})
    plot(pairs, args)
    return 0


def print_tables(pairs: list[common.Pair], args: argparse.Namespace) -> None:
    """Train and test accuracy every ``--print-every`` epochs; then, per run, the final accuracies, their gap
    (how much the net overfits) and how far npnet and its twin are apart."""
    header = ["epoch"] + [f"{p.label} {split}" for p in pairs for split in ("train", "test")]
    epochs = sorted({*range(0, args.epochs, args.print_every), args.epochs - 1})
    rows = [
        [e] + [acc for p in pairs for acc in (p.trainer.train_acc_list[e], p.trainer.test_acc_list[e])] for e in epochs
    ]
    common.print_table(header, rows, ["d"] + [".4f"] * (len(header) - 1))
    summary = []
    for p in pairs:
        train, test = p.trainer.train_acc_list[-1], p.trainer.test_acc_list[-1]
        summary.append([p.label, train, test, train - test])
    common.print_summary(
        ["run", "train acc", "test acc", "train - test"],
        summary,
        ["", ".4f", ".4f", ".4f"],
        ["max |acc np - torch|", "max |loss np - torch|"],
        None
        if args.no_oracle
        else [[p.gap("train_acc_list", "test_acc_list"), p.gap("train_loss_list")] for p in pairs],
    )


def plot(pairs: list[common.Pair], args: argparse.Namespace) -> None:
    """Three panels, one per run: training and test accuracy per epoch, twins dashed."""
    fig, axes = common.figure(1, len(pairs), size=(4.2 * len(pairs), 4.0))
    for ax, p in zip(axes[0], pairs, strict=True):
        epochs = np.arange(len(p.trainer.train_acc_list))
        mark = max(len(epochs) // 20, 1)
        for split, marker in (("train", "o"), ("test", "s")):
            ours = getattr(p.trainer, f"{split}_acc_list")
            theirs = None if p.twin is None else getattr(p.twin, f"{split}_acc_list")
            common.plot_pair(ax, epochs, ours, theirs, label=split, marker=marker, markevery=mark, markersize=4)
        common.twin_legend_note(ax, args)
        ax.set(title=p.label, xlabel="epochs", ylabel="accuracy", ylim=(0, 1.0))
        ax.legend(loc="upper left")
    common.save(fig, args)
