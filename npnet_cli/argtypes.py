"""Argument types for the command line: each rejects a bad value with a message naming what was expected."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """An integer >= 1 (iterations, batch sizes, layer widths)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _finite_float(text: str, expected: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates)."""
    value = _finite_float(text, "a finite number > 0")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0 (weight-decay strengths)."""
    value = _finite_float(text, "a finite number >= 0")
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    """A share in ``[0, 1)``, such as a dropout ratio."""
    value = _finite_float(text, "a number in [0, 1)")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text}")
    return value


def seed(text: str) -> int:
    """A seed for ``numpy.random.default_rng``: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def layer_widths(text: str) -> list[int]:
    """Comma-separated hidden-layer widths, each >= 1: ``100,100,100``."""
    parts = text.split(",")
    try:
        widths = [int(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths such as 100,100,100, got {text!r}") from None
    if any(width < 1 for width in widths):
        raise argparse.ArgumentTypeError(f"expected widths >= 1 such as 100,100,100, got {text}")
    return widths


#: ``--init`` names: the book's ``weight_init_std`` settings of chapter 6's weight-init experiment.
INIT_NAMES: dict[str, float | str] = {"std": 0.01, "xavier": "xavier", "he": "he"}


def init_scale(text: str) -> float | str:
    """``std`` (0.01), ``xavier`` (the book's ``sqrt(1/n)``), ``he`` (``sqrt(2/n)``) or a finite number > 0."""
    if text.lower() in INIT_NAMES:
        return INIT_NAMES[text.lower()]
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected std, xavier, he or a number > 0, got {text!r}") from None
