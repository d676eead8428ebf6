"""The Trainer beside its twin: every chapter-6 optimizer, both net families, whole runs on MNIST in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from npnet.nets import MultiLayerNetExtend, TwoLayerNet
from npnet.optim import SGD, Adam, make_optimizer
from npnet.search import SearchSpace, Trial, run_trial
from npnet.train import Trainer
from oracle.search import run_trial as twin_run_trial
from oracle.train import Trainer as TwinTrainer
from oracle.train import side_by_side
from tests.compare import assert_close
from tests.protocol import check_gradients
from tests.tolerances import tolerance

OPTIMIZERS = {
    "SGD": {"lr": 0.1},
    "Momentum": {"lr": 0.05},
    "Nesterov": {"lr": 0.05},
    "AdaGrad": {"lr": 0.05},
    "RMSprop": {"lr": 0.005},
    "Adam": {"lr": 0.005},
}


def make_net(kind: str, seed: int) -> Any:
    if kind == "two-layer":
        return TwoLayerNet(784, 30, 10, rng=seed)
    return MultiLayerNetExtend(
        784,
        [40, 30],
        10,
        weight_decay_lambda=0.05,
        use_dropout=True,
        dropout_ration=0.2,
        use_batchnorm=True,
        rng=seed,
    )


def biases_before_batch_norm(net: Any) -> list[str]:
    """``b{i}`` of every Affine followed by batch norm: the loss does not depend on them at all."""
    return [f"b{i}" for i in range(1, getattr(net, "hidden_layer_num", 0) + 1) if getattr(net, "use_batchnorm", False)]


def small_mnist(mnist: tuple) -> tuple[np.ndarray, ...]:
    (x_train, t_train), (x_test, t_test) = mnist
    return x_train[:1000].astype(np.float64), t_train[:1000], x_test[:500].astype(np.float64), t_test[:500]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["two-layer", "extend-bn-dropout-wd"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_trainer_and_twin_agree_step_for_step(name: str, kind: str, mnist: tuple) -> None:
    net = make_net(kind, seed=3)
    trainer = Trainer(
        net, *small_mnist(mnist), epochs=12, mini_batch_size=100, optimizer=name, optimizer_param=OPTIMIZERS[name],
        evaluate_sample_num_per_epoch=400, verbose=False, rng=4,
    )  # fmt: skip
    twin = TwinTrainer.from_npnet(trainer)
    loose = biases_before_batch_norm(net)
    bias_gap = dict.fromkeys(loose, 0.0)  # largest |b_np - b_torch| of those biases over the run
    pairs = []
    for pair in side_by_side(trainer, twin):
        pairs.append(pair)
        twin_params = twin.network.params
        for key in loose:
            bias_gap[key] = max(bias_gap[key], float(np.max(np.abs(net.params[key] - twin_params[key]))))
    assert len(pairs) == trainer.max_iter == 120
    for ours, theirs in pairs:
        assert (ours is None) == (theirs is None)
        if ours is not None and theirs is not None:
            assert (ours.epoch, ours.iteration) == (theirs.epoch, theirs.iteration)
    assert_close(np.array(trainer.train_loss_list), np.array(twin.train_loss_list), "loss per step", "trajectory")
    assert trainer.train_acc_list == twin.train_acc_list
    assert trainer.test_acc_list == twin.test_acc_list
    assert trainer.train_loss_list[-1] < trainer.train_loss_list[0] - 0.5  # it learned
    ours_p, theirs_p = dict(net.params), twin.network.params
    for key in loose:
        # Exact gradient 0 (batch norm subtracts the batch mean): each side steps on its own round-off, which
        # AdaGrad, RMSprop and Adam divide by sqrt(h) + eps ~ 1e-7, so these are compared with zero, not each other.
        for side, params in (("npnet", ours_p), ("torch", theirs_p)):
            assert np.max(np.abs(params.pop(key))) < 1e-8, f"{side} {key} moved though its gradient is zero"
    check_gradients(ours_p, theirs_p, f"{name} params after 120 steps", kind="trajectory")
    if kind == "two-layer":
        return
    ours_s, theirs_s = net.running_stats(), twin.network.running_stats()
    for key in loose:
        # running_mean{i} averages the batch means of x @ W + b, so it carries the bias's round-off walk as well:
        # |diff| <= (trajectory bound of the x @ W part) + (largest bias gap seen during the run).
        i = key.removeprefix("b")
        gap = np.max(np.abs(ours_s.pop(f"running_mean{i}") - theirs_s.pop(f"running_mean{i}")))
        bound = tolerance(np.float64, "trajectory")[1] + bias_gap[key]
        assert gap <= bound, f"running_mean{i} differs by {gap:.3e} > {bound:.3e}"
    check_gradients(ours_s, theirs_s, "running stats", kind="trajectory")


def test_twin_is_built_before_training_from_a_fresh_optimizer(mnist: tuple) -> None:
    data = small_mnist(mnist)
    trainer = Trainer(TwoLayerNet(784, 10, 10, rng=0), *data, epochs=1, verbose=False)
    trainer.train_step()
    with pytest.raises(ValueError, match="build the twin before training: the trainer has run 1 steps"):
        TwinTrainer.from_npnet(trainer)
    used = make_optimizer("adam")
    used.update({"w": np.zeros(2)}, {"w": np.ones(2)})
    with pytest.raises(ValueError, match="already has state"):
        TwinTrainer.from_npnet(Trainer(TwoLayerNet(784, 10, 10, rng=0), *data, optimizer=used, verbose=False))


def test_side_by_side_needs_the_same_schedule(mnist: tuple) -> None:
    data = small_mnist(mnist)
    a = Trainer(TwoLayerNet(784, 10, 10, rng=0), *data, epochs=1, optimizer=SGD(), verbose=False, rng=1)
    b = Trainer(TwoLayerNet(784, 10, 10, rng=0), *data, epochs=1, optimizer=SGD(), verbose=False, rng=2)
    with pytest.raises(ValueError, match="same schedule"):
        next(side_by_side(a, TwinTrainer.from_npnet(b)))


def test_twin_of_a_dropout_net_alone_asks_for_masks(mnist: tuple) -> None:
    trainer = Trainer(make_net("extend", 0), *small_mnist(mnist), epochs=1, optimizer=Adam(), verbose=False)
    twin = TwinTrainer.from_npnet(trainer)
    with pytest.raises(RuntimeError, match="no mask yet"):
        twin.train_step()  # npnet has not stepped, so there are no masks to share


@pytest.mark.slow
def test_search_trial_and_its_twin(mnist: tuple) -> None:
    x_train, t_train, x_val, t_val = small_mnist(mnist)
    space = SearchSpace(hidden_size_list=(30, 30, 30), epochs=6)
    trial = Trial(0, lr=0.1, weight_decay=1e-3, seed=11)
    ours = run_trial(trial, x_train, t_train, x_val, t_val, space)
    theirs = twin_run_trial(trial, x_train, t_train, x_val, t_val, space)
    assert ours.trial == theirs.trial and len(ours.val_acc_list) == 6
    # argmax of scores that agree to round-off: the same predictions, so the very same accuracies
    assert ours.val_acc_list == theirs.val_acc_list
    assert ours.train_acc_list == theirs.train_acc_list
    assert ours.final_val_acc > 0.3  # it trained (chance is 0.1)
