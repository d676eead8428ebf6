"""The figure of docs/performance.md: step time against hidden size and against batch size, log-log."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_scaling(scaling: dict[str, list[tuple[int, dict[str, float]]]], path: str | Path) -> None:
    """Two panels (hidden size at batch 100; batch size at hidden 50), one line per contestant, a small PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(7.5, 2.9), dpi=90)
    styles: dict[str, dict[str, Any]] = {
        "npnet": {"color": "tab:blue", "marker": "o"},
        "lean": {"color": "black", "linestyle": "--", "marker": "."},
    }
    for ax, (key, label) in zip(
        axes, (("hidden", "hidden units (batch 100)"), ("batch", "batch size (hidden 50)")), strict=True
    ):
        points = scaling[key]
        for name in points[0][1]:
            style = styles.get(name, {"marker": "s", "color": "tab:orange" if "cpu" in name else "tab:green"})
            ax.plot([p for p, _ in points], [1e3 * times[name] for _, times in points], label=name, **style)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms per SGD step (float32)")
    axes[1].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
