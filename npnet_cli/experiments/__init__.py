"""``npnet experiment NAME``: the book's chapter-6 experiments, each one command that prints its numbers and writes
a PNG, with the PyTorch twins' curves drawn beside npnet's.

Each experiment is a module with ``NAME``, ``HELP``, ``register(commands)`` and ``run(args)``.
"""

from __future__ import annotations

import argparse
from typing import Any

from npnet_cli.experiments import batch_norm, hyperparam, optimizers, overfit, weight_init

MODULES = [optimizers, weight_init, batch_norm, overfit, hyperparam]


def register(commands: Any) -> None:
    p = commands.add_parser(
        "experiment",
        help="run one of the book's chapter-6 experiments (writes a PNG)",
        description=(
            "The book's chapter-6 experiments: each trains npnet and (unless --no-oracle) its PyTorch twins side by "
            "side, prints its numbers with the npnet-vs-torch gap, and writes a PNG to --out. "
            "docs/experiments.md shows every figure at the default budget."
        ),
        epilog="examples:\n  npnet experiment optimizers\n  npnet experiment batch-norm --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    experiments = p.add_subparsers(dest="experiment", required=True, metavar="NAME")
    for module in MODULES:
        module.register(experiments)
