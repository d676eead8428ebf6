"""MNIST for the commands: the shipped copy, or ``--data-dir``, whose errors name the flag."""

from __future__ import annotations

import argparse
from typing import Any

from npnet.datasets import load_mnist
from npnet_cli import interrupt


def mnist(args: argparse.Namespace) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``((x_train, t_train), (x_test, t_test))`` as ``load_mnist()`` gives them, from ``--data-dir`` if given.

    A missing or damaged file under ``--data-dir`` is a ``ValueError`` starting ``--data-dir DIR:``.
    """
    interrupt.at("loading MNIST")
    try:
        return load_mnist(data_dir=args.data_dir)
    except (OSError, ValueError) as error:
        if args.data_dir is None:
            raise
        raise ValueError(f"--data-dir {args.data_dir}: {error}") from None
