"""MNIST from the four original IDX files, checked against their SHA-256 sums; the book's ``load_mnist``.

IDX format: a big-endian header ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the data.
MNIST uses type ``0x08`` (unsigned byte): labels have one dimension, images three ``(N, 28, 28)``.

The files ship inside the package (``npnet/data/mnist``). ``data_dir=`` or the ``NPNET_MNIST_DIR`` environment
variable points at another folder holding the same files, gzip-compressed (``*.gz``) or not. Each file is read
whole, decompressed in memory and its SHA-256 compared before parsing; nothing is cached on disk (reading and
checking all four takes well under a second, and a cache would bring back the atomic-write problem for parallel
test workers for no gain). Within one process the parsed arrays are kept, read-only, and every call returns fresh
arrays built from them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

#: Environment variable naming a folder with the four MNIST files.
DATA_DIR_ENV = "NPNET_MNIST_DIR"

#: The folder shipped with the package.
PACKAGED_DATA_DIR = Path(__file__).resolve().parent / "data" / "mnist"

#: SHA-256 of each file's decompressed bytes (as in ``SHA256SUMS.uncompressed``).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: Shape each file must have: (records, *record shape).
EXPECTED_SHAPE = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}

IDX_UBYTE = 0x08


class MnistFileError(ValueError):
    """A missing, truncated or corrupt MNIST file; the message names the file and what is wrong."""


def resolve_data_dir(data_dir: PathLike | None = None) -> Path:
    """``data_dir`` if given, else ``$NPNET_MNIST_DIR`` if set, else the folder shipped with the package."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else PACKAGED_DATA_DIR


def read_verified_bytes(data_dir: Path, name: str) -> bytes:
    """The decompressed bytes of ``name`` (``name.gz`` or plain ``name``) after checking its SHA-256."""
    gz_path, raw_path = data_dir / f"{name}.gz", data_dir / name
    if gz_path.is_file():
        path = gz_path
        try:
            data = gzip.decompress(gz_path.read_bytes())
        except (OSError, EOFError, zlib.error) as exc:
            raise MnistFileError(
                f"{gz_path}: cannot be decompressed ({exc}); the file is truncated or corrupt"
            ) from exc
    elif raw_path.is_file():
        path, data = raw_path, raw_path.read_bytes()
    else:
        raise MnistFileError(
            f"MNIST file {name}.gz (or {name}) not found in {data_dir}; set data_dir= or "
            f"${DATA_DIR_ENV} to a folder holding the four IDX files"
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        raise MnistFileError(
            f"{path}: SHA-256 of the decompressed data is {digest}, expected {SHA256[name]} "
            f"({len(data)} bytes read); the file is truncated, corrupt or not MNIST's {name}"
        )
    return data


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse IDX bytes of unsigned-byte type into a ``uint8`` array of the shape the header gives."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise MnistFileError(f"{source}: not an IDX file (header {data[:4]!r})")
    if data[2] != IDX_UBYTE:
        raise MnistFileError(f"{source}: IDX data type 0x{data[2]:02x}, expected 0x08 (unsigned byte)")
    ndim = data[3]
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise MnistFileError(f"{source}: header of {ndim} dimensions needs {header_size} bytes, got {len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header_size + int(np.prod(shape))
    if len(data) != expected:
        raise MnistFileError(f"{source}: header says shape {shape} ({expected} bytes), file has {len(data)} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


@lru_cache(maxsize=4)
def _load_raw(data_dir: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for name, shape in EXPECTED_SHAPE.items():
        arr = parse_idx(read_verified_bytes(data_dir, name), str(data_dir / name))
        if arr.shape != shape:
            raise MnistFileError(f"{data_dir / name}: shape {arr.shape}, expected {shape}")
        arrays[name] = arr  # frombuffer over bytes: read-only
    return arrays


def _one_hot(labels: np.ndarray, classes: int = 10) -> np.ndarray:
    out = np.zeros((labels.size, classes))
    out[np.arange(labels.size), labels] = 1
    return out


def _prepare(
    images: np.ndarray, labels: np.ndarray, normalize: bool, flatten: bool, one_hot_label: bool
) -> tuple[np.ndarray, np.ndarray]:
    x = images.astype(np.float32) / np.float32(255.0) if normalize else images.copy()
    x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, 28, 28)
    t = _one_hot(labels) if one_hot_label else labels.copy()
    return x, t


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    data_dir: PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST as ``((x_train, t_train), (x_test, t_test))``, like the book's ``dataset/mnist.py``.

    Args:
        normalize: pixels as float32 in [0, 1] (else uint8 0..255).
        flatten: images as ``(N, 784)`` (else ``(N, 1, 28, 28)``).
        one_hot_label: labels as ``(N, 10)`` one-hot float64 rows (else uint8 class indices ``(N,)``).
        data_dir: folder with the four files; see :func:`resolve_data_dir`.

    Raises:
        MnistFileError: a file is missing, truncated, corrupt or has the wrong shape.
    """
    raw = _load_raw(resolve_data_dir(data_dir).resolve())
    train = _prepare(raw["train-images-idx3-ubyte"], raw["train-labels-idx1-ubyte"], normalize, flatten, one_hot_label)
    test = _prepare(raw["t10k-images-idx3-ubyte"], raw["t10k-labels-idx1-ubyte"], normalize, flatten, one_hot_label)
    return train, test
