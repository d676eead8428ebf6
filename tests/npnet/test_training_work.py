"""The training loop's savings change no number: chunked accuracy, the data cast once, no dx for the first layer."""

from __future__ import annotations

import numpy as np

from npnet.layers import Affine, Relu, backward_layers
from npnet.nets import TwoLayerNet
from npnet.train import accuracy_in_chunks, as_input_of


def test_accuracy_in_chunks_is_the_same_number(rng: np.random.Generator) -> None:
    net = TwoLayerNet(6, 5, 4, weight_init_std=1.0, rng=rng)
    x, t = rng.standard_normal((53, 6)), rng.integers(0, 4, size=53)
    whole = net.accuracy(x, t)
    assert 0.0 < whole < 1.0
    for chunk in (1, 7, 52, 53, 1000):
        assert accuracy_in_chunks(net.accuracy, x, t, chunk) == whole


def test_data_are_cast_up_once_and_never_down() -> None:
    x32 = np.ones((3, 2), dtype=np.float32)
    cast = as_input_of(x32, np.dtype(np.float64))
    assert cast.dtype == np.float64 and np.array_equal(cast, x32)
    assert as_input_of(x32, np.dtype(np.float32)) is x32
    x64 = np.ones((3, 2))
    assert as_input_of(x64, np.dtype(np.float32)) is x64  # numpy computes float64 x float32 in float64: keep it


def test_first_layer_gets_its_parameter_gradients_only(rng: np.random.Generator) -> None:
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    first, act, second = Affine(W, b), Relu(), Affine(rng.standard_normal((3, 2)), np.zeros(2))
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    second.forward(act.forward(first.forward(x)))
    calls = []
    original = first.backward
    first.backward = lambda d: calls.append(d) or original(d)  # type: ignore[method-assign]
    backward_layers([first, act, second], dout)
    assert calls == []  # backward_params, not backward: no dx = dout @ W.T
    reference = Affine(W, b)
    reference.forward(x)
    reference.backward(act.backward(second.backward(dout)))
    np.testing.assert_array_equal(first.dW, reference.dW)
    np.testing.assert_array_equal(first.db, reference.db)
