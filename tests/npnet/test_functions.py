"""npnet.functions on known values and bad input (NumPy only)."""

from __future__ import annotations

import numpy as np
import pytest

import npnet.functions as nf


def test_book_values() -> None:
    # Chapter 3-4's worked examples.
    np.testing.assert_array_equal(nf.step_function(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])
    # The book prints eight decimals, so the bound is half a unit in the eighth decimal.
    np.testing.assert_allclose(
        nf.sigmoid(np.array([-1.0, 1.0, 2.0])), [0.26894142, 0.73105858, 0.88079708], rtol=0, atol=5e-9
    )
    np.testing.assert_allclose(
        nf.softmax(np.array([0.3, 2.9, 4.0])), [0.01821127, 0.24519181, 0.73659691], rtol=0, atol=5e-9
    )
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    assert nf.sum_squared_error(y, t) == pytest.approx(0.0975, rel=1e-12)
    assert nf.cross_entropy_error(y, t) == pytest.approx(-np.log(0.6 + 1e-7), rel=1e-15)
    assert nf.cross_entropy_error(y, 2) == nf.cross_entropy_error(y, t)


def test_sigmoid_and_softmax_are_stable() -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = nf.sigmoid(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
        p = nf.softmax(np.array([[1000.0, 1010.0], [-1000.0, -1000.0]]))
    np.testing.assert_array_equal(s, np.array([0.0, 0.5, 1.0], dtype=np.float32))
    np.testing.assert_allclose(p, [[1 / (1 + np.exp(10)), 1 / (1 + np.exp(-10))], [0.5, 0.5]], rtol=1e-14)


def test_relu_grad_book_convention_at_zero() -> None:
    np.testing.assert_array_equal(nf.relu_grad(np.array([-1.0, 0.0, 1.0])), [0.0, 1.0, 1.0])


def test_softmax_rows_sum_to_one(rng: np.random.Generator) -> None:
    np.testing.assert_allclose(nf.softmax(rng.standard_normal((5, 7))).sum(axis=1), 1.0, rtol=1e-15)


@pytest.mark.parametrize(
    "t,message",
    [
        (np.array([[0, 1, 1], [1, 0, 0]]), "exactly one 1"),
        (np.array([0, 3]), r"lie in \[0, 3\)"),
        (np.array([0.5, 1.0]), "whole numbers"),
        (np.array([0, 1, 2]), "shape"),
    ],
)
def test_cross_entropy_rejects_bad_labels(t: np.ndarray, message: str) -> None:
    y = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=message):
        nf.cross_entropy_error(y, t)


def test_inputs_are_not_modified(rng: np.random.Generator) -> None:
    x = rng.standard_normal((3, 4))
    before = x.copy()
    for f in (nf.sigmoid, nf.relu, nf.softmax, nf.relu_grad, nf.sigmoid_grad, nf.step_function):
        f(x)
    np.testing.assert_array_equal(x, before)


def test_non_numeric_input_is_refused() -> None:
    with pytest.raises(TypeError, match="dtype"):
        nf.sigmoid(np.array(["a", "b"]))
