"""``npnet <command>``: the entry point. Each command lives in a module of its own and registers a subparser."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from npnet_cli import check_cmd, evaluate_cmd, experiments, gradcheck_cmd, interrupt, parity_cmd, train_cmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="npnet", description="npnet and its PyTorch oracle, side by side.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train_cmd.register(commands)
    evaluate_cmd.register(commands)
    experiments.register(commands)
    check_cmd.register(commands)
    gradcheck_cmd.register(commands)
    parity_cmd.register(commands)
    return parser


#: What a command raises for bad input or a missing piece: reported in one line, exit status 1, no traceback.
USER_ERRORS = (ValueError, OSError, FloatingPointError)


def main(argv: Sequence[str] | None = None) -> int:
    interrupt.reset()
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args))
    except KeyboardInterrupt:
        print(interrupt.stopped_line(), file=sys.stderr)
        return interrupt.EXIT_INTERRUPTED
    except ModuleNotFoundError as error:
        extra = "oracle" if error.name == "torch" else "experiments"
        print(f"npnet: error: {error.name} is not installed: pip install 'npnet[{extra}]'", file=sys.stderr)
        if error.name == "torch":
            print("npnet: (or run without the PyTorch twins: --no-oracle)", file=sys.stderr)
        return 1
    except USER_ERRORS as error:
        print(f"npnet: error: {error}", file=sys.stderr)
        return 1
