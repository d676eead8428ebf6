"""Where a command is, so that Ctrl-C can end it with one line saying where it stopped (exit status 130).

A command calls :func:`at` as it moves on (``at("training: iteration 120 of 2000")``); ``main`` catches
``KeyboardInterrupt`` and prints :func:`stopped_line`. Output files are written through
:func:`npnet_cli.outputs.write_atomically`, so an interrupt never leaves half a file behind.
"""

from __future__ import annotations

#: Exit status of a process ended by SIGINT, as shells report it (128 + 2).
EXIT_INTERRUPTED = 130

_where = ["starting"]


def at(where: str) -> None:
    """Record what the command is doing now (a short phrase: ``"loading MNIST"``)."""
    _where[0] = where


def reset() -> None:
    """Back to ``"starting"``: called by ``main`` before each command."""
    _where[0] = "starting"


def stopped_line() -> str:
    """``npnet: interrupted while <where> (Ctrl-C); no partial file was written``."""
    return f"npnet: interrupted while {_where[0]} (Ctrl-C); no partial file was written"
