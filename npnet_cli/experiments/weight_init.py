"""``npnet experiment weight-init``: the book's ``weight_init_compare.py``.

A five-layer ``MultiLayerNet`` (784-100-100-100-100-10, ReLU) is trained on MNIST mini-batches of 128 for 2000
iterations by SGD (lr 0.01) from three initial weight scales: a fixed standard deviation of 0.01, the book's
"Xavier" (``sqrt(1 / n)`` for ``n`` inputs to a layer, ``weight_init_std="sigmoid"``) and He (``sqrt(2 / n)``,
``weight_init_std="relu"``). The three nets see the same mini-batches and start from the same normal draws (one
seed), only scaled differently. With std 0.01 the signal fades layer by layer and the loss stays near ln(10); He
learns fastest. The figure is the book's: each net's smoothed training loss against iterations, the PyTorch twins'
dashed on top.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from npnet.nets import MultiLayerNet
from npnet_cli import argtypes
from npnet_cli.experiments import common

NAME = "weight-init"
HELP = "compare weight initialisations std=0.01, Xavier and He on MNIST (the book's weight_init_compare.py)"

#: The book's three initial weight scales, by its labels: a standard deviation, or MultiLayerNet's name of a rule.
BOOK_INITS: dict[str, float | str] = {"std=0.01": 0.01, "Xavier": "sigmoid", "He": "relu"}
#: The book's markers, one every 100 iterations.
MARKERS = {"std=0.01": "o", "Xavier": "s", "He": "D"}
LEARNING_RATE = 0.01


def register(commands: Any) -> None:
    p = commands.add_parser(NAME, help=HELP, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iters", type=argtypes.positive_int, default=2000, help="iterations (default 2000)")
    p.add_argument("--batch-size", type=argtypes.positive_int, default=128, help="mini-batch size (default 128)")
    p.add_argument("--print-every", type=argtypes.positive_int, default=100, help="table row every N iterations")
    common.add_common_options(p, NAME)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    data = common.mnist(args)
    epochs = math.ceil(args.iters * args.batch_size / len(data[0])) + 1
    pairs = []
    for label, std in BOOK_INITS.items():
        network = MultiLayerNet(784, [100, 100, 100, 100], 10, weight_init_std=std, rng=args.seed)
        pair = common.make_pair(
            label,
            args,
            network,
            data,
            epochs=epochs,
            mini_batch_size=args.batch_size,
            optimizer="SGD",
            optimizer_param={"lr": LEARNING_RATE},
            evaluate_sample_num_per_epoch=1000,
        )
        pairs.append(pair)
    print(
        f"5-layer MultiLayerNet (ReLU), SGD lr {LEARNING_RATE}, {args.iters} iterations, batch {args.batch_size}, "
        f"seed {args.seed}",
        flush=True,
    )
    for pair in pairs:
        pair.run(args.iters)
    print_tables(pairs, args)
    common.check_finite({p.label: p.trainer.train_loss_list for p in pairs})
    plot(pairs, args)
    return 0


def print_tables(pairs: list[common.Pair], args: argparse.Namespace) -> None:
    """The loss every ``--print-every`` iterations, then each net's final loss, test accuracy and twin gap."""
    header = ["iteration"] + [f"{p.label}{'' if p.twin is None else ' np / torch'}" for p in pairs]
    rows = [[str(i)] + [common.loss_cell(p, i) for p in pairs] for i in range(0, args.iters, args.print_every)]
    common.print_table(header, rows, ["" for _ in header])
    summary = [[p.label, p.trainer.train_loss_list[-1], p.trainer.final_test_acc] for p in pairs]
    gaps = None if args.no_oracle else [[p.gap("train_loss_list")] for p in pairs]
    common.print_summary(
        ["init", "final loss", "test acc"], summary, ["", ".4f", ".4f"], ["max |loss np - torch|"], gaps
    )


def plot(pairs: list[common.Pair], args: argparse.Namespace) -> None:
    """The book's figure: smoothed training loss against iterations, loss axis from 0 to 2.5."""
    fig, axes = common.figure()
    ax = axes[0][0]
    steps = range(args.iters)
    for p in pairs:
        theirs = None if p.twin is None else common.smooth_curve(p.twin.train_loss_list)
        style = {"label": p.label, "marker": MARKERS[p.label], "markevery": 100}
        common.plot_pair(ax, steps, common.smooth_curve(p.trainer.train_loss_list), theirs, **style)
    common.twin_legend_note(ax, args)
    ax.set(xlabel="iterations", ylabel="loss", ylim=(0, 2.5), title="Weight initialisation on MNIST (smoothed loss)")
    ax.legend()
    common.save(fig, args)
