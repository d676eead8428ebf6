"""Shared fixtures. MNIST is read once per worker process (the loader keeps parsed arrays per process)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from npnet.datasets import load_mnist

# Property tests (tests/parity/test_properties.py): 30 drawn examples per test, no per-example deadline (timings on a
# shared machine are noise). In CI (CI=true) the draws are derandomized, so every CI run checks the same examples.
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")


@pytest.fixture(scope="session")
def mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, t_train), (x_test, t_test)), normalized float32, flattened, index labels."""
    return load_mnist()


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's id, so every case has its own repeatable data."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(request.node.nodeid)) % (2**32)
    return np.random.default_rng(seed)
