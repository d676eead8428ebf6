"""Hyperparameter random search: seeded draws, the validation split, order- and worker-independent trials."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from npnet.search import (
    TRIAL_BLAS_THREADS,
    SearchSpace,
    Trial,
    TrialResult,
    best_trials,
    random_search,
    run_trial,
    run_trials,
    sample_trials,
    split_validation,
    trial_trainer,
)

SMALL = SearchSpace(hidden_size_list=(20, 20), epochs=4, mini_batch_size=50)


def test_draws_are_log_uniform_within_the_books_ranges() -> None:
    trials = sample_trials(4000, rng=0)
    lr_exp = np.log10([tr.lr for tr in trials])
    wd_exp = np.log10([tr.weight_decay for tr in trials])
    assert lr_exp.min() >= -6 and lr_exp.max() <= -2 and wd_exp.min() >= -8 and wd_exp.max() <= -4
    # uniform exponents: each quarter of the range holds a quarter of the draws (binomial sd 0.007)
    for exps, low in ((lr_exp, -6), (wd_exp, -8)):
        counts = np.histogram(exps, bins=4, range=(low, low + 4))[0] / len(exps)
        np.testing.assert_allclose(counts, 0.25, atol=0.03)
    assert len({tr.seed for tr in trials}) == 4000
    assert sample_trials(5, rng=1) == sample_trials(5, rng=np.random.default_rng(1))
    assert sample_trials(5, rng=1) != sample_trials(5, rng=2)


def test_validation_split_is_a_seeded_partition() -> None:
    x = np.arange(500, dtype=np.float64).reshape(500, 1)
    t = np.arange(500)
    (x_train, t_train), (x_val, t_val) = split_validation(x, t, 0.2, rng=3)
    assert len(x_val) == 100 and len(x_train) == 400
    np.testing.assert_array_equal(np.sort(np.concatenate([x_train[:, 0], x_val[:, 0]])), np.arange(500))
    np.testing.assert_array_equal(x_train[:, 0], t_train)  # labels travel with their samples
    np.testing.assert_array_equal(x_val[:, 0], t_val)
    assert not np.array_equal(x_val[:, 0], np.arange(100))  # shuffled first, as the book does
    (_, _), (x_val2, _) = split_validation(x, t, 0.2, rng=3)
    np.testing.assert_array_equal(x_val, x_val2)


@pytest.fixture(scope="module")
def small_data(mnist: tuple) -> tuple[np.ndarray, np.ndarray]:
    (x_train, t_train), _ = mnist
    return x_train[:300], t_train[:300]


def test_a_trial_does_not_depend_on_order_or_workers(small_data: tuple) -> None:
    x, t = small_data
    serial = random_search(x, t, n_trials=3, space=SMALL, rng=5)
    parallel = random_search(x, t, n_trials=3, space=SMALL, rng=5, n_jobs=2)
    assert serial == parallel
    (x_train, t_train), (x_val, t_val) = split_validation(x, t, 0.2, rng=9)
    trials = sample_trials(3, SMALL, rng=9)
    forward = run_trials(trials, (x_train, t_train, x_val, t_val), SMALL)
    backward = run_trials(trials[::-1], (x_train, t_train, x_val, t_val), SMALL)
    assert forward == backward[::-1]
    assert all(len(r.val_acc_list) == SMALL.epochs == len(r.train_acc_list) for r in forward)


def final_weights_and_blas_threads(
    trial: Trial, x_train: np.ndarray, t_train: np.ndarray, x_val: np.ndarray, t_val: np.ndarray, space: SearchSpace
) -> tuple[int, dict[str, np.ndarray], int]:
    """A trial runner that returns what ``TrialResult`` hides: the trained weights and the BLAS threads it ran on."""
    trainer = trial_trainer(trial, x_train, t_train, x_val, t_val, space)
    trainer.train()
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return trial.index, {k: v.copy() for k, v in trainer.network.params.items()}, max(blas)


def test_n_jobs_changes_nothing_bit_for_bit(small_data: tuple) -> None:
    """Serial and parallel trials run on the same BLAS thread count, so the trained weights agree to the last bit."""
    x, t = small_data
    (x_train, t_train), (x_val, t_val) = split_validation(x, t, 0.2, rng=4)
    space = SearchSpace(hidden_size_list=(200, 200), epochs=2, mini_batch_size=120)
    trials = sample_trials(2, space, rng=4)
    data = (x_train, t_train, x_val, t_val)
    serial = run_trials(trials, data, space, n_jobs=1, run=final_weights_and_blas_threads)  # type: ignore[arg-type]
    parallel = run_trials(trials, data, space, n_jobs=2, run=final_weights_and_blas_threads)  # type: ignore[arg-type]
    for (i, w_serial, threads_serial), (j, w_parallel, threads_parallel) in zip(serial, parallel, strict=True):
        assert i == j and threads_serial == threads_parallel == TRIAL_BLAS_THREADS
        for key in w_serial:
            assert w_serial[key].tobytes() == w_parallel[key].tobytes(), f"trial {i}: {key} differs"


def test_the_learning_rate_matters(small_data: tuple) -> None:
    """A trial is a real training run: lr 0.1 learns, lr 1e-6 stays near chance."""
    x, t = small_data
    (x_train, t_train), (x_val, t_val) = split_validation(x, t, 0.2, rng=0)
    space = SearchSpace(hidden_size_list=(50,), epochs=20, mini_batch_size=40)
    fast = run_trial(Trial(0, 0.1, 1e-6, seed=1), x_train, t_train, x_val, t_val, space)
    slow = run_trial(Trial(1, 1e-6, 1e-6, seed=1), x_train, t_train, x_val, t_val, space)
    assert fast.final_val_acc > 0.6 and slow.final_val_acc < 0.3


def test_best_trials_rank_by_final_validation_accuracy() -> None:
    results = [TrialResult(Trial(i, 0.1, 0.1, i), (0.0, acc), (0.0, 0.0)) for i, acc in enumerate([0.2, 0.9, 0.5, 0.9])]
    assert [r.trial.index for r in best_trials(results)] == [1, 3, 2, 0]
    assert [r.trial.index for r in best_trials(results, 2)] == [1, 3]


def test_parallel_without_joblib_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "joblib", None)
    with pytest.raises(ImportError, match=r"n_jobs=2 runs trials through joblib.*npnet\[experiments\]"):
        run_trials([Trial(0, 0.1, 0.1, 0)], (np.ones((2, 3)),) * 4, SMALL, n_jobs=2)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: sample_trials(0), "number of trials must be a positive int, got 0"),
        (lambda: SearchSpace(lr_exponents=(-2, -6)), r"lr_exponents must be \(low, high\) with low <= high"),
        (lambda: split_validation(np.ones((10, 2)), np.ones(10), 1.0), r"validation_rate must be in \(0, 1\)"),
        (lambda: split_validation(np.ones((3, 2)), np.ones(3), 0.2), "leaves an empty split"),
        (lambda: split_validation(np.ones((3, 2)), np.ones(2), 0.5), "3 samples but 2 labels"),
    ],
    ids=["no-trials", "reversed-range", "rate-1", "empty-split", "unpaired"],
)
def test_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
