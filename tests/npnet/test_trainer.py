"""The book's Trainer: its schedule and report rule, the two slips it fixes, seeding, validation (NumPy only)."""

from __future__ import annotations

import numpy as np
import pytest

from npnet.nets import MultiLayerNetExtend
from npnet.optim import SGD, Adam, RMSprop, make_optimizer
from npnet.train import Trainer


class RecordingNet:
    """A stand-in network: one parameter, gradient 1, and a record of what it was asked to evaluate."""

    def __init__(self) -> None:
        self.params = {"w": np.zeros(3)}
        self.evaluated: list[int] = []
        self.batches: list[np.ndarray] = []

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.batches.append(x[:, 0].copy())
        return {"w": np.ones(3)}

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return float(self.params["w"][0])

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        self.evaluated.append(len(x))
        return 0.5


def data(n_train: int, n_test: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    gen = np.random.default_rng(n_train)
    x_train = np.column_stack([np.arange(n_train, dtype=np.float64), gen.standard_normal((n_train, 4))])
    x_test = gen.standard_normal((n_test, 5))
    return x_train, gen.integers(0, 3, n_train), x_test, gen.integers(0, 3, n_test)


def test_epochs_reports_and_loss_after_each_update() -> None:
    net = RecordingNet()
    trainer = Trainer(net, *data(1000), epochs=3, mini_batch_size=100, optimizer_param={"lr": 0.5}, verbose=False)
    trainer.train()
    assert (trainer.iter_per_epoch, trainer.max_iter) == (10, 30)
    assert [r.iteration for r in trainer.history.reports] == [0, 10, 20]
    assert len(trainer.train_acc_list) == len(trainer.test_acc_list) == 3
    # SGD lr 0.5 on a gradient of 1: w = -0.5 * (step + 1), and the loss is read after the update
    np.testing.assert_array_equal(trainer.train_loss_list, -0.5 * np.arange(1, 31))
    assert net.evaluated == [1000, 40] * 3 + [40]  # three epochs on the full sets, then the final test accuracy
    assert trainer.final_test_acc == 0.5


def test_epoch_not_a_whole_number_of_batches_still_reports_every_epoch() -> None:
    """The book's float ``iter_per_epoch`` (300 / 200 = 1.5) reports once in 201 epochs; npnet rounds it up."""
    trainer = Trainer(RecordingNet(), *data(300), epochs=5, mini_batch_size=200, verbose=False)
    trainer.train()
    assert trainer.iter_per_epoch == 2 and trainer.max_iter == 10
    assert [r.iteration for r in trainer.history.reports] == [0, 2, 4, 6, 8]


def test_evaluate_sample_num_per_epoch_takes_the_first_samples() -> None:
    net = RecordingNet()
    Trainer(net, *data(500), epochs=2, mini_batch_size=100, evaluate_sample_num_per_epoch=30, verbose=False).train()
    assert net.evaluated == [30, 30, 30, 30, 40]  # the final accuracy is on the whole test set


def test_batches_follow_the_seeded_schedule() -> None:
    net = RecordingNet()
    trainer = Trainer(net, *data(1000), epochs=1, mini_batch_size=7, verbose=False, rng=3)
    trainer.train()
    np.testing.assert_array_equal(np.array(net.batches), trainer.schedule)  # column 0 of x is the sample's index
    again = Trainer(RecordingNet(), *data(1000), epochs=1, mini_batch_size=7, verbose=False, rng=3)
    np.testing.assert_array_equal(again.schedule, trainer.schedule)
    other = Trainer(RecordingNet(), *data(1000), epochs=1, mini_batch_size=7, verbose=False, rng=4)
    assert not np.array_equal(other.schedule, trainer.schedule)


@pytest.mark.parametrize(
    "name,cls", [("sgd", SGD), ("RMSprop", RMSprop), ("rmsprop", RMSprop), ("Adam", Adam)], ids=str
)
def test_optimizer_by_name_any_case(name: str, cls: type) -> None:
    """The book's table misspells ``rmsprpo``, so its ``optimizer="RMSprop"`` fails; here every name works."""
    trainer = Trainer(RecordingNet(), *data(100), optimizer=name, optimizer_param={"lr": 0.1}, verbose=False)
    assert type(trainer.optimizer) is cls and trainer.optimizer.lr == 0.1


def test_trainer_is_the_books_loop() -> None:
    """Gradient, update, loss of the same batch after the update: a hand-written loop gives the same weights."""
    x_train, t_train, x_test, t_test = data(200)
    kwargs = {"use_batchnorm": True, "use_dropout": True, "dropout_ration": 0.3, "weight_decay_lambda": 0.01}
    net = MultiLayerNetExtend(5, [8, 6], 3, rng=1, **kwargs)
    trainer = Trainer(net, x_train, t_train, x_test, t_test, epochs=3, mini_batch_size=32, optimizer="adam", rng=2)
    trainer.verbose = False
    trainer.train()
    ref = MultiLayerNetExtend(5, [8, 6], 3, rng=1, **kwargs)
    opt = make_optimizer("adam", lr=0.01)
    losses = []
    for batch in trainer.schedule:
        opt.update(ref.params, ref.gradient(x_train[batch], t_train[batch]))
        losses.append(ref.loss(x_train[batch], t_train[batch]))
    for key in ref.params:
        np.testing.assert_array_equal(net.params[key], ref.params[key], err_msg=key)
    np.testing.assert_array_equal(trainer.train_loss_list, losses)


def test_verbose_prints_the_books_lines_without_a_bar(capsys: pytest.CaptureFixture[str]) -> None:
    Trainer(RecordingNet(), *data(200), epochs=2, mini_batch_size=100).train()
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "=== epoch:1, train acc:0.5000, test acc:0.5000 ===",
        "=== epoch:2, train acc:0.5000, test acc:0.5000 ===",
        "=============== Final Test Accuracy ===============",
        "test acc:0.5",
    ]
    assert err == ""


def test_no_steps_past_the_schedule() -> None:
    trainer = Trainer(RecordingNet(), *data(100), epochs=1, mini_batch_size=100, verbose=False)
    trainer.train()
    with pytest.raises(RuntimeError, match="all 1 steps"):
        trainer.train_step()


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
        ({"mini_batch_size": 2.5}, ValueError, "mini_batch_size must be a positive int, got 2.5"),
        ({"evaluate_sample_num_per_epoch": 0}, ValueError, "evaluate_sample_num_per_epoch must be"),
        ({"optimizer": "rmsprpo"}, ValueError, "unknown optimizer 'rmsprpo'; expected one of"),
        ({"optimizer": "sgd", "optimizer_param": {"learning_rate": 1}}, TypeError, "unexpected learning_rate"),
        ({"optimizer": SGD(), "optimizer_param": {"lr": 1}}, ValueError, "already built"),
        ({"optimizer": 3}, TypeError, "optimizer must be a name or have update"),
        ({"rng": "seed"}, TypeError, "rng must be"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_bad_arguments(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        Trainer(RecordingNet(), *data(100), verbose=False, **kwargs)


def test_samples_and_labels_must_pair() -> None:
    x_train, t_train, x_test, t_test = data(100)
    with pytest.raises(ValueError, match="train set: 100 samples but 99 labels"):
        Trainer(RecordingNet(), x_train, t_train[:99], x_test, t_test)
