"""What every experiment shares: its command-line options, MNIST, npnet/twin trainer pairs, figures and tables.

An experiment trains npnet networks with :class:`npnet.train.Trainer` and, unless ``--no-oracle`` is given, each
one's PyTorch twin beside it (:class:`oracle.train.Trainer`, same weights, mini-batches and dropout masks, the
torch optimizer of the same formula), then prints its numbers and writes one PNG. Figures are drawn headless
(matplotlib's Agg backend); npnet's curves are solid lines, the twins' thin black dashes over them.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from npnet.datasets import load_mnist
from npnet.train import Trainer

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Values = Sequence[float] | np.ndarray
"""A curve's numbers: a list (a Trainer's history) or an array."""


def add_common_options(p: argparse.ArgumentParser, name: str) -> None:
    """``--out``, ``--seed``, ``--no-oracle``, ``--device``, ``--data-dir``: what every experiment takes."""
    p.add_argument("--out", type=Path, default=Path("figures"), help="folder for the PNG (default ./figures)")
    p.add_argument("--seed", type=int, default=0, help="seed of every weight, mini-batch and mask (default 0)")
    p.add_argument("--no-oracle", action="store_true", help="train npnet alone (PyTorch not needed)")
    p.add_argument("--device", default=None, help="the twins' torch device, e.g. cuda (default cpu)")
    p.add_argument("--data-dir", default=None, help="folder with the four MNIST files (default: shipped copy)")
    p.set_defaults(figure_name=f"{name}.png")


def mnist(args: argparse.Namespace) -> Data:
    """``(x_train, t_train, x_test, t_test)``: normalized, flattened, index labels, as the book's scripts load it."""
    (x_train, t_train), (x_test, t_test) = load_mnist(data_dir=args.data_dir)
    return x_train, t_train, x_test, t_test


@dataclass
class Pair:
    """An npnet trainer and, when the oracle is on, its twin (``None`` otherwise)."""

    label: str
    trainer: Trainer
    twin: Trainer | None

    def step(self) -> None:
        """One step of both, npnet first (its step draws the dropout masks the twin reuses)."""
        self.trainer.train_step()
        if self.twin is not None:
            self.twin.train_step()

    def run(self, steps: int | None = None) -> None:
        """``steps`` steps of both (all that remain if ``None``); then both measure their final test accuracy."""
        remaining = self.trainer.max_iter - self.trainer.current_iter
        for _ in range(remaining if steps is None else min(steps, remaining)):
            self.step()
        self.trainer.finish()
        if self.twin is not None:
            self.twin.finish()

    def gap(self, *histories: str) -> float:
        """Largest ``|npnet - torch|`` over the named history lists (``"train_loss_list"``, ``"train_acc_list"``,
        ``"test_acc_list"``), as :func:`max_gap` counts it; NaN without a twin."""
        if self.twin is None:
            return math.nan
        return max(max_gap(getattr(self.trainer, name), getattr(self.twin, name)) for name in histories)


def make_pair(label: str, args: argparse.Namespace, network: Any, data: Data, **trainer_kwargs: Any) -> Pair:
    """A :class:`Pair` training ``network`` on ``data`` (Trainer's keywords, ``verbose`` off, seeded by ``--seed``)."""
    trainer_kwargs.setdefault("rng", args.seed)
    trainer = Trainer(network, *data, verbose=False, **trainer_kwargs)
    twin = None
    if not args.no_oracle:
        from oracle.train import Trainer as TwinTrainer

        one_torch_thread()
        twin = TwinTrainer.from_npnet(trainer, device=args.device)
    return Pair(label, trainer, twin)


def one_torch_thread() -> None:
    """Run the twins on one torch thread, called before any twin trains.

    npnet's BLAS threads spin for a while after each call; torch's own threads, started in between, then fight them
    for the cores (measured: a 5-layer step pair takes 3x longer with torch on 2 threads).
    """
    import torch

    torch.set_num_threads(1)


def smooth_curve(x: Values, window: int = 11) -> np.ndarray:
    """The book's ``smooth_curve``: a Kaiser-window (beta 2) moving average of a loss curve, same length.

    The ends are padded as the book's are: mirrored without the first value on the left, with the last value
    repeated on the right. Curves shorter than the window are returned as they are.
    """
    values = np.asarray(x, dtype=np.float64)
    if len(values) < window:
        return values
    half = window // 2
    padded = np.concatenate([values[half:0:-1], values, values[-1 : -half - 1 : -1]])
    w = np.kaiser(window, 2)
    return np.convolve(w / w.sum(), padded, mode="valid")


def figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (7.0, 4.5)) -> tuple[Any, Any]:
    """A matplotlib figure on the Agg backend (no display needed) and its axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=size, squeeze=False)


def save(fig: Any, args: argparse.Namespace) -> Path:
    """Write ``fig`` to ``--out/<experiment>.png``, close it and say where it went."""
    import matplotlib.pyplot as plt

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / args.figure_name
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"figure: {path}", flush=True)
    return path


def plot_pair(ax: Any, x: Values, ours: Values, theirs: Values | None, **style: Any) -> None:
    """npnet's curve solid (width 2.5) with its label; the twin's as thin black dashes on top, so that where the two
    agree the dashes run along the middle of npnet's line and any gap shows (labelled once: :func:`twin_legend_note`).
    """
    ax.plot(x, ours, **{"linewidth": 2.5, **style})
    if theirs is not None:
        ax.plot(x, theirs, linestyle=(0, (3, 3)), color="black", linewidth=0.8)


def twin_legend_note(ax: Any, args: argparse.Namespace) -> None:
    """Say in the plot what the dashed lines are."""
    if not args.no_oracle:
        ax.plot([], [], linestyle=(0, (3, 3)), color="black", linewidth=0.8, label="dashed: PyTorch twin")


def print_table(header: Sequence[str], rows: Sequence[Sequence[Any]], formats: Sequence[str]) -> None:
    """A plain aligned table: ``formats`` are format specs per column (``"d"``, ``".4f"``, ``".2e"``, ``""``)."""
    cells = [[format(v, f) if not isinstance(v, str) else v for v, f in zip(row, formats, strict=True)] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)), flush=True)
    for r in cells:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)), flush=True)


def print_summary(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    formats: Sequence[str],
    gap_header: Sequence[str],
    gap_rows: Sequence[Sequence[float]] | None,
) -> None:
    """:func:`print_table` of ``rows``, with the npnet-vs-twin gap columns appended (``gap_header``, ``gap_rows``,
    shown as ``.2e``) when there are twins (``gap_rows`` not ``None``)."""
    if gap_rows is None:
        print_table(header, rows, formats)
        return
    full_rows = [[*row, *gaps] for row, gaps in zip(rows, gap_rows, strict=True)]
    print_table([*header, *gap_header], full_rows, [*formats, *(".2e" for _ in gap_header)])


def loss_cell(pair: Pair, i: int) -> str:
    """Iteration ``i``'s loss, ``"npnet / twin"`` when the twin is on."""
    ours = pair.trainer.train_loss_list[i]
    if pair.twin is None:
        return f"{ours:.4f}"
    return f"{ours:.4f} / {pair.twin.train_loss_list[i]:.4f}"


def max_gap(ours: Values, theirs: Values | None) -> float:
    """Largest ``|ours - theirs|`` (NaN without a twin); where both sides diverged alike (both NaN, or the same
    infinity) they agree, where only one did the gap is infinite."""
    if theirs is None:
        return math.nan
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if a.size == 0:
        return 0.0
    alike = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        diff = np.where(alike, 0.0, np.abs(a - b))
    return float(np.max(np.nan_to_num(diff, nan=np.inf)))


def check_finite(named: dict[str, Values]) -> None:
    """Raise if an experiment produced a non-finite number (a diverged run must be reported, not plotted blank)."""
    for name, values in named.items():
        if not np.all(np.isfinite(np.asarray(values, dtype=np.float64))):
            raise FloatingPointError(f"{name}: non-finite values in the results")


Runner = Callable[[argparse.Namespace], int]
