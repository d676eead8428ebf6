"""What every experiment shares: its command-line options, MNIST, npnet/twin trainer pairs, figures and tables.

An experiment trains npnet networks with :class:`npnet.train.Trainer` and, unless ``--no-oracle`` is given, each
one's PyTorch twin beside it (:class:`oracle.train.Trainer`, same weights, mini-batches and dropout masks, the
torch optimizer of the same formula), then prints its numbers and writes one PNG. Figures are drawn headless
(matplotlib's Agg backend); npnet's curves are solid lines, the twins' thin black dashes over them.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from npnet_cli import argtypes, data, interrupt
from npnet_cli.outputs import output_folder, write_atomically
from npnet_cli.pairs import Data, Pair, make_pair, max_gap, one_torch_thread

__all__ = ["Data", "Pair", "make_pair", "max_gap", "one_torch_thread"]  # the experiments use them as common.X

#: Resolution of every PNG: 7 x 4.5 inches at 80 dpi.
FIGURE_DPI = 80
#: Colours of every PNG's palette: a plot's few colours and their anti-aliased edges fit, at a third of the size
#: of a full-colour PNG (tens of kilobytes for a figure).
PNG_COLOURS = 128

Values = Sequence[float] | np.ndarray
"""A curve's numbers: a list (a Trainer's history) or an array."""


def add_common_options(p: argparse.ArgumentParser, name: str) -> None:
    """``--out``, ``--seed``, ``--no-oracle``, ``--device``, ``--data-dir``: what every experiment takes."""
    p.add_argument("--out", type=output_folder, default=Path("figures"), help="folder for the PNG (default ./figures)")
    p.add_argument(
        "--seed", type=argtypes.seed, default=0, help="seed of every weight, mini-batch and mask (default 0)"
    )
    p.add_argument("--no-oracle", action="store_true", help="train npnet alone (PyTorch not needed)")
    p.add_argument("--device", default=None, help="the twins' torch device, e.g. cuda (default cpu)")
    p.add_argument("--data-dir", default=None, help="folder with the four MNIST files (default: shipped copy)")
    p.set_defaults(figure_name=f"{name}.png")
    p.epilog = (
        f"examples:\n  npnet experiment {name}                      # the default budget, figure in ./figures\n"
        f"  npnet experiment {name} --no-oracle --out /tmp  # npnet alone, no torch needed"
    )


def mnist(args: argparse.Namespace) -> Data:
    """``(x_train, t_train, x_test, t_test)``: normalized, flattened, index labels, as the book's scripts load it."""
    (x_train, t_train), (x_test, t_test) = data.mnist(args)
    return x_train, t_train, x_test, t_test


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
    """Write ``fig`` to ``--out/<experiment>.png`` (whole or not at all), close it and say where it went."""
    import matplotlib.pyplot as plt

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / args.figure_name
    interrupt.at(f"writing {path}")
    fig.tight_layout()
    write_atomically(path, lambda tmp: write_png(fig, tmp))
    plt.close(fig)
    print(f"figure: {path}", flush=True)
    return path


def write_png(fig: Any, path: Path) -> None:
    """``fig`` as a PNG at :data:`FIGURE_DPI`, reduced to a palette of :data:`PNG_COLOURS` colours."""
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=FIGURE_DPI, format="png")
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=PNG_COLOURS).save(path, format="PNG", optimize=True)


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


def check_finite(named: dict[str, Values]) -> None:
    """Raise if an experiment produced a non-finite number (a diverged run must be reported, not plotted blank)."""
    for name, values in named.items():
        if not np.all(np.isfinite(np.asarray(values, dtype=np.float64))):
            raise FloatingPointError(f"{name}: non-finite values in the results")


Runner = Callable[[argparse.Namespace], int]
