"""``npnet experiment optimizers``: the book's ``optimizer_compare_mnist.py``.

A five-layer ``MultiLayerNet`` (784-100-100-100-100-10, He initialisation) is trained on MNIST mini-batches of 128
for 2000 iterations by SGD (lr 0.01), Momentum (lr 0.01), AdaGrad (lr 0.01) and Adam (lr 0.001), every optimizer on
the same mini-batches from the same initial weights; RMSprop and Nesterov can be added with ``--optimizers``. The
figure is the book's: each optimizer's smoothed training loss against iterations, the PyTorch twins' dashed on top.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from npnet.nets import MultiLayerNet
from npnet.optim import make_optimizer
from npnet_cli import argtypes
from npnet_cli.experiments import common

NAME = "optimizers"
HELP = "compare SGD, Momentum, AdaGrad and Adam on MNIST (the book's optimizer_compare_mnist.py)"

#: The book's choices: each optimizer with its default learning rate.
BOOK_OPTIMIZERS = {
    "SGD": {"lr": 0.01},
    "Momentum": {"lr": 0.01},
    "Nesterov": {"lr": 0.01},
    "AdaGrad": {"lr": 0.01},
    "RMSprop": {"lr": 0.01},
    "Adam": {"lr": 0.001},
}
DEFAULT = ("SGD", "Momentum", "AdaGrad", "Adam")


def register(commands: Any) -> None:
    p = commands.add_parser(NAME, help=HELP, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iters", type=argtypes.positive_int, default=2000, help="iterations (default 2000)")
    p.add_argument("--batch-size", type=argtypes.positive_int, default=128, help="mini-batch size (default 128)")
    p.add_argument(
        "--optimizers",
        nargs="+",
        choices=list(BOOK_OPTIMIZERS),
        default=list(DEFAULT),
        help=f"which optimizers (default: {' '.join(DEFAULT)})",
    )
    p.add_argument("--print-every", type=argtypes.positive_int, default=100, help="table row every N iterations")
    common.add_common_options(p, NAME)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    x_train, t_train, x_test, t_test = common.mnist(args)
    data = (x_train, t_train, x_test, t_test)
    epochs = math.ceil(args.iters * args.batch_size / len(x_train)) + 1
    pairs = []
    for name in args.optimizers:
        network = MultiLayerNet(784, [100, 100, 100, 100], 10, rng=args.seed)
        optimizer = make_optimizer(name, **BOOK_OPTIMIZERS[name])
        pair = common.make_pair(
            name,
            args,
            network,
            data,
            epochs=epochs,
            mini_batch_size=args.batch_size,
            optimizer=optimizer,
            evaluate_sample_num_per_epoch=1000,
        )
        pairs.append(pair)
    print(f"5-layer MultiLayerNet, {args.iters} iterations, batch {args.batch_size}, seed {args.seed}", flush=True)
    for pair in pairs:
        pair.run(args.iters)
    header = ["iteration"] + [f"{p.label}{'' if p.twin is None else ' np / torch'}" for p in pairs]
    rows = []
    for i in range(0, args.iters, args.print_every):
        rows.append([str(i)] + [common.loss_cell(p, i) for p in pairs])
    common.print_table(header, rows, ["" for _ in header])
    summary = [[p.label, p.trainer.train_loss_list[-1], p.trainer.final_test_acc] for p in pairs]
    gaps = None if args.no_oracle else [[p.gap("train_loss_list")] for p in pairs]
    common.print_summary(
        ["optimizer", "final loss", "test acc"], summary, ["", ".4f", ".4f"], ["max |loss np - torch|"], gaps
    )
    common.check_finite({p.label: p.trainer.train_loss_list for p in pairs})
    fig, axes = common.figure()
    ax = axes[0][0]
    steps = range(args.iters)
    for p in pairs:
        theirs = None if p.twin is None else common.smooth_curve(p.twin.train_loss_list)
        common.plot_pair(ax, steps, common.smooth_curve(p.trainer.train_loss_list), theirs, label=p.label)
    common.twin_legend_note(ax, args)
    ax.set(xlabel="iterations", ylabel="loss", ylim=(0, 1), title="Optimizers on MNIST (smoothed training loss)")
    ax.legend()
    common.save(fig, args)
    return 0
