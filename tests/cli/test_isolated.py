"""``npnet_cli.isolated``: the checker's one-time costs run before any job's time limit starts."""

from __future__ import annotations

import time

from npnet_cli.isolated import Outcome, run_isolated

#: The job's limit, and a warm-up well past it.
LIMIT, WARMUP_SECONDS = 0.5, 1.0


def slow_warmup() -> None:
    time.sleep(WARMUP_SECONDS)


def no_setup() -> None:
    pass


def echo(name: str) -> str:
    return name


def test_the_warmup_is_not_charged_to_the_first_job() -> None:
    started = time.perf_counter()
    outcomes = list(run_isolated(no_setup, echo, ["first", "second"], limit=LIMIT, warmup=slow_warmup))
    assert outcomes == [Outcome("first", value="first"), Outcome("second", value="second")]
    assert time.perf_counter() - started >= WARMUP_SECONDS  # the warm-up did run, in the child
