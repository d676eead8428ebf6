"""The suite's own threading: inside a pytest-xdist worker, one BLAS/OpenMP thread and one torch thread."""

from __future__ import annotations

import importlib.util

import pytest
from threadpoolctl import threadpool_info

from tests import conftest


def test_a_worker_runs_one_thread_per_library(monkeypatch: pytest.MonkeyPatch) -> None:
    has_torch = importlib.util.find_spec("torch") is not None
    torch_threads = None
    if has_torch:
        import torch

        torch_threads = torch.get_num_threads()
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw9")
    held = len(conftest._THREAD_LIMITS)
    conftest.limit_threads_in_worker()
    try:
        assert len(conftest._THREAD_LIMITS) == held + 1
        assert all(lib["num_threads"] == 1 for lib in threadpool_info()), threadpool_info()
        if has_torch:
            assert torch.get_num_threads() == 1
    finally:
        conftest._THREAD_LIMITS.pop().restore_original_limits()
        if has_torch:
            torch.set_num_threads(torch_threads)


def test_a_serial_run_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    held = len(conftest._THREAD_LIMITS)
    conftest.limit_threads_in_worker()
    assert len(conftest._THREAD_LIMITS) == held
