"""``oracle.convert``: where the twins run, and what a bad device request says."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from oracle.convert import DEVICE_ENV, default_device, to_numpy, to_torch


def test_cpu_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    assert default_device() == torch.device("cpu")
    assert default_device("cpu:0") == torch.device("cpu", 0)
    assert default_device(torch.device("cpu")) == torch.device("cpu")


def test_environment_names_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEVICE_ENV, "meta")
    assert default_device() == torch.device("meta")
    assert default_device("cpu") == torch.device("cpu")  # an explicit device wins


@pytest.mark.parametrize(("where", "name"), [("argument", "gpu"), ("environment", "cuda:x")])
def test_unknown_device_names_source_and_value(where: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    source = "device" if where == "argument" else f"${DEVICE_ENV}"
    monkeypatch.setenv(DEVICE_ENV, name if where == "environment" else "cpu")
    expected = f"{source}: expected a torch device such as 'cpu' or 'cuda', got '{name}'"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        default_device(name if where == "argument" else None)


def test_cuda_without_cuda_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"^device: 'cuda' asked for CUDA, but torch .* sees no usable CUDA device"):
        default_device("cuda")


def test_to_torch_copies_and_round_trips() -> None:
    x = np.arange(6.0).reshape(2, 3)
    tensor = to_torch(x, device="cpu")
    x[0, 0] = 99.0
    assert tensor[0, 0].item() == 0.0  # a copy, not a view of npnet's array
    np.testing.assert_array_equal(to_numpy(tensor), np.arange(6.0).reshape(2, 3))
