"""npnet train: any net and optimizer of chapters 5-6 on MNIST, with its PyTorch twin trained beside it.

Both sides start from the same weights and see the same mini-batches (and dropout masks); each epoch prints one row
with both sides' train and test accuracy and how far their weights have drifted apart (float round-off only). In
float32 a third column gives a yardstick for that drift: npnet in float32 against npnet in float64 on the very same
batches. --plot draws the curves, --save writes the trained net for `npnet evaluate`, --json the history.

examples:
  npnet train                                          # the book's train_neuralnet.py: 784-50-10, SGD lr 0.1
  npnet train --net multi-layer-extend --hidden 100,100,100 --batchnorm --dropout 0.2 \\
      --optimizer adam --lr 0.001 --epochs 5 --plot curves.png --save net.npz
  npnet train --dtype float32 --iters 2000 --json history.json
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field
from typing import Any

from npnet.rng import as_generator
from npnet.train import EpochReport, Trainer, iterations_per_epoch
from npnet_cli import argtypes, data, interrupt, netspec, train_outputs
from npnet_cli.console import Progress
from npnet_cli.devices import twin_device
from npnet_cli.outputs import output_file
from npnet_cli.pairs import Pair, make_pair, weights_gap

HEADER = (
    f"{'epoch':>5} {'iter':>6} | {'npnet train':>11} {'test':>7} | {'torch train':>11} {'test':>7} | "
    f"{'max |W_np - W_torch|':>20}"
)
REFERENCE_HEADER = f" | {'f32 vs f64 npnet':>16}"
#: How many weight-gap samples a run records for the figure (besides one per epoch report).
GAP_SAMPLES = 100


def register(commands: Any) -> None:
    p = commands.add_parser(
        "train",
        help="train any chapter 5-6 net on MNIST beside its PyTorch twin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    netspec.add_network_options(p)
    netspec.add_optimizer_options(p)
    g = p.add_argument_group("budget and data")
    budget = g.add_mutually_exclusive_group()
    budget.add_argument("--iters", metavar="N", type=argtypes.positive_int, default=None, help="steps (default 10000)")
    budget.add_argument(
        "--epochs", metavar="N", type=argtypes.positive_int, default=None, help="passes over the training set"
    )
    g.add_argument("--batch-size", type=argtypes.positive_int, default=100, help="mini-batch size (default 100)")
    g.add_argument(
        "--train-size", metavar="N", type=argtypes.positive_int, default=None, help="first N training samples only"
    )
    g.add_argument(
        "--eval-samples", type=argtypes.positive_int, default=None, help="accuracy per epoch on the first N (all)"
    )
    g.add_argument("--seed", type=argtypes.seed, default=0, help="seed of the weights, batches and masks (default 0)")
    g.add_argument("--data-dir", default=None, help="folder with the four MNIST files (default: shipped copy)")
    g = p.add_argument_group("twin and outputs")
    g.add_argument("--no-oracle", action="store_true", help="train npnet alone (PyTorch not needed)")
    g.add_argument("--device", default=None, help="the twin's torch device, e.g. cuda (default cpu)")
    g.add_argument(
        "--plot",
        metavar="FILE",
        type=output_file((".png", ".svg", ".pdf")),
        help="loss, accuracy and weight-gap figure",
    )
    g.add_argument(
        "--save", metavar="FILE", type=output_file((".npz",)), help="the trained net (.npz) for `npnet evaluate`"
    )
    g.add_argument(
        "--json", metavar="FILE", type=output_file((".json",)), help="the history: losses, accuracies, weight gaps"
    )
    p.set_defaults(run=run)


@dataclass
class GapTrace:
    """Weight gaps sampled during training: npnet vs its twin, and (float32) npnet vs npnet in float64."""

    iterations: list[int] = field(default_factory=list)
    twin: list[float] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)


def budget(args: argparse.Namespace, train_size: int) -> tuple[int, int]:
    """``(epochs for the Trainer, steps to run)`` from ``--iters`` (default 10000) or ``--epochs``."""
    per_epoch = iterations_per_epoch(train_size, args.batch_size)
    if args.epochs is not None:
        return args.epochs, args.epochs * per_epoch
    steps = args.iters if args.iters is not None else 10000
    return math.ceil(steps / per_epoch), steps


def load_data(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    (x_train, t_train), (x_test, t_test) = data.mnist(args)
    if args.train_size is not None:
        x_train, t_train = x_train[: args.train_size], t_train[: args.train_size]
    return x_train, t_train, x_test, t_test


def float64_reference(args: argparse.Namespace, pair: Pair, epochs: int) -> Trainer:
    """npnet in float64 from the float32 net's very weights, on the same batches and dropout masks.

    Its generator is seeded like the float32 run's and draws the same weights and schedule, so its dropout masks
    (drawn after them, in float64 whatever the dtype) are the same too.
    """
    gen = as_generator(args.seed)
    net = netspec.build_network(args, gen, dtype="float64")
    for key, value in pair.trainer.network.params.items():
        net.params[key][...] = value
    t = pair.trainer
    ref = Trainer(
        net,
        t.x_train,
        t.t_train,
        t.x_test,
        t.t_test,
        epochs,
        t.batch_size,
        netspec.build_optimizer(args),
        None,
        t.evaluate_sample_num_per_epoch,
        verbose=False,
        rng=gen,
    )
    if (ref.schedule != t.schedule).any():
        raise RuntimeError("the float64 reference drew another schedule")  # cannot happen: same seed, same draws
    return ref


def row(ours: EpochReport, theirs: EpochReport | None, gaps: GapTrace) -> str:
    text = f"{ours.epoch:5d} {ours.iteration:6d} | {ours.train_acc:11.4f} {ours.test_acc:7.4f} | "
    if theirs is None:
        text += f"{'-':>11} {'-':>7} | {'-':>20}"
    else:
        text += f"{theirs.train_acc:11.4f} {theirs.test_acc:7.4f} | {gaps.twin[-1]:20.3e}"
    if gaps.reference:
        text += f" | {gaps.reference[-1]:16.3e}"
    return text


def train(pair: Pair, reference: Trainer | None, steps: int, progress: Progress) -> GapTrace:
    """Run ``steps`` steps of the pair (and the reference), print a row per epoch, sample the weight gaps."""
    gaps = GapTrace()
    every = max(steps // GAP_SAMPLES, 1)
    for i in range(steps):
        interrupt.at(f"training: step {i + 1} of {steps}")
        ours, theirs = pair.step()
        if reference is not None:
            reference.train_step()
        if ours is not None or i % every == 0 or i == steps - 1:
            gaps.iterations.append(i)
            gaps.twin.append(pair.weight_gap())
            if reference is not None:
                gaps.reference.append(weights_gap(pair.trainer.network, reference.network.params))
        if ours is not None:
            progress.line(row(ours, theirs, gaps))
        progress.update()
    pair.finish()
    return gaps


def run(args: argparse.Namespace) -> int:
    netspec.check_network_flags(args)
    optimizer = netspec.build_optimizer(args)
    twin_device(args, args.dtype)  # a device the twin cannot use is refused before the data loads
    dataset = load_data(args)
    epochs, steps = budget(args, len(dataset[0]))
    gen = as_generator(args.seed)
    net = netspec.build_network(args, gen)
    pair = make_pair(
        "npnet",
        args,
        net,
        dataset,
        epochs=epochs,
        mini_batch_size=args.batch_size,
        optimizer=optimizer,
        evaluate_sample_num_per_epoch=args.eval_samples,
        rng=gen,
    )
    reference = float64_reference(args, pair, epochs) if args.dtype == "float32" else None
    print(f"{netspec.describe(net, args)}, {optimizer!r}, {steps} steps, batch {args.batch_size}, seed {args.seed}")
    if pair.twin is not None:
        twin_net, torch_optimizer = pair.twin.network, getattr(pair.twin, "torch_optimizer", None)
        print(
            f"PyTorch twin: {type(twin_net).__name__} (nn.Linear, F.cross_entropy), "
            f"torch.optim.{type(torch_optimizer).__name__}, device {twin_net.device}",
            flush=True,
        )
    print(HEADER + (REFERENCE_HEADER if reference is not None else ""), flush=True)
    started = time.perf_counter()
    with Progress(steps, "training") as progress:
        gaps = train(pair, reference, steps, progress)
    print(train_outputs.summary(pair, gaps, time.perf_counter() - started), flush=True)
    train_outputs.write_all(args, pair, gaps)
    return 0
