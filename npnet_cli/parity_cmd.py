"""``npnet parity``: every npnet component against its PyTorch twin, in float64 and float32, as one table.

Functions, layers (each in the book's convention and, where PyTorch has its own, in PyTorch's), nets, and the
optimizers over 50 steps go through ``npnet.testing``, the checks users run on their own code; a 200-step training
run (the Trainer and its twin on the same mini-batches) is compared step by step. Each row gives the PyTorch
counterpart, the convention the comparison used, the largest absolute and relative difference, the bound from the
tolerance table and the margin (bound over difference at the tightest element: 1 or more passes).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from npnet import functions, gradient, layers, nets, optim
from npnet_cli import argtypes
from npnet_cli.book_names import FAILING, MATCH, TARGETS_BY_NAME, Row, Target, fill_from_report, run_check

DTYPES = ("float64", "float32")

EPILOG = """\
examples:
  npnet parity                                   # the whole table (about a minute on one CPU core)
  npnet parity --markdown docs/parity.md         # the table the docs show
  npnet parity --json parity.json --trajectory-steps 50
exit status: 0 when every row passes, 1 otherwise.
"""

#: What each component is compared with on the PyTorch side (see docs/conventions.md for the conventions).
COUNTERPARTS = {
    "sigmoid": "torch.sigmoid",
    "relu": "torch.relu",
    "softmax": "torch.softmax",
    "sum_squared_error": "0.5 * F.mse_loss(reduction='sum')",
    "cross_entropy_error": "F.nll_loss(log(y + delta))",
    "numerical_gradient": "torch.autograd.grad",
    "MulLayer": "autograd of x * y",
    "AddLayer": "autograd of x + y",
    "Relu": "F.relu",
    "Sigmoid": "torch.sigmoid",
    "Affine": "nn.Linear (weight = W.T)",
    "SoftmaxWithLoss": "F.cross_entropy",
    "Dropout": "the layer's mask in torch ops",
    "Dropout (inverted)": "F.dropout given the mask",
    "BatchNormalization": "F.batch_norm",
    "BatchNormalization (pytorch running var)": "F.batch_norm / nn.BatchNorm1d",
    "SGD": "torch.optim.SGD",
    "Momentum": "torch.optim.SGD(momentum)",
    "Nesterov": "torch.optim.SGD(nesterov=True)",
    "AdaGrad": "torch.optim.Adagrad",
    "RMSprop": "torch.optim.RMSprop",
    "Adam": "torch.optim.Adam",
    "TwoLayerNet": "oracle.nets.TwoLayerNet (nn.Linear, nn.ReLU)",
    "MultiLayerNet": "oracle.nets.MultiLayerNetExtend",
    "MultiLayerNetExtend": "oracle.nets.MultiLayerNetExtend (F.batch_norm, masks)",
}


def register(commands: Any) -> None:
    p = commands.add_parser(
        "parity",
        help="every npnet component against PyTorch, float64 and float32, one table",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--markdown", type=Path, default=None, metavar="FILE", help="write the table as Markdown")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the table as JSON")
    p.add_argument("--steps", type=argtypes.positive_int, default=50, help="optimizer steps (default 50)")
    p.add_argument(
        "--trajectory-steps", type=argtypes.positive_int, default=200, help="training steps compared (default 200)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of every drawn input (default 0)")
    p.set_defaults(run=run)


def _layer_cases(gen: np.random.Generator) -> list[tuple[str, str, Callable[[], Any]]]:
    """(row name, the book's name, a fresh npnet layer) for every layer and layer convention."""

    def bn(convention: str) -> Callable[[], Any]:
        return lambda: layers.BatchNormalization(
            1.0 + 0.1 * gen.standard_normal(5), gen.standard_normal(5), running_var_convention=convention
        )

    return [
        ("MulLayer", "MulLayer", layers.MulLayer),
        ("AddLayer", "AddLayer", layers.AddLayer),
        ("Relu", "Relu", layers.Relu),
        ("Sigmoid", "Sigmoid", layers.Sigmoid),
        ("Affine", "Affine", lambda: layers.Affine(gen.standard_normal((5, 3)), gen.standard_normal(3))),
        ("SoftmaxWithLoss", "SoftmaxWithLoss", layers.SoftmaxWithLoss),
        ("Dropout", "Dropout", lambda: layers.Dropout(0.3, rng=gen)),
        ("Dropout (inverted)", "Dropout", lambda: layers.Dropout(0.3, rng=gen, inverted=True)),
        ("BatchNormalization", "BatchNormalization", bn("book")),
        ("BatchNormalization (pytorch running var)", "BatchNormalization", bn("pytorch")),
    ]


def _net(name: str, dtype: str, seed: int) -> Any:
    if name == "TwoLayerNet":
        return nets.TwoLayerNet(6, 5, 4, weight_init_std=0.5, rng=seed, dtype=dtype)
    if name == "MultiLayerNet":
        return nets.MultiLayerNet(6, [5, 4], 3, weight_decay_lambda=0.1, rng=seed, dtype=dtype)
    return nets.MultiLayerNetExtend(
        6, [5, 4], 3, weight_decay_lambda=0.1, use_dropout=True, dropout_ration=0.2, use_batchnorm=True, rng=seed,
        dtype=dtype,
    )  # fmt: skip


def component_rows(args: argparse.Namespace) -> Iterator[Row]:
    """Every component in both dtypes, through ``npnet.testing`` (one protocol for npnet and for users)."""
    gen = np.random.default_rng(args.seed)
    for name in ("sigmoid", "relu", "softmax", "sum_squared_error", "cross_entropy_error"):
        for dtype in DTYPES:
            yield _checked(name, TARGETS_BY_NAME[name], getattr(functions, name), args.seed, dtype, dtypes=(dtype,))
    yield _checked(
        "numerical_gradient", TARGETS_BY_NAME["numerical_gradient"], gradient.numerical_gradient, args.seed, "float64"
    )
    for row_name, like, make in _layer_cases(gen):
        for dtype in DTYPES:
            yield _checked(row_name, TARGETS_BY_NAME[like], make(), args.seed, dtype, dtypes=(dtype,))
    for name in ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"):
        for dtype in DTYPES:
            optimizer = getattr(optim, name)()
            yield _checked(name, TARGETS_BY_NAME[name], optimizer, args.seed, dtype, steps=args.steps, dtypes=(dtype,))
    for name in ("TwoLayerNet", "MultiLayerNet", "MultiLayerNetExtend"):
        for dtype in DTYPES:
            yield _checked(name, TARGETS_BY_NAME[name], _net(name, dtype, args.seed), args.seed, dtype)


def _checked(row_name: str, target: Target, obj: Any, seed: int, dtype: str, **options: Any) -> Row:
    row = run_check(target, obj, seed, **options)
    row.component, row.dtype = row_name, dtype
    row.counterpart = COUNTERPARTS.get(row_name, "")
    return row


def trajectory_row(dtype: str, steps: int, seed: int) -> Row:
    """The Trainer (TwoLayerNet 784-30-10, SGD lr 0.1, batch 100 from 1,000 MNIST images) beside its twin for
    ``steps`` steps: the loss at every step and every parameter at the end, under the trajectory bound."""
    from npnet.compare import compare
    from npnet.datasets import load_mnist
    from npnet.train import Trainer
    from oracle.train import Trainer as TwinTrainer
    from oracle.train import side_by_side

    started = time.perf_counter()
    (x_train, t_train), (x_test, t_test) = load_mnist()
    x_train, x_test = x_train[:1000].astype(dtype), x_test[:200].astype(dtype)
    net = nets.TwoLayerNet(784, 30, 10, rng=seed, dtype=dtype)
    epochs = -(-steps // 10)  # 10 batches of 100 per epoch
    trainer = Trainer(net, x_train, t_train[:1000], x_test, t_test[:200], epochs=epochs, optimizer="SGD",
                      optimizer_param={"lr": 0.1}, verbose=False, rng=seed)  # fmt: skip
    trainer.max_iter = steps
    trainer.schedule = trainer.schedule[:steps]
    twin = TwinTrainer.from_npnet(trainer)
    for _ in side_by_side(trainer, twin):
        pass
    comparisons = [
        compare(np.array(trainer.train_loss_list), np.array(twin.train_loss_list), "loss per step", "trajectory", dtype)
    ]
    twin_params = twin.network.params
    comparisons += [
        compare(net.params[k], twin_params[k], f"{k} after {steps} steps", "trajectory", dtype) for k in net.params
    ]
    row = Row(f"training, {steps} steps", MATCH, kind="trajectory", counterpart="oracle.train.Trainer, torch.optim.SGD")
    report = _TrajectoryReport(comparisons, ["TwoLayerNet 784-30-10, SGD lr 0.1, the same mini-batches"])
    fill_from_report(row, report)
    row.dtype = dtype
    row.seconds = time.perf_counter() - started
    return row


class _TrajectoryReport:
    """The trajectory's comparisons in the shape of a ``npnet.testing`` report."""

    def __init__(self, comparisons: list[Any], conventions: list[str]) -> None:
        self.comparisons = comparisons
        self.conventions = conventions
        self.warnings: list[str] = []
        self.skipped: list[str] = []
        self.failures = [c for c in comparisons if not c.passed]
        self.passed = not self.failures
        self.diagnoses = {c.quantity: c.message for c in self.failures}


#: The terminal's columns; the Markdown table adds ``convention`` after the counterpart.
COLUMNS = ("component", "PyTorch counterpart", "dtype", "tightest", "max abs", "max rel", "bound", "margin", "verdict")


MARKDOWN_COLUMNS = (*COLUMNS[:2], "convention", *COLUMNS[2:])


def cells(row: Row) -> list[str]:
    """The row's table cells (conventions and notes are listed under the table)."""

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:.1e}"

    margin = "-" if row.margin is None else ("exact" if row.margin == float("inf") else f"{row.margin:.3g}")
    verdict = "pass" if row.verdict not in FAILING else row.verdict
    return [row.component, row.counterpart, row.dtype, row.quantity or "-", number(row.max_abs), number(row.max_rel),
            row.bound or "-", margin, verdict]  # fmt: skip


def conventions(rows: list[Row]) -> dict[str, list[str]]:
    """Component -> the conventions its comparison used, each once, in order."""
    named: dict[str, list[str]] = {}
    for row in rows:
        for convention in filter(None, row.convention.split("; ")):
            named.setdefault(row.component, [])
            if convention not in named[row.component]:
                named[row.component].append(convention)
    return named


def print_table(rows: list[Row]) -> None:
    widths = [40, 44, 7, 24, 8, 8, 22, 8, 8]
    print(" ".join(f"{c:<{w}}" for c, w in zip(COLUMNS, widths, strict=True)).rstrip())
    for row in rows:
        print(" ".join(f"{c:<{w}}" for c, w in zip(cells(row), widths, strict=True)).rstrip())
        if row.verdict in FAILING:
            print(f"{'':<4}{row.note}")
    print("conventions:")
    for component, names in conventions(rows).items():
        print(f"  {component}: {'; '.join(names)}")


def markdown(rows: list[Row], argv_text: str) -> str:
    """The table as the Markdown page docs/parity.md."""
    lines = [
        "# Parity: every npnet component against PyTorch",
        "",
        f"Generated by `{argv_text}`; do not edit by hand.",
        "",
        "Each row runs `npnet.testing`'s check (the one users run on their own code) in one dtype. `tightest` names",
        "the quantity with the smallest margin, whose numbers the row shows; `margin` is the bound over the difference",
        "at its tightest element (1 or more passes; `exact` where both sides agree bit for bit). Bounds come from the",
        "one tolerance table, `npnet/tolerances.py`; [conventions.md](conventions.md) explains the conventions.",
        "",
        "| " + " | ".join(MARKDOWN_COLUMNS) + " |",
        "| " + " | ".join("---" for _ in MARKDOWN_COLUMNS) + " |",
    ]
    for row in rows:
        row_cells = cells(row)
        row_cells.insert(2, row.convention.replace("; ", "; <br>") or "-")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row_cells) + " |")
    failing = [row for row in rows if row.verdict in FAILING]
    if failing:
        lines += ["", "## Failures", ""] + [f"- **{r.component}** ({r.dtype}): {r.note}" for r in failing]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(1)  # the twins beside NumPy's BLAS threads: one torch thread is faster, not slower
    started = time.perf_counter()
    rows: list[Row] = []
    for row in component_rows(args):
        rows.append(row)
    for dtype in DTYPES:
        rows.append(trajectory_row(dtype, args.trajectory_steps, args.seed))
    print_table(rows)
    argv_text = "npnet parity" + (
        f" --trajectory-steps {args.trajectory_steps}" if args.trajectory_steps != 200 else ""
    )
    if args.markdown is not None:
        args.markdown.write_text(markdown(rows, argv_text + (f" --steps {args.steps}" if args.steps != 50 else "")))
    if args.json is not None:
        args.json.write_text(json.dumps({"rows": [r.as_dict() for r in rows]}, indent=2, default=str) + "\n")
    failing = [f"{r.component} ({r.dtype or '-'})" for r in rows if r.verdict in FAILING]
    seconds = time.perf_counter() - started
    if failing:
        print(f"{len(failing)} of {len(rows)} rows fail: {', '.join(failing)} ({seconds:.0f} s)")
        return 1
    print(f"all {len(rows)} rows pass ({seconds:.0f} s)")
    return 0
