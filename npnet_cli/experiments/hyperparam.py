"""``npnet experiment hyperparam``: the book's ``hyperparameter_optimization.py``.

The first 500 MNIST training samples are shuffled and split: 20% (100 samples) for validation, the rest for
training. Each of 100 trials draws a learning rate ``10**U(-6, -2)`` and a weight-decay strength ``10**U(-8, -4)``
and trains a ``MultiLayerNet`` of six hidden layers of 100 (ReLU, He initialisation) with them by SGD, mini-batches
of 100, for 50 epochs (:func:`npnet.search.random_search`'s steps: split, draws, trials, from one generator seeded
by ``--seed``; every trial has its own seed, so ``--jobs`` changes only the speed). Every trial's final validation
accuracy is printed, then the best ones; unless ``--no-oracle``, each of the best is trained again by its PyTorch
twin (same split, weights and mini-batches). The figure is the book's grid of the best trials: validation accuracy
per epoch (twin dashed) and training accuracy. The book draws the last trial's training curve in every panel; here
each panel has its own.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from npnet.rng import as_generator
from npnet.search import (
    SearchSpace,
    TrialResult,
    best_trials,
    run_trials,
    sample_trials,
    split_validation,
)
from npnet_cli import argtypes, interrupt
from npnet_cli.devices import twin_device
from npnet_cli.experiments import common

NAME = "hyperparam"
HELP = "random search over learning rate and weight decay (the book's hyperparameter_optimization.py)"

COLUMNS = 5


def n_jobs(text: str) -> int:
    """joblib's ``n_jobs``: a positive number of workers, or -1 (one per core), -2 (all but one), ..."""
    value = int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("--jobs must not be 0 (1: no workers, -1: one per core)")
    return value


def register(commands: Any) -> None:
    p = commands.add_parser(NAME, help=HELP, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=argtypes.positive_int, default=100, help="trials (default 100)")
    p.add_argument("--epochs", type=argtypes.positive_int, default=50, help="epochs per trial (default 50)")
    p.add_argument("--train-size", type=argtypes.positive_int, default=500, help="samples to split (default 500)")
    p.add_argument(
        "--validation-rate", type=argtypes.fraction, default=0.2, help="share held out to validate (default 0.2)"
    )
    p.add_argument(
        "--best", type=argtypes.positive_int, default=20, help="best trials shown and retrained (default 20)"
    )
    p.add_argument("--jobs", type=n_jobs, default=-1, help="joblib workers (default -1: one per core)")
    common.add_common_options(p, NAME)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    device = twin_device(args)  # a --device the twins cannot use is refused before the search
    x_train, t_train, _, _ = common.mnist(args)
    space = SearchSpace(epochs=args.epochs)
    gen = as_generator(args.seed)
    (x, t), (x_val, t_val) = split_validation(
        x_train[: args.train_size], t_train[: args.train_size], args.validation_rate, gen
    )
    data = (x, t, x_val, t_val)
    trials = sample_trials(args.trials, space, gen)
    print(
        f"{args.trials} trials of MultiLayerNet 784-{'-'.join(map(str, space.hidden_size_list))}-10 on {len(x)} "
        f"training and {len(x_val)} validation samples, seed {args.seed}, jobs {args.jobs}\n"
        f"{space.optimizer} lr 10^U{space.lr_exponents}, weight decay 10^U{space.weight_decay_exponents}, "
        f"{space.epochs} epochs, batch {space.mini_batch_size}",
        flush=True,
    )
    interrupt.at(f"running {args.trials} trials")
    results = run_trials(trials, data, space, args.jobs)
    for r in results:
        print(f"trial {r.trial.index:3d} | {describe(r)}", flush=True)
    common.check_finite({f"trial {r.trial.index}": r.val_acc_list + r.train_acc_list for r in results})
    best = best_trials(results, args.best)
    twins = None if args.no_oracle else twin_results(best, data, space, device)
    print(f"=========== Hyper-Parameter Optimization Result: best {len(best)} ===========", flush=True)
    print_best(best, twins)
    plot(best, twins, args)
    return 0


def describe(r: TrialResult) -> str:
    """The book's line: ``val acc:0.83 | lr:0.0059, weight decay:1.2e-07``."""
    return f"val acc:{r.final_val_acc:.4f} | lr:{r.trial.lr:.4g}, weight decay:{r.trial.weight_decay:.4g}"


def twin_results(best: list[TrialResult], data: common.Data, space: SearchSpace, device: Any) -> list[TrialResult]:
    """The best trials trained again by their twins, in the same order."""
    from oracle.search import run_trial

    common.one_torch_thread()
    interrupt.at("training the best trials' twins")
    return [run_trial(r.trial, *data, space, device=device) for r in best]


def acc_gap(ours: TrialResult, theirs: TrialResult) -> float:
    """Largest ``|acc np - torch|`` over the epochs, validation and training accuracy."""
    return max(
        common.max_gap(ours.val_acc_list, theirs.val_acc_list),
        common.max_gap(ours.train_acc_list, theirs.train_acc_list),
    )


def print_best(best: list[TrialResult], twins: list[TrialResult] | None) -> None:
    """The best trials, best first: final validation and training accuracy, the draws and, with twins, the gap."""
    header = ["rank", "trial", "val acc", "train acc", "lr", "weight decay"]
    formats = ["d", "d", ".4f", ".4f", ".4g", ".4g"]
    if twins is not None:
        header += ["twin val acc", "max |acc np - torch|"]
        formats += [".4f", ".2e"]
    rows = []
    for rank, r in enumerate(best, start=1):
        row: list[Any] = [rank, r.trial.index, r.final_val_acc, r.train_acc_list[-1], r.trial.lr, r.trial.weight_decay]
        if twins is not None:
            row += [twins[rank - 1].final_val_acc, acc_gap(r, twins[rank - 1])]
        rows.append(row)
    common.print_table(header, rows, formats)


def plot(best: list[TrialResult], twins: list[TrialResult] | None, args: argparse.Namespace) -> None:
    """The book's grid, five per row: per best trial, validation accuracy (twin dashed) and training accuracy."""
    cols = min(COLUMNS, len(best))
    rows = math.ceil(len(best) / cols)
    fig, axes = common.figure(rows, cols, size=(2.8 * cols, 2.3 * rows))
    for i, r in enumerate(best):
        ax = axes[i // cols][i % cols]
        epochs = range(len(r.val_acc_list))
        theirs = None if twins is None else twins[i].val_acc_list
        common.plot_pair(ax, epochs, r.val_acc_list, theirs, color="C0", label="validation")
        ax.plot(epochs, r.train_acc_list, color="C1", alpha=0.6, linewidth=1.0, label="training")
        ax.set_title(f"Best-{i + 1}(val acc:{r.final_val_acc:.3g})", fontsize=9)
        ax.set(ylim=(0.0, 1.0))
        if i % cols:
            ax.set_yticklabels([])
        if i < len(best) - cols:
            ax.set_xticklabels([])
        else:
            ax.set_xlabel("epochs")
    for j in range(len(best), rows * cols):
        axes[j // cols][j % cols].axis("off")
    common.twin_legend_note(axes[0][0], args)
    axes[0][0].legend(loc="lower right", fontsize="x-small")
    common.save(fig, args)
