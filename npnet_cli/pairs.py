"""One place that steps npnet and its PyTorch twin together: ``npnet train`` and every experiment use it.

A :class:`Pair` is an :class:`npnet.train.Trainer` and, unless ``--no-oracle``, its twin
(:meth:`oracle.train.Trainer.from_npnet`: the same weights, mini-batches and dropout masks, the ``torch.optim``
optimizer of the same formula). Each step runs npnet first, since its step draws the dropout masks the twin reuses.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from npnet.train import EpochReport, Trainer
from npnet_cli import interrupt
from npnet_cli.console import Progress
from npnet_cli.devices import twin_device

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Pair:
    """An npnet trainer and, when the oracle is on, its twin (``None`` otherwise)."""

    label: str
    trainer: Trainer
    twin: Trainer | None

    def step(self) -> tuple[EpochReport | None, EpochReport | None]:
        """One step of both, npnet first; each side's report when the step ends an epoch (else ``None``)."""
        ours = self.trainer.train_step()
        theirs = self.twin.train_step() if self.twin is not None else None
        return ours, theirs

    def run(self, steps: int | None = None) -> None:
        """``steps`` steps of both (all that remain if ``None``), a progress bar on a terminal; then both measure
        their final test accuracy."""
        remaining = self.trainer.max_iter - self.trainer.current_iter
        todo = remaining if steps is None else min(steps, remaining)
        with Progress(todo, self.label) as progress:
            for i in range(todo):
                interrupt.at(f"training {self.label}: step {i + 1} of {todo}")
                self.step()
                progress.update()
        self.finish()

    def finish(self) -> None:
        """Both sides measure ``final_test_acc`` on the whole test set."""
        interrupt.at(f"measuring the test accuracy of {self.label}")
        self.trainer.finish()
        if self.twin is not None:
            self.twin.finish()

    def gap(self, *histories: str) -> float:
        """Largest ``|npnet - torch|`` over the named history lists (``"train_loss_list"``, ``"train_acc_list"``,
        ``"test_acc_list"``), as :func:`max_gap` counts it; NaN without a twin."""
        if self.twin is None:
            return math.nan
        return max(max_gap(getattr(self.trainer, name), getattr(self.twin, name)) for name in histories)

    def weight_gap(self) -> float:
        """:func:`weights_gap` between npnet and its twin now; NaN without a twin."""
        if self.twin is None:
            return math.nan
        return weights_gap(self.trainer.network, self.twin.network.params)

    def batchnorm_fed_gap(self) -> float:
        """``max |b_npnet - b_torch|`` over the :func:`batchnorm_fed_biases` alone; NaN without a twin or without
        such biases."""
        inert = batchnorm_fed_biases(self.trainer.network)
        if self.twin is None or not inert:
            return math.nan
        return params_gap(self.trainer.network.params, self.twin.network.params, inert)


def batchnorm_fed_biases(network: Any) -> list[str]:
    """The keys of the biases that feed a batch norm layer: ``b1 .. b{L-1}`` of a net with ``use_batchnorm``.

    In training, batch norm subtracts the batch mean, and each such bias with it, so the training loss does not
    depend on them: their exact gradient is 0, and what backprop gives is round-off. AdaGrad, RMSprop and Adam divide
    that by its own size and turn it into steps of about the learning rate, so in float32 these biases wander apart on
    the two sides (and between float32 and float64) without changing the training outputs; at test time batch norm
    subtracts its running mean instead, which follows them. Weight gaps are measured without them.
    """
    if not getattr(network, "use_batchnorm", False):
        return []
    return [f"b{i}" for i in range(1, network.hidden_layer_num + 1)]


def weights_gap(network: Any, theirs: dict[str, np.ndarray]) -> float:
    """:func:`params_gap` of ``network``'s parameters against ``theirs`` over every parameter the training loss
    depends on: all but the :func:`batchnorm_fed_biases`."""
    inert = batchnorm_fed_biases(network)
    return params_gap(network.params, theirs, [key for key in network.params if key not in inert])


def params_gap(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray], keys: Iterable[str] | None = None) -> float:
    """``max |ours[k] - theirs[k]|`` over ``keys`` (every key of ``ours`` if ``None``), computed in float64."""
    return max(
        float(np.max(np.abs(ours[k].astype(np.float64) - theirs[k].astype(np.float64))))
        for k in (ours if keys is None else keys)
    )


def make_pair(label: str, args: argparse.Namespace, network: Any, data: Data, **trainer_kwargs: Any) -> Pair:
    """A :class:`Pair` training ``network`` on ``data`` (Trainer's keywords, ``verbose`` off, seeded by ``--seed``).

    ``--device`` is checked (:func:`npnet_cli.devices.twin_device`) before the twin is built.
    """
    trainer_kwargs.setdefault("rng", args.seed)
    trainer = Trainer(network, *data, verbose=False, **trainer_kwargs)
    twin = None
    device = twin_device(args, network.params[next(iter(network.params))].dtype)
    if not args.no_oracle:
        from oracle.train import Trainer as TwinTrainer

        one_torch_thread()
        twin = TwinTrainer.from_npnet(trainer, device=device)
    return Pair(label, trainer, twin)


def one_torch_thread() -> None:
    """Run the twins on one torch thread, called before any twin trains.

    npnet's BLAS threads spin for a while after each call; torch's own threads, started in between, then fight them
    for the cores (measured: a 5-layer step pair takes 3x longer with torch on 2 threads).
    """
    import torch

    torch.set_num_threads(1)


def max_gap(ours: Any, theirs: Any) -> float:
    """Largest ``|ours - theirs|`` (NaN without a twin); where both sides diverged alike (both NaN, or the same
    infinity) they agree, where only one did the gap is infinite."""
    if theirs is None:
        return math.nan
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if a.size == 0:
        return 0.0
    alike = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        diff = np.where(alike, 0.0, np.abs(a - b))
    return float(np.max(np.nan_to_num(diff, nan=np.inf)))
