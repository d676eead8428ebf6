"""The book's training run (784-50-10 ReLU, batch 100, lr 0.1, accuracy on all 70,000 images every epoch) three
ways: npnet's ``train_network``, the lean NumPy floor (:mod:`benchmarks.lean`) and an idiomatic PyTorch loop.

All three start from the same weights, draw the same mini-batches and record the book's loss after each update.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.lean import lean_training
from npnet.nets import TwoLayerNet
from npnet.train import iterations_per_epoch, minibatch_schedule, train_network

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class TrainingRun:
    """One timed run: wall time, the last report's accuracies, the last recorded loss, and the process's CPU time.

    CPU time (every thread of the process, ``time.process_time``) is printed beside the wall time: on a machine
    shared with other work, wall time also counts the waits for a core, CPU time only the work done.
    """

    seconds: float
    train_acc: float
    test_acc: float
    final_loss: float
    cpu_seconds: float = 0.0


def timed(run: Any, *args: Any) -> tuple[Any, float, float]:
    """``run(*args)`` with its wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def initial_net(dtype: Any, seed: int, hidden: int = 50) -> TwoLayerNet:
    return TwoLayerNet(784, hidden, 10, rng=seed, dtype=dtype)


def npnet_run(data: Data, dtype: Any, iters: int, seed: int) -> TrainingRun:
    """``npnet.train.train_network`` as a user calls it (quiet), schedule seeded with ``seed + 1``."""
    net = initial_net(dtype, seed)
    history, seconds, cpu = timed(
        lambda: train_network(
            net, *data, iters_num=iters, batch_size=100, learning_rate=0.1, rng=seed + 1, verbose=False
        )
    )
    return TrainingRun(seconds, history.train_acc_list[-1], history.test_acc_list[-1], history.train_loss_list[-1], cpu)


def lean_run(data: Data, dtype: Any, iters: int, seed: int) -> TrainingRun:
    """:func:`benchmarks.lean.lean_training` from the same weights and schedule."""
    params = {key: value.copy() for key, value in initial_net(dtype, seed).params.items()}
    history, seconds, cpu = timed(
        lambda: lean_training(params, *data, minibatch_schedule(len(data[0]), 100, iters, seed + 1), learning_rate=0.1)
    )
    _, train_acc, test_acc = history.reports[-1]
    return TrainingRun(seconds, train_acc, test_acc, history.losses[-1], cpu)


def torch_run(data: Data, dtype: Any, iters: int, seed: int, device: str) -> TrainingRun:
    """An idiomatic PyTorch loop: ``nn.Linear``/``nn.ReLU``, ``F.cross_entropy``, ``torch.optim.SGD``, data moved and
    cast once, the loss after each update kept on the device, accuracies under ``no_grad`` in chunks.

    ``F.cross_entropy`` has no ``1e-7`` inside the log (the book's delta), so its recorded losses differ from the
    book's in the seventh digit; the gradients are the same.
    """
    import torch
    import torch.nn.functional as F

    net = initial_net(dtype, seed)
    tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    model = torch.nn.Sequential(torch.nn.Linear(784, 50), torch.nn.ReLU(), torch.nn.Linear(50, 10)).to(device, tdtype)
    with torch.no_grad():
        for linear, w, b in ((model[0], "W1", "b1"), (model[2], "W2", "b2")):
            linear.weight.copy_(torch.from_numpy(net.params[w].T.copy()))
            linear.bias.copy_(torch.from_numpy(net.params[b]))
    synchronize = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    synchronize()
    start, cpu_start = time.perf_counter(), time.process_time()
    schedule = torch.from_numpy(minibatch_schedule(len(data[0]), 100, iters, seed + 1)).to(device)
    x_train, x_test = (torch.from_numpy(x).to(device, tdtype) for x in (data[0], data[2]))
    t_train, t_test = (torch.from_numpy(t).to(device) for t in (data[1], data[3]))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    every = iterations_per_epoch(len(data[0]), 100)
    losses, accuracies = [], (0.0, 0.0)

    def accuracy(x: Any, t: Any) -> float:
        with torch.no_grad():
            correct = sum(
                int((model(x[s : s + 10000]).argmax(1) == t[s : s + 10000]).sum()) for s in range(0, len(x), 10000)
            )
        return correct / len(x)

    for i in range(iters):
        batch = schedule[i]
        x, t = x_train[batch], t_train[batch]
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), t).backward()
        optimizer.step()
        with torch.no_grad():
            losses.append(F.cross_entropy(model(x), t))
        if i % every == 0:
            accuracies = (accuracy(x_train, t_train), accuracy(x_test, t_test))
    final_loss = float(losses[-1])
    synchronize()
    seconds = time.perf_counter() - start
    return TrainingRun(seconds, accuracies[0], accuracies[1], final_loss, time.process_time() - cpu_start)


def contestants(torch_devices: list[str]) -> dict[str, Any]:
    """``{name: run(data, dtype, iters, seed)}``: npnet, lean, and PyTorch on each device."""
    runs: dict[str, Any] = {"npnet": npnet_run, "lean": lean_run}
    for device in torch_devices:
        runs[f"torch {device}"] = lambda data, dtype, iters, seed, device=device: torch_run(
            data, dtype, iters, seed, device
        )
    return runs


def in_dtype(data: Data, dtype: Any) -> Data:
    """The images of ``data`` cast to ``dtype`` once (the labels as they are).

    Done before any clock starts, for every contestant alike: casting MNIST to float64 inside a run made whichever
    contestant came first after a freed 440 MB pay the operating system's first touch of fresh memory (0.5 to 1 s
    of a 12 s run), so the ratio measured the running order rather than the loop.
    """
    x_train, t_train, x_test, t_test = data
    return x_train.astype(dtype, copy=False), t_train, x_test.astype(dtype, copy=False), t_test


def round_order(dtypes: list[str], names: list[str], round_: int) -> list[tuple[str, str]]:
    """The ``(dtype, contestant)`` runs of round ``round_``: the dtypes take turns to go first, and each dtype's
    contestants are rotated by the round, so that over ``len(names)`` rounds every contestant runs once in every
    place of its dtype's turn."""
    ordered_dtypes = dtypes if round_ % 2 == 0 else dtypes[::-1]
    shift = round_ % len(names)
    rotated = names[shift:] + names[:shift]
    return [(dtype, name) for dtype in ordered_dtypes for name in rotated]


def interleaved(
    data: Data, dtypes: list[str], iters: int, repeat: int, torch_devices: list[str], seed: int = 0
) -> dict[str, dict[str, list[TrainingRun]]]:
    """``{dtype: {contestant: [run per round]}}``; each round runs every contestant once (:func:`round_order`)."""
    runs = contestants(torch_devices)
    cast = {dtype: in_dtype(data, np.dtype(dtype)) for dtype in dtypes}
    results: dict[str, dict[str, list[TrainingRun]]] = {dtype: {name: [] for name in runs} for dtype in dtypes}
    for round_ in range(repeat):
        for dtype, name in round_order(dtypes, list(runs), round_):
            results[dtype][name].append(runs[name](cast[dtype], np.dtype(dtype), iters, seed))
    return results
