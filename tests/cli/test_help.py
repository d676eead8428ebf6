"""Every command's ``--help`` shows at least one example command line that parses."""

from __future__ import annotations

import argparse
import shlex

import pytest

from npnet_cli.main import build_parser


def commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every (sub)command's parser, by its words after ``npnet``, leaves only (those that run something)."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(commands(sub, (*prefix, name)))
    return found or {prefix: parser}


COMMANDS = commands(build_parser())


def test_every_command_is_listed() -> None:
    assert {("train",), ("evaluate",), ("experiment", "optimizers"), ("experiment", "hyperparam")} <= set(COMMANDS)


@pytest.mark.parametrize("words", sorted(COMMANDS), ids=" ".join)
def test_help_has_an_example_that_parses(words: tuple[str, ...]) -> None:
    text = COMMANDS[words].format_help()
    lines = text.replace("\\\n", " ").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("example"))
    examples = [line.split("#")[0].strip() for line in lines[start + 1 :] if line.strip().startswith("npnet ")]
    argvs = [shlex.split(example)[1:] for example in examples]
    assert any(argv[: len(words)] == list(words) for argv in argvs), f"npnet {' '.join(words)} --help: no example"
    for argv in argvs:
        build_parser().parse_args(argv)  # exits with status 2 if the example does not parse
