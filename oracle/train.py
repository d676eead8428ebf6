"""Twin of ``npnet.train``: the same loops, on the same mini-batch schedule, with ``torch.optim`` optimizers.

``sgd_training`` yields the same ``npnet.train.EpochReport`` records at the same iterations, so that
``lockstep(npnet.train.sgd_training(...), oracle.train.sgd_training(...))`` runs both side by side; ``Trainer``
is the twin of chapter 6's ``npnet.train.Trainer`` and :func:`side_by_side` steps the pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TextIO, cast

import numpy as np
import torch

from npnet import train as np_train
from npnet._validate import real_number
from npnet.optim import Optimizer
from npnet.rng import SeedLike
from npnet.train import EpochReport, History, run_schedule
from oracle.nets import TwinNet, twin_of
from oracle.optim import make_torch_optimizer


def sgd_training(
    model: TwinNet,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    schedule: np.ndarray,
    learning_rate: float = 0.1,
    history: History | None = None,
    progress: np_train.Progress | None = None,
    optimizer: Any = None,
) -> Iterator[EpochReport]:
    """Train ``model`` in place with ``torch.optim.SGD(lr=learning_rate)`` (or ``optimizer``), as npnet's loop does.

    Each step: ``zero_grad``; ``F.cross_entropy`` of the mini-batch; ``backward``; ``optimizer.step()``; then the
    book's reported loss of the same mini-batch after the update; accuracies on every ``iter_per_epoch``-th step.
    """
    learning_rate = real_number(learning_rate, "learning_rate")  # npnet's check and message
    opt = optimizer if optimizer is not None else torch.optim.SGD(model.parameters(), lr=learning_rate)

    def step(x_batch: np.ndarray, t_batch: np.ndarray) -> float:
        opt.zero_grad(set_to_none=True)
        objective, _ = model.objective_and_loss(x_batch, t_batch)
        objective.backward()
        opt.step()
        return model.loss(x_batch, t_batch)

    return run_schedule(step, model.accuracy, x_train, t_train, x_test, t_test, schedule, history, progress)


class Trainer(np_train.Trainer):
    """Twin of ``npnet.train.Trainer``: a twin network trained by the ``torch.optim`` optimizer that computes the
    npnet optimizer's formula (:func:`oracle.optim.make_torch_optimizer`), with the same reports and histories.

    Build it with :meth:`from_npnet` to share the npnet trainer's data, schedule and dropout masks; then
    :func:`side_by_side` steps both. Each step: ``zero_grad``; ``F.cross_entropy`` plus the weight-decay term in
    training mode; ``backward``; ``step()``; the book's loss of the batch after the update, in test mode.

    ``optimizer`` stays the npnet optimizer (a name or an object, as for npnet's Trainer) whose formula is run;
    ``torch_optimizer`` is the torch optimizer that runs it. ``mask_source``, if set, gives the dropout masks of
    the step about to run (npnet's ``network.dropout_masks`` once npnet's step has drawn them).
    """

    network: TwinNet

    def __init__(
        self,
        network: TwinNet,
        x_train: np.ndarray,
        t_train: np.ndarray,
        x_test: np.ndarray,
        t_test: np.ndarray,
        epochs: int = 20,
        mini_batch_size: int = 100,
        optimizer: str | Optimizer = "SGD",
        optimizer_param: Mapping[str, Any] | None = None,
        evaluate_sample_num_per_epoch: int | None = None,
        verbose: bool = True,
        *,
        rng: SeedLike = None,
        stream: TextIO | None = None,
        mask_source: Callable[[], list[np.ndarray]] | None = None,
    ) -> None:
        super().__init__(
            network,
            x_train,
            t_train,
            x_test,
            t_test,
            epochs,
            mini_batch_size,
            optimizer,
            optimizer_param,
            evaluate_sample_num_per_epoch,
            verbose,
            rng=rng,
            stream=stream,
        )
        self.torch_optimizer = make_torch_optimizer(self.optimizer, network.parameters())
        self.mask_source = mask_source

    @classmethod
    def from_npnet(cls, trainer: np_train.Trainer, device: str | torch.device | None = None) -> Trainer:
        """The twin of a trainer that has not stepped yet: twin network, same data, schedule and optimizer formula.

        The npnet trainer's optimizer must be fresh too (no state), since the torch optimizer starts from rest.
        """
        if trainer.current_iter != 0:
            raise ValueError(f"build the twin before training: the trainer has run {trainer.current_iter} steps")
        if any(trainer.optimizer.state().get(name) for name in trainer.optimizer.state_names):
            raise ValueError(f"the trainer's optimizer {trainer.optimizer!r} already has state; give it a fresh one")
        network = twin_of(trainer.network, device)
        masks = trainer.network.dropout_masks if getattr(trainer.network, "use_dropout", False) else None
        twin = cls(
            network,
            trainer.x_train,
            trainer.t_train,
            trainer.x_test,
            trainer.t_test,
            trainer.epochs,
            trainer.batch_size,
            type(trainer.optimizer)(**trainer.optimizer.hyperparams),
            None,
            trainer.evaluate_sample_num_per_epoch,
            verbose=False,
            mask_source=masks,
        )
        twin.schedule = trainer.schedule.copy()
        return twin

    def train_on_batch(self, x_batch: np.ndarray, t_batch: np.ndarray) -> float:
        if self.mask_source is not None:
            cast(Any, self.network).use_masks(self.mask_source())
        self.torch_optimizer.zero_grad(set_to_none=True)
        objective, _ = self.network.objective_and_loss(x_batch, t_batch, train_flg=True)
        objective.backward()
        self.torch_optimizer.step()
        return self.network.loss(x_batch, t_batch)


def side_by_side(
    trainer: np_train.Trainer, twin: np_train.Trainer
) -> Iterator[tuple[EpochReport | None, EpochReport | None]]:
    """Step an npnet trainer and its twin together, npnet first (its step draws the masks the twin reuses).

    Yields each step's pair of reports (``None`` where a step ends no epoch) and calls both ``finish`` at the end.
    """
    if trainer.max_iter != twin.max_iter or not np.array_equal(trainer.schedule, twin.schedule):
        raise ValueError("the twin must run the same schedule: build it with oracle.train.Trainer.from_npnet")
    while trainer.current_iter < trainer.max_iter:
        yield trainer.train_step(), twin.train_step()
    trainer.finish()
    twin.finish()
