"""Training loops: the book's ``train_neuralnet.py`` (mini-batch SGD on MNIST) as functions, and its ``Trainer``.

The loop is a generator, :func:`sgd_training`, that yields one :class:`EpochReport` per epoch, so that a caller can
run npnet and its PyTorch twin in lockstep (``zip`` the two generators) and print them side by side. Mini-batches
come from a precomputed :func:`minibatch_schedule`, so that two trainers given the same schedule see the very same
samples in the same order.

Book semantics kept: samples are drawn with replacement (``np.random.choice(train_size, batch_size)``); the loss
recorded for iteration ``i`` is the mini-batch loss *after* that iteration's update; accuracy on the full training
and test sets is evaluated after the update of every iteration ``i`` with ``i % iter_per_epoch == 0``
(``iter_per_epoch = max(train_size / batch_size, 1)``), which gives 17 reports for 10000 iterations.

:class:`Trainer` is chapter 6's ``common/trainer.py``: any network, any of the chapter's optimizers, ``epochs`` of
``iter_per_epoch`` steps, the same report rule, on a seeded schedule as well.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

import numpy as np

from npnet._validate import check_labels, positive_int, real_number
from npnet.nets import TwoLayerNet
from npnet.optim import Optimizer, make_optimizer
from npnet.rng import SeedLike, as_generator


class Progress(Protocol):
    """Anything advanced once per iteration, such as a ``tqdm`` bar (the CLI draws one; npnet draws none)."""

    def update(self, n: int = 1) -> object: ...


@dataclass(frozen=True)
class EpochReport:
    """Accuracies after the update of iteration ``iteration`` (the ``epoch``-th report, from 0)."""

    epoch: int
    iteration: int
    train_acc: float
    test_acc: float
    loss: float
    """The mini-batch loss recorded at that iteration."""


@dataclass
class History:
    """What a training run records: every iteration's loss and every epoch's accuracies."""

    train_loss_list: list[float] = field(default_factory=list)
    train_acc_list: list[float] = field(default_factory=list)
    test_acc_list: list[float] = field(default_factory=list)
    reports: list[EpochReport] = field(default_factory=list)


def minibatch_schedule(train_size: int, batch_size: int, iters_num: int, rng: SeedLike) -> np.ndarray:
    """Indices of every mini-batch, shape ``(iters_num, batch_size)``, drawn uniformly with replacement."""
    positive_int(train_size, "train_size")
    positive_int(batch_size, "batch_size")
    if isinstance(iters_num, bool) or not isinstance(iters_num, (int, np.integer)) or iters_num < 0:
        raise ValueError(f"iters_num must be an int >= 0, got {iters_num!r}")
    return as_generator(rng).integers(0, train_size, size=(iters_num, batch_size))


def iterations_per_epoch(train_size: int, batch_size: int) -> int:
    """The book's ``max(train_size / batch_size, 1)``, rounded up to a whole number of iterations.

    The book compares ``i % iter_per_epoch == 0`` with a float, which never holds again after ``i = 0`` when the
    epoch is not a whole number of batches (e.g. 300 samples in batches of 200); rounding up keeps one report per
    pass over the data.
    """
    return max(math.ceil(train_size / batch_size), 1)


def check_training_data(x_train: np.ndarray, t_train: np.ndarray, x_test: np.ndarray, t_test: np.ndarray) -> None:
    """Raise ``ValueError`` if samples and labels do not pair up."""
    for split, x, t in (("train", x_train, t_train), ("test", x_test, t_test)):
        if len(x) != len(t):
            raise ValueError(f"{split} set: {len(x)} samples but {len(t)} labels")
        if len(x) == 0:
            raise ValueError(f"{split} set is empty")


#: Samples per forward pass when accuracy is measured on a whole data set: the same counts as one pass over all of
#: them, from activations that stay in cache (60,000 x 50 float64 is 24 MB; 10,000 x 50 is 4 MB).
EVAL_CHUNK = 10_000


def accuracy_in_chunks(
    accuracy: Callable[[np.ndarray, np.ndarray], float], x: np.ndarray, t: np.ndarray, chunk: int = EVAL_CHUNK
) -> float:
    """``accuracy(x, t)`` of a whole data set, measured ``chunk`` samples at a time.

    Bit for bit the book's value: each chunk's accuracy times its size is its count of correct samples (an exact
    integer), and ``correct / len(x)`` is the same division the book's ``np.sum(y == t) / N`` makes.
    """
    if len(x) <= chunk:
        return float(accuracy(x, t))
    correct = 0
    for start in range(0, len(x), chunk):
        part = slice(start, start + chunk)
        correct += round(float(accuracy(x[part], t[part])) * len(x[part]))
    return correct / len(x)


def as_input_of(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``x`` cast once to the parameters' ``dtype`` where every matmul would up-cast it anyway, else ``x`` itself.

    MNIST is float32; a float64 net's first Affine would cast each mini-batch (forward, backward and the loss after
    the update) and each evaluation pass again. A float64 ``x`` stays float64 for a float32 net: numpy computes
    that product in float64, and casting down would change the numbers.
    """
    x = np.asarray(x)
    return x.astype(dtype) if x.dtype != dtype and np.result_type(x.dtype, dtype) == dtype else x


def run_schedule(
    step: Callable[[np.ndarray, np.ndarray], float],
    accuracy: Callable[[np.ndarray, np.ndarray], float],
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    schedule: np.ndarray,
    history: History | None = None,
    progress: Progress | None = None,
) -> Iterator[EpochReport]:
    """The loop every trainer shares: one ``step`` per mini-batch of ``schedule``, a report per epoch.

    Args:
        step: trains on one mini-batch ``(x_batch, t_batch)`` and returns the loss to record.
        accuracy: ``accuracy(x, t)`` of the model being trained, evaluated on the full training and test sets
            (:func:`accuracy_in_chunks`).
        schedule: mini-batch indices, shape ``(iters_num, batch_size)`` (see :func:`minibatch_schedule`).
        history: if given, every iteration's loss and every report are appended to it.
        progress: if given, advanced once per iteration.
    """
    check_training_data(x_train, t_train, x_test, t_test)
    schedule = np.asarray(schedule)
    if schedule.ndim != 2 or not np.issubdtype(schedule.dtype, np.integer):
        raise ValueError(
            f"schedule must be integer indices of shape (iters_num, batch_size), got {schedule.dtype} {schedule.shape}"
        )
    iter_per_epoch = iterations_per_epoch(len(x_train), schedule.shape[1])
    for i, batch_mask in enumerate(schedule):
        loss = float(step(x_train[batch_mask], t_train[batch_mask]))
        if history is not None:
            history.train_loss_list.append(loss)
        if progress is not None:
            progress.update()
        if i % iter_per_epoch == 0:
            train_acc, test_acc = (
                accuracy_in_chunks(accuracy, x_train, t_train),
                accuracy_in_chunks(accuracy, x_test, t_test),
            )
            report = EpochReport(i // iter_per_epoch, i, train_acc, test_acc, loss)
            if history is not None:
                history.train_acc_list.append(report.train_acc)
                history.test_acc_list.append(report.test_acc)
                history.reports.append(report)
            yield report


def sgd_step(network: Any, x_batch: np.ndarray, t_batch: np.ndarray, learning_rate: float) -> float:
    """One step of the book's loop: ``gradient``, ``W -= learning_rate * dW`` in place, then the loss to record.

    The recorded loss is the book's: the same mini-batch's ``loss`` after the update (one more forward pass; the
    loss that ``gradient`` computes on the way is the one before the update).
    """
    grads = network.gradient(x_batch, t_batch)
    for key, param in network.params.items():
        param -= learning_rate * grads[key]
    return float(network.loss(x_batch, t_batch))


def sgd_training(
    network: Any,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    schedule: np.ndarray,
    learning_rate: float = 0.1,
    history: History | None = None,
    progress: Progress | None = None,
) -> Iterator[EpochReport]:
    """Train ``network`` in place by plain SGD, ``W <- W - learning_rate * dL/dW``, yielding per-epoch reports.

    ``network`` has ``params``, ``gradient(x, t)``, ``loss(x, t)`` and ``accuracy(x, t)``; the other arguments are
    :func:`run_schedule`'s. Each step is the book's: ``gradient`` of the mini-batch, the update of every parameter
    in place, and ``loss`` of the same mini-batch after the update, which is what is recorded. The data are cast
    once to the parameters' dtype (:func:`as_input_of`), not inside every product.
    """
    dtype = np.result_type(*network.params.values())
    x_train, x_test = as_input_of(x_train, dtype), as_input_of(x_test, dtype)

    learning_rate = real_number(learning_rate, "learning_rate")

    def step(x_batch: np.ndarray, t_batch: np.ndarray) -> float:
        return sgd_step(network, x_batch, t_batch, learning_rate)

    return run_schedule(step, network.accuracy, x_train, t_train, x_test, t_test, schedule, history, progress)


def lockstep(*runs: Iterator[EpochReport]) -> Iterator[tuple[EpochReport, ...]]:
    """``zip`` of several training runs that also finishes every run's steps after its last report.

    Plain ``zip`` stops at the first exhausted generator and leaves the others suspended at their last report, so
    the steps after the last report would run on one side only.
    """
    yield from zip(*runs, strict=True)
    for run in runs:
        for _ in run:
            pass


def format_report(report: EpochReport) -> str:
    """One line: ``epoch  3 (iter   1800) | loss 0.2345 | train acc 0.9312 | test acc 0.9301``."""
    return (
        f"epoch {report.epoch:2d} (iter {report.iteration:6d}) | loss {report.loss:.4f} | "
        f"train acc {report.train_acc:.4f} | test acc {report.test_acc:.4f}"
    )


def train_network(
    network: Any,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    iters_num: int = 10000,
    batch_size: int = 100,
    learning_rate: float = 0.1,
    rng: SeedLike = None,
    verbose: bool = True,
    stream: TextIO | None = None,
) -> History:
    """Run :func:`sgd_training` to the end and return its :class:`History`.

    With ``verbose``, one line per epoch goes to ``stream`` (stdout by default), as the book's script prints them.
    """
    out = stream if stream is not None else sys.stdout
    schedule = minibatch_schedule(len(x_train), batch_size, iters_num, rng)
    history = History()
    for report in sgd_training(network, x_train, t_train, x_test, t_test, schedule, learning_rate, history):
        if verbose:
            print(format_report(report), file=out, flush=True)
    return history


def train_two_layer_net(
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    hidden_size: int = 50,
    activation: str = "relu",
    iters_num: int = 10000,
    batch_size: int = 100,
    learning_rate: float = 0.1,
    seed: int = 0,
    verbose: bool = True,
) -> tuple[TwoLayerNet, History]:
    """The book's ``train_neuralnet.py``: a 784-50-10 :class:`TwoLayerNet` trained by SGD, seeded.

    The seed makes the initial weights (first draw) and the mini-batch schedule (second draw) repeatable.
    """
    gen = as_generator(seed)
    network = TwoLayerNet(
        x_train[0].size,
        hidden_size,
        int(np.max(t_train)) + 1 if np.ndim(t_train) == 1 else t_train.shape[1],
        activation=activation,
        rng=gen,
    )
    history = train_network(
        network, x_train, t_train, x_test, t_test, iters_num, batch_size, learning_rate, rng=gen, verbose=verbose
    )
    return network, history


def evaluation_subset(x: np.ndarray, t: np.ndarray, sample_num: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The book's per-epoch evaluation set: the first ``sample_num`` samples, or all of them when ``None``."""
    if sample_num is None:
        return x, t
    return x[:sample_num], t[:sample_num]


class Trainer:
    """The book's ``common/trainer.py``: train ``network`` with a chapter-6 optimizer, one report per epoch.

    Each :meth:`train_step` draws a mini-batch (with replacement, from a seeded schedule made up front), computes
    ``network.gradient``, calls ``optimizer.update(network.params, grads)``, records ``network.loss`` of the same
    mini-batch after the update in ``train_loss_list``, and on every ``iter_per_epoch``-th step (from step 0)
    appends the accuracy on the training and test sets (their first ``evaluate_sample_num_per_epoch`` samples) to
    ``train_acc_list`` and ``test_acc_list``. :meth:`train` runs ``max_iter = epochs * iter_per_epoch`` steps and
    then measures ``final_test_acc`` on the whole test set.

    Args (the book's, then npnet's keywords):
        network: anything with ``params``, ``gradient(x, t)``, ``loss(x, t)`` and ``accuracy(x, t)``.
        optimizer: a name (``"SGD"``, ``"Momentum"``, ``"Nesterov"``, ``"AdaGrad"``, ``"RMSprop"``, ``"Adam"``, any
            case) built with ``optimizer_param`` (the book's default ``{"lr": 0.01}``), or an optimizer object.
        verbose: print one line per epoch and the final test accuracy (the book also prints every step's loss;
            npnet does not; ``npnet train`` draws a tqdm bar on a terminal).
        rng: seed or Generator of the mini-batch schedule.
        stream: where ``verbose`` lines go (stdout by default).

    Two slips of the book's class are fixed: its ``"rmsprpo"`` key made ``optimizer="RMSprop"`` fail, and its
    float ``iter_per_epoch`` skipped every report after the first when an epoch is not a whole number of batches
    (``iter_per_epoch`` is rounded up here, see :func:`iterations_per_epoch`).
    """

    def __init__(
        self,
        network: Any,
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
    ) -> None:
        check_training_data(x_train, t_train, x_test, t_test)
        num_classes = getattr(network, "output_size", None)
        check_labels(t_train, num_classes, "train set")
        check_labels(t_test, num_classes, "test set")
        positive_int(epochs, "epochs")
        positive_int(mini_batch_size, "mini_batch_size")
        if evaluate_sample_num_per_epoch is not None:
            positive_int(evaluate_sample_num_per_epoch, "evaluate_sample_num_per_epoch")
        self.network = network
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.epochs, self.batch_size = int(epochs), int(mini_batch_size)
        self.optimizer = build_optimizer(optimizer, optimizer_param)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose
        self.stream = stream
        self.train_size = len(x_train)
        self.iter_per_epoch = iterations_per_epoch(self.train_size, self.batch_size)
        self.max_iter = self.epochs * self.iter_per_epoch
        self.schedule = minibatch_schedule(self.train_size, self.batch_size, self.max_iter, rng)
        self.current_iter = 0
        self.current_epoch = 0
        self.history = History()
        self.final_test_acc: float | None = None

    @property
    def train_loss_list(self) -> list[float]:
        return self.history.train_loss_list

    @property
    def train_acc_list(self) -> list[float]:
        return self.history.train_acc_list

    @property
    def test_acc_list(self) -> list[float]:
        return self.history.test_acc_list

    def train_on_batch(self, x_batch: np.ndarray, t_batch: np.ndarray) -> float:
        """One optimizer step on a mini-batch; returns the batch's loss after the update."""
        grads = self.network.gradient(x_batch, t_batch)
        self.optimizer.update(self.network.params, grads)
        return float(self.network.loss(x_batch, t_batch))

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """The network's accuracy on ``(x, t)``, measured in chunks (:func:`accuracy_in_chunks`, the same value)."""
        return accuracy_in_chunks(self.network.accuracy, x, t)

    def train_step(self) -> EpochReport | None:
        """One step of the schedule; returns the epoch's report when this step ends with one."""
        if self.current_iter >= self.max_iter:
            raise RuntimeError(f"all {self.max_iter} steps of the schedule have run")
        batch_mask = self.schedule[self.current_iter]
        loss = self.train_on_batch(self.x_train[batch_mask], self.t_train[batch_mask])
        self.history.train_loss_list.append(loss)
        report = None
        if self.current_iter % self.iter_per_epoch == 0:
            self.current_epoch += 1
            n = self.evaluate_sample_num_per_epoch
            train_acc = self.accuracy(*evaluation_subset(self.x_train, self.t_train, n))
            test_acc = self.accuracy(*evaluation_subset(self.x_test, self.t_test, n))
            report = EpochReport(self.current_epoch - 1, self.current_iter, train_acc, test_acc, loss)
            self.history.train_acc_list.append(train_acc)
            self.history.test_acc_list.append(test_acc)
            self.history.reports.append(report)
        self.current_iter += 1
        return report

    def finish(self) -> float:
        """Measure and keep ``final_test_acc``, the accuracy on the whole test set."""
        self.final_test_acc = self.accuracy(self.x_test, self.t_test)
        return self.final_test_acc

    def train(self) -> None:
        """Run the remaining steps of the schedule, then :meth:`finish`."""
        out = self.stream if self.stream is not None else sys.stdout
        remaining = self.max_iter - self.current_iter
        for _ in range(remaining):
            report = self.train_step()
            if report is not None and self.verbose:
                print(format_trainer_report(report), file=out, flush=True)
        test_acc = self.finish()
        if self.verbose:
            print(f"=============== Final Test Accuracy ===============\ntest acc:{test_acc}", file=out, flush=True)


def build_optimizer(optimizer: str | Optimizer, optimizer_param: Mapping[str, Any] | None = None) -> Optimizer:
    """The Trainer's optimizer: an :class:`Optimizer` as is, or a name built with ``optimizer_param``."""
    if isinstance(optimizer, str):
        return make_optimizer(optimizer, **dict(optimizer_param if optimizer_param is not None else {"lr": 0.01}))
    if optimizer_param is not None:
        raise ValueError("optimizer_param is for an optimizer given by name; this optimizer is already built")
    if not callable(getattr(optimizer, "update", None)):
        raise TypeError(f"optimizer must be a name or have update(params, grads), got {type(optimizer).__name__}")
    return optimizer


def format_trainer_report(report: EpochReport) -> str:
    """The book's epoch line, counting epochs from 1: ``=== epoch:3, train acc:0.9120, test acc:0.9040 ===``."""
    return f"=== epoch:{report.epoch + 1}, train acc:{report.train_acc:.4f}, test acc:{report.test_acc:.4f} ==="
