"""``npnet <command>``: the entry point. Each command lives in a module of its own and registers a subparser."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from npnet_cli import experiments, train_cmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="npnet", description="npnet and its PyTorch oracle, side by side.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train_cmd.register(commands)
    experiments.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))
