"""Shared fixtures. MNIST is read once per worker process (the loader keeps parsed arrays per process)."""

from __future__ import annotations

import numpy as np
import pytest

from npnet.datasets import load_mnist


@pytest.fixture(scope="session")
def mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, t_train), (x_test, t_test)), normalized float32, flattened, index labels."""
    return load_mnist()


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's id, so every case has its own repeatable data."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(request.node.nodeid)) % (2**32)
    return np.random.default_rng(seed)
