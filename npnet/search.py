"""Hyperparameter random search, the book's ``hyperparameter_optimization.py``, seeded and parallel.

The book holds out a validation set (``validation_rate`` of the shuffled training data), draws the learning rate
and the weight-decay strength log-uniformly (``lr = 10**U(-6, -2)``, ``lambda = 10**U(-8, -4)``), trains a
``MultiLayerNet`` of six hidden layers of 100 units for 50 epochs with SGD on each draw, and ranks the trials by
their final validation accuracy.

Every trial carries its own seed (spawned from the search's seed with ``numpy.random.SeedSequence``), which makes
its initial weights and mini-batches, so a trial's result does not depend on which worker runs it or in which
order, and every trial runs on one BLAS thread (:data:`TRIAL_BLAS_THREADS`, through threadpoolctl), serial or in a
worker, so ``random_search(..., n_jobs=1)`` and ``n_jobs=-1`` return the same numbers bit for bit. Trials run in
parallel through joblib (``pip install "npnet[experiments]"``), whose backends also reach a cluster
(``joblib.parallel_config``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from npnet._validate import check_labels, positive_int, real_number
from npnet.nets import MultiLayerNet
from npnet.rng import SeedLike, as_generator
from npnet.train import Trainer, check_training_data


@dataclass(frozen=True)
class SearchSpace:
    """What the search varies (log-uniform exponent ranges) and what every trial keeps fixed (the book's values)."""

    lr_exponents: tuple[float, float] = (-6.0, -2.0)
    weight_decay_exponents: tuple[float, float] = (-8.0, -4.0)
    hidden_size_list: tuple[int, ...] = (100, 100, 100, 100, 100, 100)
    epochs: int = 50
    mini_batch_size: int = 100
    optimizer: str = "SGD"

    def __post_init__(self) -> None:
        for name in ("lr_exponents", "weight_decay_exponents"):
            low, high = (real_number(e, name, -math.inf) for e in getattr(self, name))
            if not low <= high:
                raise ValueError(f"{name} must be (low, high) with low <= high, got {getattr(self, name)}")
        for size in self.hidden_size_list:
            positive_int(size, "hidden_size_list entry")
        positive_int(self.epochs, "epochs")
        positive_int(self.mini_batch_size, "mini_batch_size")


@dataclass(frozen=True)
class Trial:
    """One draw: ``lr`` and ``weight_decay``, and the ``seed`` of its weights and mini-batches."""

    index: int
    lr: float
    weight_decay: float
    seed: int


@dataclass(frozen=True)
class TrialResult:
    """A trial's accuracy curves, one value per epoch (``val_acc_list`` is the Trainer's ``test_acc_list``)."""

    trial: Trial
    val_acc_list: tuple[float, ...]
    train_acc_list: tuple[float, ...]

    @property
    def final_val_acc(self) -> float:
        return self.val_acc_list[-1]


def shuffle_dataset(x: np.ndarray, t: np.ndarray, rng: SeedLike = None) -> tuple[np.ndarray, np.ndarray]:
    """The book's ``shuffle_dataset``: ``x`` and ``t`` reordered by one seeded permutation (copies)."""
    if len(x) != len(t):
        raise ValueError(f"{len(x)} samples but {len(t)} labels")
    order = as_generator(rng).permutation(len(x))
    return x[order], t[order]


def split_validation(
    x: np.ndarray, t: np.ndarray, validation_rate: float = 0.2, rng: SeedLike = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, t_train), (x_val, t_val))``: shuffle, then the first ``int(N * validation_rate)`` validate."""
    if not 0.0 < validation_rate < 1.0:
        raise ValueError(f"validation_rate must be in (0, 1), got {validation_rate!r}")
    validation_num = int(len(x) * validation_rate)
    if validation_num == 0 or validation_num == len(x):
        raise ValueError(f"validation_rate {validation_rate} of {len(x)} samples leaves an empty split")
    x, t = shuffle_dataset(x, t, rng)
    return (x[validation_num:], t[validation_num:]), (x[:validation_num], t[:validation_num])


def sample_trials(n: int, space: SearchSpace = SearchSpace(), rng: SeedLike = None) -> list[Trial]:
    """``n`` trials, ``lr = 10**U(*space.lr_exponents)``, ``weight_decay = 10**U(*space.weight_decay_exponents)``."""
    positive_int(n, "the number of trials")
    gen = as_generator(rng)
    seeds = gen.integers(0, 2**63 - 1, size=n)
    trials = []
    for i in range(n):
        weight_decay = 10 ** float(gen.uniform(*space.weight_decay_exponents))
        lr = 10 ** float(gen.uniform(*space.lr_exponents))
        trials.append(Trial(i, lr, weight_decay, int(seeds[i])))
    return trials


def trial_trainer(
    trial: Trial,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_val: np.ndarray,
    t_val: np.ndarray,
    space: SearchSpace = SearchSpace(),
) -> Trainer:
    """The book's ``__train``: a seeded ``MultiLayerNet`` with the trial's weight decay and its ``Trainer``."""
    gen = as_generator(trial.seed)
    network = MultiLayerNet(
        x_train[0].size,
        list(space.hidden_size_list),
        int(np.max(np.concatenate([t_train, t_val]))) + 1 if np.ndim(t_train) == 1 else t_train.shape[1],
        weight_decay_lambda=trial.weight_decay,
        rng=gen,
    )
    trainer = Trainer(
        network,
        x_train,
        t_train,
        x_val,
        t_val,
        epochs=space.epochs,
        mini_batch_size=space.mini_batch_size,
        optimizer=space.optimizer,
        optimizer_param={"lr": trial.lr},
        verbose=False,
        rng=gen,
    )
    trainer.optimizer.check_finite = False  # a diverging trial is a result (its accuracy falls to chance), not an error
    return trainer


def run_trial(
    trial: Trial,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_val: np.ndarray,
    t_val: np.ndarray,
    space: SearchSpace = SearchSpace(),
) -> TrialResult:
    """Train one trial to the end (see :func:`trial_trainer`) and return its curves."""
    trainer = trial_trainer(trial, x_train, t_train, x_val, t_val, space)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging trial is a result, not an error
        trainer.train()
    return TrialResult(trial, tuple(trainer.test_acc_list), tuple(trainer.train_acc_list))


TrialRunner = Callable[..., TrialResult]

#: BLAS threads every trial runs on, serial or in a joblib worker: one, so that ``n_jobs`` changes only the speed.
#: (OpenBLAS and MKL split a matrix product differently for other thread counts, which changes the last bits.)
TRIAL_BLAS_THREADS = 1


def run_on_fixed_threads(run: TrialRunner, trial: Trial, *args: Any) -> TrialResult:
    """``run(trial, *args)`` with every BLAS/OpenMP pool limited to :data:`TRIAL_BLAS_THREADS` (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=TRIAL_BLAS_THREADS):
        return run(trial, *args)


def run_trials(
    trials: Sequence[Trial],
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    space: SearchSpace = SearchSpace(),
    n_jobs: int = 1,
    run: TrialRunner = run_trial,
) -> list[TrialResult]:
    """``run(trial, *data, space)`` for every trial, on ``n_jobs`` joblib workers (-1: one per core), in order.

    Every trial runs on :data:`TRIAL_BLAS_THREADS` BLAS threads, so results are bit-identical for every ``n_jobs``.
    """
    if n_jobs == 1:
        return [run_on_fixed_threads(run, trial, *data, space) for trial in trials]
    try:
        from joblib import Parallel, delayed
    except ImportError:
        raise ImportError(
            f"n_jobs={n_jobs} runs trials through joblib, which is not installed: pip install 'npnet[experiments]' "
            "(or pass n_jobs=1)"
        ) from None
    jobs = (delayed(run_on_fixed_threads)(run, trial, *data, space) for trial in trials)
    results: list[Any] = Parallel(n_jobs=n_jobs)(jobs)
    return list(results)


def random_search(
    x: np.ndarray,
    t: np.ndarray,
    n_trials: int = 100,
    space: SearchSpace = SearchSpace(),
    validation_rate: float = 0.2,
    n_jobs: int = 1,
    rng: SeedLike = None,
    run: TrialRunner = run_trial,
) -> list[TrialResult]:
    """The whole search on ``(x, t)``: split off validation data, draw ``n_trials``, run them; results in trial order.

    The seed decides the split, the draws and every trial's seed; ``n_jobs`` changes only the speed.
    ``run`` trains one trial (``oracle.search.run_trial`` trains the PyTorch twin of the same trial instead).
    """
    check_training_data(x, t, x, t)
    check_labels(t, None, "search")
    gen = as_generator(rng)
    (x_train, t_train), (x_val, t_val) = split_validation(x, t, validation_rate, gen)
    trials = sample_trials(n_trials, space, gen)
    return run_trials(trials, (x_train, t_train, x_val, t_val), space, n_jobs, run)


def best_trials(results: Sequence[TrialResult], k: int | None = None) -> list[TrialResult]:
    """The results by final validation accuracy, best first (ties keep trial order); the first ``k`` if given."""
    ranked = sorted(results, key=lambda r: -r.final_val_acc)
    return ranked if k is None else ranked[: positive_int(k, "k")]
