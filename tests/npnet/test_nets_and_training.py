"""TwoLayerNet's construction, persistence and the SGD loop's determinism (NumPy only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from npnet.nets import TwoLayerNet
from npnet.train import iterations_per_epoch, minibatch_schedule, train_network, train_two_layer_net


def test_same_seed_same_weights() -> None:
    a, b = TwoLayerNet(5, 4, 3, rng=7), TwoLayerNet(5, 4, 3, rng=np.random.default_rng(7))
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert not np.array_equal(a.params["W1"], TwoLayerNet(5, 4, 3, rng=8).params["W1"])
    f32 = TwoLayerNet(5, 4, 3, rng=7, dtype=np.float32)
    np.testing.assert_array_equal(f32.params["W1"], a.params["W1"].astype(np.float32))


def test_layers_share_the_params_arrays() -> None:
    net = TwoLayerNet(5, 4, 3, rng=0)
    assert net.layers["Affine1"].W is net.params["W1"] and net.layers["Affine2"].b is net.params["b2"]


def test_save_and_load_npz(tmp_path: Path) -> None:
    net, other = TwoLayerNet(5, 4, 3, rng=0), TwoLayerNet(5, 4, 3, rng=1)
    net.save_params(tmp_path / "p.npz")
    W1 = other.params["W1"]
    other.load_params(tmp_path / "p.npz")
    assert other.params["W1"] is W1  # loaded in place, so the layers see it
    x = np.ones((2, 5))
    np.testing.assert_array_equal(other.predict(x), net.predict(x))
    with pytest.raises(ValueError, match="shape"):
        TwoLayerNet(6, 4, 3).load_params(tmp_path / "p.npz")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"activation": "tanh"}, "activation must be one of"),
        ({"dtype": np.int32}, "floating-point dtype"),
        ({"rng": "seed"}, "rng must be"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        TwoLayerNet(5, 4, 3, **kwargs)


def test_bad_input_shape_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"5 features.*got x\(2, 6\)"):
        TwoLayerNet(5, 4, 3).predict(np.ones((2, 6)))


def test_iterations_per_epoch_rounds_up() -> None:
    assert iterations_per_epoch(60000, 100) == 600
    assert iterations_per_epoch(300, 200) == 2
    assert iterations_per_epoch(50, 100) == 1


def test_schedule_is_seeded_and_in_range() -> None:
    s = minibatch_schedule(1000, 10, 50, 3)
    np.testing.assert_array_equal(s, minibatch_schedule(1000, 10, 50, 3))
    assert s.shape == (50, 10) and s.min() >= 0 and s.max() < 1000


def test_training_is_deterministic_and_learns(mnist: tuple) -> None:
    (x_train, t_train), (x_test, t_test) = mnist
    data = (x_train[:2000], t_train[:2000], x_test[:500], t_test[:500])
    net_a, hist_a = train_two_layer_net(*data, iters_num=100, seed=5, verbose=False)
    net_b, hist_b = train_two_layer_net(*data, iters_num=100, seed=5, verbose=False)
    assert hist_a.train_loss_list == hist_b.train_loss_list
    assert len(hist_a.train_acc_list) == 5  # after iterations 0, 20, 40, 60, 80
    assert hist_a.test_acc_list[-1] > 0.4  # chance is 0.1
    np.testing.assert_array_equal(net_a.params["W2"], net_b.params["W2"])


def test_quiet_output_is_line_by_line(mnist: tuple, capsys: pytest.CaptureFixture[str]) -> None:
    (x_train, t_train), (x_test, t_test) = mnist
    net = TwoLayerNet(784, 10, 10, rng=0)
    train_network(net, x_train[:500], t_train[:500], x_test[:100], t_test[:100], iters_num=12, batch_size=100, rng=0)
    out, err = capsys.readouterr()
    assert out.count("\n") == 3 and "\r" not in out + err  # epochs after iterations 0, 5, 10; no bar off a tty
    assert out.startswith("epoch  0 (iter      0) | loss ")
