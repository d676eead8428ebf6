"""``check_net``: a user's book-style network against the twin built from its ``params``."""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.report import Report


def run_net_check(
    net: Any, x: np.ndarray, t: np.ndarray, like: str | None, gen: np.random.Generator, r: Report
) -> None:
    raise NotImplementedError("check_net: in progress")
