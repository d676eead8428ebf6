"""Twin of ``npnet.train``: the same loop, on the same mini-batch schedule, with ``torch.optim.SGD``.

It yields the same ``npnet.train.EpochReport`` records at the same iterations, so that
``zip(npnet.train.sgd_training(...), oracle.train.sgd_training(...))`` runs both in lockstep.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from npnet.progress import ProgressBar
from npnet.train import EpochReport, History, run_schedule
from oracle.nets import TwinNet


def sgd_training(
    model: TwinNet,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    schedule: np.ndarray,
    learning_rate: float = 0.1,
    history: History | None = None,
    progress: ProgressBar | None = None,
    optimizer: Any = None,
) -> Iterator[EpochReport]:
    """Train ``model`` in place with ``torch.optim.SGD(lr=learning_rate)`` (or ``optimizer``), as npnet's loop does.

    Each step: ``zero_grad``; ``F.cross_entropy`` of the mini-batch; ``backward``; ``optimizer.step()``; then the
    book's reported loss of the same mini-batch after the update; accuracies on every ``iter_per_epoch``-th step.
    """
    opt = optimizer if optimizer is not None else torch.optim.SGD(model.parameters(), lr=learning_rate)

    def step(x_batch: np.ndarray, t_batch: np.ndarray) -> float:
        opt.zero_grad(set_to_none=True)
        objective, _ = model.objective_and_loss(x_batch, t_batch)
        objective.backward()
        opt.step()
        return model.loss(x_batch, t_batch)

    return run_schedule(step, model.accuracy, x_train, t_train, x_test, t_test, schedule, history, progress)
