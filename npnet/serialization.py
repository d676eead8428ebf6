"""Save and load a ``params`` dict as ``.npz`` (never pickle), keeping the arrays the layers hold by reference."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np


def save_params(params: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> None:
    """Write every array of ``params`` under its own name (``W1``, ``b1``, ...) to an ``.npz`` file."""
    arrays: dict[str, Any] = {name: np.asarray(value) for name, value in params.items()}
    np.savez(path, **arrays)


def load_params(params: MutableMapping[str, np.ndarray], path: str | os.PathLike[str]) -> None:
    """Copy the arrays saved at ``path`` into ``params`` in place.

    The file must hold exactly ``params``' names with the same shapes; values are copied into the existing arrays
    (cast to their dtype) so that layers holding them by reference see the loaded weights.
    """
    with np.load(path, allow_pickle=False) as data:
        if set(data.files) != set(params):
            raise ValueError(f"{os.fspath(path)}: holds parameters {sorted(data.files)}, expected {sorted(params)}")
        for name, target in params.items():
            value = data[name]
            if value.shape != target.shape:
                raise ValueError(
                    f"{os.fspath(path)}: parameter {name!r} has shape {value.shape}, expected {target.shape}"
                )
            np.copyto(target, value, casting="same_kind")
