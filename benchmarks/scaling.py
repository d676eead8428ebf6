"""Time of one SGD step (gradient, update, loss after the update) as the hidden layer and the batch grow.

npnet's ``sgd_step`` on a ``TwoLayerNet``, the lean floor's ``lean_step`` and a PyTorch step on the same weights and
the same batch of MNIST images, in float32; each point is the median of several rounds, interleaved.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.lean import lean_step
from npnet.nets import TwoLayerNet
from npnet.train import sgd_step

HIDDEN_SIZES = (50, 100, 200, 500, 1000)
BATCH_SIZES = (1, 10, 100, 1000)


def torch_step_of(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, device: str) -> Callable[[], object]:
    """A PyTorch training step on ``net``'s weights and the batch ``(x, t)``, on ``device``."""
    import torch
    import torch.nn.functional as F

    hidden = net.params["W1"].shape[1]
    model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)).to(device)
    with torch.no_grad():
        for linear, w, b in ((model[0], "W1", "b1"), (model[2], "W2", "b2")):
            linear.weight.copy_(torch.from_numpy(net.params[w].T.copy()))
            linear.bias.copy_(torch.from_numpy(net.params[b]))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    xt, tt = torch.from_numpy(x).to(device), torch.from_numpy(t).to(device)
    synchronize = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def step() -> object:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(xt), tt).backward()
        optimizer.step()
        with torch.no_grad():
            loss = F.cross_entropy(model(xt), tt)
        synchronize()
        return loss

    return step


def steps_of(hidden: int, batch: int, x_all: np.ndarray, t_all: np.ndarray, devices: list[str]) -> dict[str, Any]:
    """``{contestant: step()}`` for one configuration."""
    x, t = x_all[:batch], t_all[:batch]
    net = TwoLayerNet(784, hidden, 10, rng=0, dtype=np.float32)
    params = {key: value.copy() for key, value in net.params.items()}
    steps: dict[str, Any] = {
        "npnet": lambda: sgd_step(net, x, t, 0.1),
        "lean": lambda: lean_step(params, x, t, 0.1),
    }
    for device in devices:
        steps[f"torch {device}"] = torch_step_of(net, x, t, device)
    return steps


def time_steps(steps: dict[str, Any], budget: float, rounds: int) -> dict[str, float]:
    """Median seconds per step of each contestant; rounds interleave the contestants."""
    counts = {}
    for name, step in steps.items():
        step()
        start = time.perf_counter()
        step()
        counts[name] = max(1, int(budget / rounds / max(time.perf_counter() - start, 1e-6)))
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(counts[name]):
                step()
            samples[name].append((time.perf_counter() - start) / counts[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def sweep(
    x_all: np.ndarray, t_all: np.ndarray, devices: list[str], budget: float, rounds: int
) -> dict[str, list[tuple[int, dict[str, float]]]]:
    """Step times over :data:`HIDDEN_SIZES` (batch 100) and :data:`BATCH_SIZES` (hidden 50)."""
    return {
        "hidden": [(h, time_steps(steps_of(h, 100, x_all, t_all, devices), budget, rounds)) for h in HIDDEN_SIZES],
        "batch": [(b, time_steps(steps_of(50, b, x_all, t_all, devices), budget, rounds)) for b in BATCH_SIZES],
    }
