"""What ``npnet train`` leaves behind: its closing summary, ``--plot``, ``--save`` and ``--json``.

Every file is written whole or not at all (:func:`npnet_cli.outputs.write_atomically`).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from npnet.train import Trainer
from npnet_cli import interrupt
from npnet_cli.experiments import common
from npnet_cli.outputs import write_atomically
from npnet_cli.pairs import Pair, batchnorm_fed_biases


def summary(pair: Pair, gaps: Any, seconds: float) -> str:
    """Final test accuracies, the last weight gap and, in float32, its float64 yardstick."""
    text = f"final test accuracy: npnet {pair.trainer.final_test_acc:.4f}"
    if pair.twin is not None:
        text += f", torch twin {pair.twin.final_test_acc:.4f}"
    text += f" ({seconds:.1f} s)"
    if pair.twin is not None and gaps.reference:
        text += "\n" + float32_verdict(gaps.twin[-1], gaps.reference[-1])
    inert = batchnorm_fed_biases(pair.trainer.network)
    if pair.twin is not None and inert:
        text += (
            f"\n{', '.join(inert)} feed batch norm, which subtracts them again (with the batch mean in training, the "
            "running mean that follows it in testing): their gradient is round-off, so they are left out of the weight "
            f"gaps (npnet and torch hold them {pair.batchnorm_fed_gap():.2e} apart)."
        )
    return text


def float32_verdict(twin_gap: float, drift: float) -> str:
    """The last float32 twin gap set against the float32-vs-float64 drift of npnet itself, and what it means."""
    text = (
        f"weight gap npnet vs torch (float32): {twin_gap:.2e}; npnet float32 vs npnet float64 on the same batches: "
        f"{drift:.2e}.\n"
    )
    if twin_gap <= drift:
        return text + (
            "The twin gap is within the drift of float32 arithmetic itself, amplified by training (chaotic growth, "
            "see docs/cli.md): as close as float32 gets."
        )
    times = f" ({twin_gap / drift:.3g}x)" if drift > 0 and math.isfinite(twin_gap / drift) else ""
    return text + (
        f"The twin gap is larger than the drift of float32 arithmetic itself{times}. Chaotic growth can do that (see "
        "docs/cli.md); a float64 run (the default dtype), where the twins agree to round-off, tells it from a slip."
    )


def write_all(args: argparse.Namespace, pair: Pair, gaps: Any) -> None:
    """Write whichever of ``--plot``, ``--save`` and ``--json`` was asked for, saying where each went."""
    if args.plot is not None:
        interrupt.at(f"writing {args.plot}")
        title = f"npnet (NumPy) and its PyTorch twin, step for step: {type(pair.trainer.network).__name__}, " + (
            f"{type(pair.trainer.optimizer).__name__}, MNIST"
        )
        record = history(args, pair, gaps)
        write_atomically(args.plot, lambda tmp: draw(record, tmp, title))
        print(f"figure: {args.plot}", flush=True)
    if args.save is not None:
        interrupt.at(f"writing {args.save}")
        write_atomically(args.save, lambda tmp: pair.trainer.network.save_params(tmp))
        print(f"saved: {args.save} (read it back with: npnet evaluate {args.save})", flush=True)
    if args.json is not None:
        interrupt.at(f"writing {args.json}")
        text = json.dumps(history(args, pair, gaps), indent=1)
        write_atomically(args.json, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
        print(f"history: {args.json}", flush=True)


def finite_or_none(values: list[float]) -> list[float | None]:
    """JSON has no NaN: a missing number is ``null``."""
    return [v if math.isfinite(v) else None for v in values]


def trainer_history(trainer: Trainer) -> dict[str, Any]:
    return {
        "train_loss": trainer.train_loss_list,
        "reports": [vars(r) for r in trainer.history.reports],
        "final_test_acc": trainer.final_test_acc,
    }


def history(args: argparse.Namespace, pair: Pair, gaps: Any) -> dict[str, Any]:
    """The run's settings, both sides' histories and the sampled weight gaps."""
    settings = {k: v for k, v in vars(args).items() if k not in ("run", "plot", "save", "json", "command")}
    return {
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.items()},
        "npnet": trainer_history(pair.trainer),
        "twin": trainer_history(pair.twin) if pair.twin is not None else None,
        "weight_gap": {
            "iterations": gaps.iterations,
            "npnet_vs_twin": finite_or_none(gaps.twin) if pair.twin is not None else None,
            "float32_vs_float64": gaps.reference or None,
        },
    }


def positive(values: list[float | None]) -> np.ndarray:
    """Values for a log axis: zeros (identical weights) and missing values become gaps in the line."""
    arr = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.where(arr > 0, arr, np.nan)


def moving_average(values: list[float], window: int) -> tuple[np.ndarray, np.ndarray]:
    """``(iterations, means)`` of ``window`` consecutive values (the iteration of each window's last value)."""
    arr = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(arr) < window:
        return np.arange(len(arr)), arr
    means = np.convolve(arr, np.ones(window) / window, mode="valid")
    return np.arange(window - 1, len(arr)), means


def draw(record: dict[str, Any], path: Path, title: str = "") -> None:
    """Draw a :func:`history` record: loss (top left, a moving average over 1% of the run) and accuracy (top right),
    npnet solid and the twin dashed on top; the weight differences below, on a log axis; ``title`` above."""
    import matplotlib.pyplot as plt

    fig, _ = common.figure(size=(7.0, 5.6))
    fig.clf()
    grid = fig.add_gridspec(2, 2, height_ratios=[3, 2])
    loss_ax, acc_ax, gap_ax = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])
    ours, theirs = record["npnet"], record["twin"]
    window = max(len(ours["train_loss"]) // 100, 1)
    x, loss = moving_average(ours["train_loss"], window)
    twin_loss = moving_average(theirs["train_loss"], window)[1] if theirs else None
    common.plot_pair(loss_ax, x, loss, twin_loss, linewidth=1.5, label="npnet")
    average = f" (mean of {window})" if window > 1 else ""
    loss_ax.set(xlabel="iteration", ylabel=f"mini-batch loss{average}", title="loss")
    at = [r["iteration"] for r in ours["reports"]]
    for name, colour in (("train", "tab:blue"), ("test", "tab:orange")):
        mine = [r[f"{name}_acc"] for r in ours["reports"]]
        other = [r[f"{name}_acc"] for r in theirs["reports"]] if theirs else None
        common.plot_pair(acc_ax, at, mine, other, color=colour, marker="o", markersize=3, label=f"npnet {name}")
    acc_ax.set(xlabel="iteration", ylabel="accuracy", title="accuracy")
    for ax in (loss_ax, acc_ax):
        if theirs:
            ax.plot([], [], linestyle=(0, (3, 3)), color="black", linewidth=0.8, label="PyTorch twin")
        ax.legend(fontsize=8)
    draw_gaps(gap_ax, record["weight_gap"])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path.suffix.lower() == ".png":
        common.write_png(fig, path)
    else:
        fig.savefig(path, format=path.suffix.lstrip(".").lower())
    plt.close(fig)


def draw_gaps(ax: Any, gaps: dict[str, Any]) -> None:
    """The sampled weight differences on a log axis: npnet vs twin, and (float32) npnet vs npnet in float64."""
    if gaps["npnet_vs_twin"] is not None:
        ax.plot(gaps["iterations"], positive(gaps["npnet_vs_twin"]), color="tab:red", label="max |W npnet - W torch|")
    if gaps["float32_vs_float64"]:
        ax.plot(
            gaps["iterations"],
            positive(gaps["float32_vs_float64"]),
            color="tab:gray",
            linestyle="--",
            label="max |W npnet float32 - W npnet float64|",
        )
    ax.set_yscale("log")
    ax.set(xlabel="iteration", ylabel="weight difference", title="how far the weights drift apart")
    if gaps["npnet_vs_twin"] is not None or gaps["float32_vs_float64"]:
        ax.legend(fontsize=8)
