"""Every npnet function against its PyTorch twin, forward and (where npnet has one) derivative."""

from __future__ import annotations

import numpy as np
import pytest

import npnet.functions as nf
import oracle.functions as of
from tests.compare import assert_close

DTYPES = [np.float64, np.float32]
SHAPES = [(1,), (7,), (1, 10), (3, 5), (4, 3, 2)]


def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: type, scale: float = 3.0) -> np.ndarray:
    """Standard-normal data times ``scale``, with exact zeros planted where the array has room."""
    x = (scale * rng.standard_normal(shape)).astype(dtype)
    if x.size >= 3:
        x.reshape(-1)[:: max(x.size // 3, 1)] = 0
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["identity_function", "step_function", "sigmoid", "sigmoid_grad", "relu", "relu_grad"])
def test_elementwise(name: str, shape: tuple[int, ...], dtype: type, rng: np.random.Generator) -> None:
    x = sample(rng, shape, dtype)
    x_before = x.copy()
    ours = getattr(nf, name)(x)
    theirs = getattr(of, name)(x)
    assert_close(ours, theirs, name, "grad" if name.endswith("_grad") else "value")
    np.testing.assert_array_equal(x, x_before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(10,), (1, 10), (5, 3), (8, 10)])
@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0], ids=["normal", "large", "huge"])
def test_softmax(shape: tuple[int, ...], dtype: type, scale: float, rng: np.random.Generator) -> None:
    x = (scale * rng.standard_normal(shape)).astype(dtype)
    y = nf.softmax(x)
    assert np.all(np.isfinite(y))
    assert_close(y, of.softmax(x), "softmax")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(10,), (1, 10), (6, 4)])
def test_sum_squared_error(shape: tuple[int, ...], dtype: type, rng: np.random.Generator) -> None:
    y, t = rng.random(shape).astype(dtype), rng.random(shape).astype(dtype)
    assert_close(nf.sum_squared_error(y, t), of.sum_squared_error(y, t), "sum_squared_error", dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [None, 1, 2, 17], ids=["single", "b1", "b2", "b17"])
@pytest.mark.parametrize("labels", ["index", "one_hot"])
@pytest.mark.parametrize("delta", [nf.CROSS_ENTROPY_DELTA, 0.0], ids=["book_delta", "no_delta"])
def test_cross_entropy_error(
    batch: int | None, labels: str, delta: float, dtype: type, rng: np.random.Generator
) -> None:
    classes = 10
    shape = (classes,) if batch is None else (batch, classes)
    y = nf.softmax(rng.standard_normal(shape).astype(dtype))
    idx = rng.integers(0, classes, size=() if batch is None else (batch,))
    t = np.eye(classes)[idx] if labels == "one_hot" else idx
    assert_close(
        nf.cross_entropy_error(y, t, delta), of.cross_entropy_error(y, t, delta), "cross_entropy_error", dtype=dtype
    )


def test_cross_entropy_delta_is_a_real_difference() -> None:
    """The book's delta shifts the loss by about delta / y_t: visible, and exactly what the twin reproduces."""
    y = np.array([[0.5, 0.25, 0.25]])
    t = np.array([1])
    with_delta = nf.cross_entropy_error(y, t)
    without = nf.cross_entropy_error(y, t, delta=0.0)
    assert without == pytest.approx(np.log(4), rel=1e-15)
    assert without - with_delta == pytest.approx(1e-7 / 0.25, rel=1e-6)
