"""Shared fixtures and the suite's threading. MNIST is read once per worker process (the loader keeps it per process).

Under pytest-xdist (the README's ``python -m pytest`` runs ``-n auto``: one worker per core) every worker would
otherwise start a BLAS thread and a torch intra-op thread per core, so two workers on two cores run four busy
threads that wait on each other; the parallel run was slower than the serial one. Each worker is therefore limited
to one BLAS/OpenMP thread (threadpoolctl, for every library loaded) and one torch thread (``torch.set_num_threads``,
only where torch is installed: ``tests/npnet`` runs without it). A serial run (``-n 0``) keeps the libraries'
defaults.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import numpy as np
import pytest

from npnet.datasets import load_mnist

#: Held for the worker's lifetime: threadpoolctl restores the previous limits when its controller is collected.
_THREAD_LIMITS: list[Any] = []


def limit_threads_in_worker() -> None:
    """One BLAS/OpenMP thread and one torch thread in this process, if it is an xdist worker."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    from threadpoolctl import threadpool_limits

    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)
    _THREAD_LIMITS.append(threadpool_limits(limits=1))


def pytest_configure(config: pytest.Config) -> None:
    limit_threads_in_worker()


def pytest_collection_finish(session: pytest.Session) -> None:
    # Libraries loaded while the test modules were imported (torch's own OpenMP, for one) get the limit too.
    limit_threads_in_worker()


@pytest.fixture(scope="session")
def mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, t_train), (x_test, t_test)), normalized float32, flattened, index labels."""
    return load_mnist()


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's id, so every case has its own repeatable data."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(request.node.nodeid)) % (2**32)
    return np.random.default_rng(seed)
