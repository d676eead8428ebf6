"""Save and load a network's state as ``.npz`` (never pickle): parameters, buffers, a format version and a config.

File layout (format version 1): one array per parameter (``W1``, ``b1``, ``gamma1``, ...), one per buffer (the
batch-norm ``running_mean1``, ``running_var1``, ...), ``__npnet_format__`` (an int, :data:`FORMAT_VERSION`) and
``__npnet_config__`` (a JSON string: ``{"kind": "MultiLayerNetExtend", "config": {...constructor settings...}}``).
A file without ``__npnet_format__`` is read as format 0: parameters only, as npnet wrote them before (refused for a
net with batch norm, whose running statistics it lacks).

``load_params`` checks everything before it writes anything, and then copies into the existing arrays, so that the
layers holding them see the loaded values and a refused file leaves the network as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

#: The version ``save_params`` writes; ``load_params`` reads this one and format 0 (parameters only).
FORMAT_VERSION = 1
VERSION_KEY = "__npnet_format__"
CONFIG_KEY = "__npnet_config__"

#: Config entries that decide what the arrays mean: a file whose entries differ is refused.
ARCHITECTURE_KEYS = ("input_size", "hidden_size", "hidden_size_list", "output_size", "activation", "use_batchnorm")


def save_params(
    params: Mapping[str, np.ndarray],
    path: str | os.PathLike[str],
    buffers: Mapping[str, np.ndarray] | None = None,
    config: Mapping[str, Any] | None = None,
    kind: str | None = None,
) -> None:
    """Write ``params`` and ``buffers`` under their own names, the format version and ``{"kind", "config"}``."""
    arrays: dict[str, Any] = {name: np.asarray(value) for name, value in params.items()}
    arrays.update({name: np.asarray(value) for name, value in (buffers or {}).items()})
    arrays[VERSION_KEY] = np.array(FORMAT_VERSION)
    arrays[CONFIG_KEY] = np.array(json.dumps({"kind": kind, "config": dict(config or {})}))
    np.savez(path, **arrays)


def read_config(path: str | os.PathLike[str]) -> tuple[str | None, dict[str, Any]]:
    """``(kind, config)`` stored in a version-1 file; ``ValueError`` naming the file for any other file."""
    with _open(path) as data:
        _check_version(data, path)
        if CONFIG_KEY not in data.files:
            raise ValueError(f"{os.fspath(path)}: no network configuration stored (format 0 file)")
        stored = json.loads(str(data[CONFIG_KEY]))
    return stored.get("kind"), dict(stored.get("config") or {})


def load_params(
    params: Mapping[str, np.ndarray],
    path: str | os.PathLike[str],
    buffers: Mapping[str, np.ndarray] | None = None,
    config: Mapping[str, Any] | None = None,
    kind: str | None = None,
) -> None:
    """Copy the arrays saved at ``path`` into ``params`` and ``buffers`` in place (cast to their dtypes).

    Refused with a ``ValueError`` naming the file (and the array, where one is at fault): another format version;
    a stored architecture (sizes, activation, batch norm) other than ``config``'s; missing or unexpected arrays;
    another shape; a non-real dtype; NaN or inf; a value that overflows the target dtype (1e300 into float32).
    """
    where = os.fspath(path)
    targets = {**dict(params), **dict(buffers or {})}
    with _open(path) as data:
        version = _check_version(data, path)
        if version >= 1 and CONFIG_KEY not in data.files:
            raise ValueError(f"{where}: format {version} file with no entry {CONFIG_KEY!r} (the network configuration)")
        if version >= 1 and config is not None:
            _check_architecture(json.loads(str(data[CONFIG_KEY])), config, kind, where)
        stored = sorted(set(data.files) - {VERSION_KEY, CONFIG_KEY})
        expected = sorted(targets)
        if stored != expected:
            missing, extra = sorted(set(expected) - set(stored)), sorted(set(stored) - set(expected))
            raise ValueError(f"{where}: holds arrays {stored}, expected {expected} (missing {missing}, extra {extra})")
        values = {name: _checked_value(data[name], targets[name], name, where) for name in expected}
    for name, value in values.items():
        np.copyto(targets[name], value)


def _open(path: str | os.PathLike[str]) -> Any:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"{os.fspath(path)}: not a readable .npz file ({err})") from None


def _check_version(data: Any, path: str | os.PathLike[str]) -> int:
    if VERSION_KEY not in data.files:
        return 0
    version = data[VERSION_KEY]
    if version.shape != () or not np.issubdtype(version.dtype, np.integer) or int(version) != FORMAT_VERSION:
        raise ValueError(
            f"{os.fspath(path)}: format version {version.tolist()!r}; this npnet reads {FORMAT_VERSION} and 0"
        )
    return int(version)


def _check_architecture(stored: Mapping[str, Any], config: Mapping[str, Any], kind: str | None, where: str) -> None:
    saved = stored.get("config") or {}
    differs = [k for k in ARCHITECTURE_KEYS if (k in saved or k in config) and saved.get(k) != config.get(k)]
    if differs:
        theirs = {k: saved.get(k) for k in differs}
        ours = {k: config.get(k) for k in differs}
        raise ValueError(
            f"{where}: saved from a network of another shape, a {stored.get('kind')} with {theirs}; "
            f"this {kind or 'network'} has {ours}"
        )


def _checked_value(value: np.ndarray, target: np.ndarray, name: str, where: str) -> np.ndarray:
    """``value`` cast to ``target``'s dtype, after the shape, dtype, finiteness and overflow checks."""
    if value.shape != target.shape:
        raise ValueError(f"{where}: array {name!r} has shape {value.shape}, expected {target.shape}")
    if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
        raise ValueError(f"{where}: array {name!r} has dtype {value.dtype}, expected a real dtype")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{where}: array {name!r} holds non-finite values (nan or inf)")
    with np.errstate(over="ignore"):
        cast = value.astype(target.dtype)
    if not np.all(np.isfinite(cast)):
        raise ValueError(
            f"{where}: array {name!r} overflows {target.dtype} (largest magnitude {np.max(np.abs(value))})"
        )
    return cast
