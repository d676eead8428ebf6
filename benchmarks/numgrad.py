"""The nets' fast numerical gradient against the book's loop, on the 784-100-10 net and a batch of 100 images.

The loop takes about a minute here, so by default it is timed on a subset of entries (all of ``b1``, ``W2`` and
``b2`` and some rows of ``W1``, through views of the very arrays the layers hold) and its time is extrapolated to
all 79,510 parameters at the measured cost per entry; every timed entry is also compared with the fast result.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from npnet.datasets import load_mnist
from npnet.gradient import numerical_gradient
from npnet.nets import TwoLayerNet

#: The issue's bound: |fast - loop| <= ATOL + RTOL * |loop| (tests/tolerances.py, "numerical-fast").
ATOL, RTOL = 1e-10, 1e-8


@dataclass
class NumgradResult:
    fast_seconds: list[float]
    loop_seconds: float
    """Measured on ``loop_entries`` entries, or on all of them when ``extrapolated`` is false."""
    loop_entries: int
    total_entries: int
    extrapolated: bool
    outside_bound: int
    worst_fraction_of_bound: float

    @property
    def loop_total_seconds(self) -> float:
        return self.loop_seconds * self.total_entries / self.loop_entries

    @property
    def speedup(self) -> float:
        return self.loop_total_seconds / statistics.median(self.fast_seconds)


def run(w1_rows: int | None, repeat: int, seed: int = 0) -> NumgradResult:
    """Time the fast method ``repeat`` times and the loop on ``w1_rows`` rows of ``W1`` (all rows if ``None``)."""
    (x_train, t_train), _ = load_mnist()
    x, t = x_train[:100].astype(np.float64), t_train[:100]
    net = TwoLayerNet(784, 100, 10, rng=seed)
    fast_seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        fast = net.numerical_gradient(x, t)
        fast_seconds.append(time.perf_counter() - start)
    rows = np.arange(784) if w1_rows is None else np.sort(np.random.default_rng(seed).choice(784, w1_rows, False))

    def loss(_: np.ndarray) -> float:
        return net.loss(x, t)

    start = time.perf_counter()
    loop = {key: numerical_gradient(loss, net.params[key]) for key in ("b1", "W2", "b2")}
    loop_w1 = np.stack([numerical_gradient(loss, net.params["W1"][i : i + 1])[0] for i in rows])
    loop_seconds = time.perf_counter() - start
    pairs = [(fast[key], loop[key]) for key in loop] + [(fast["W1"][rows], loop_w1)]
    excess = np.concatenate([(np.abs(f - g) / (ATOL + RTOL * np.abs(g))).ravel() for f, g in pairs])
    entries = int(excess.size)
    total = sum(int(v.size) for v in net.params.values())
    return NumgradResult(
        fast_seconds, loop_seconds, entries, total, entries < total, int(np.sum(excess > 1)), float(excess.max())
    )
