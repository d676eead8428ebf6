"""Twin of ``npnet.search``: a trial trained by its PyTorch twin, so a whole search can run on either side.

``random_search(x, t, ..., run=oracle.search.run_trial)`` draws the same split, the same trials and the same seeds
as npnet's search, and trains each trial's twin network (same initial weights, same mini-batches, the torch
optimizer of the same formula) in place of npnet's.
"""

from __future__ import annotations

import numpy as np
import torch

from npnet.search import SearchSpace, Trial, TrialResult, trial_trainer
from oracle.train import Trainer


def run_trial(
    trial: Trial,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_val: np.ndarray,
    t_val: np.ndarray,
    space: SearchSpace = SearchSpace(),
    device: str | torch.device | None = None,
) -> TrialResult:
    """Twin of ``npnet.search.run_trial``: npnet builds the trial's network and schedule, its twin trains on
    ``device`` (default: ``$NPNET_ORACLE_DEVICE`` or the CPU)."""
    twin = Trainer.from_npnet(trial_trainer(trial, x_train, t_train, x_val, t_val, space), device=device)
    twin.train()
    return TrialResult(trial, tuple(twin.test_acc_list), tuple(twin.train_acc_list))
