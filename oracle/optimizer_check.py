"""``check_optimizer``: a user's ``update(params, grads)`` beside the torch twin, step by step."""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.report import Report

OPTIMIZER_LIKES = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")


def run_optimizer_check(optimizer: Any, like: str, steps: int, gen: np.random.Generator, dtype: Any, r: Report) -> None:
    raise NotImplementedError("check_optimizer: in progress")
