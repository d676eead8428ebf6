"""load_mnist: the known facts, the book's formats, and clear errors for bad files (NumPy only)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from npnet.datasets import PACKAGED_DATA_DIR, MnistFileError, load_mnist, parse_idx

FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_known_facts(mnist: tuple) -> None:
    (x_train, t_train), (x_test, t_test) = mnist
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() == 1.0
    assert t_train[:10].tolist() == FIRST_TRAIN_LABELS
    assert t_test[:10].tolist() == FIRST_TEST_LABELS
    assert np.bincount(t_train).tolist() == TRAIN_CLASS_COUNTS


def test_book_formats() -> None:
    (x, t), (xt, _) = load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.uint8 and xt.shape == (10000, 1, 28, 28)
    assert t.shape == (60000, 10) and np.all(t.sum(axis=1) == 1)
    assert np.argmax(t[:10], axis=1).tolist() == FIRST_TRAIN_LABELS
    (xn, _), _ = load_mnist()
    # np.array_equal, not np.testing.assert_array_equal: the same verdict on 47 million pixels, 20x faster
    assert np.array_equal(xn, x.reshape(60000, 784).astype(np.float32) / np.float32(255))


def test_returned_arrays_are_independent() -> None:
    (x1, t1), _ = load_mnist(normalize=False)
    x1[0, 0] = 77
    t1[0] = 9
    (x2, t2), _ = load_mnist(normalize=False)
    assert x2[0, 0] == 0 and t2[0] == 5


def copy_data(tmp_path: Path) -> Path:
    for f in PACKAGED_DATA_DIR.glob("*.gz"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_uncompressed_files_and_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for f in PACKAGED_DATA_DIR.glob("*labels*.gz"):
        (tmp_path / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
    for f in PACKAGED_DATA_DIR.glob("*images*.gz"):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.setenv("NPNET_MNIST_DIR", str(tmp_path))
    (_, t), _ = load_mnist()
    assert t[:10].tolist() == FIRST_TRAIN_LABELS


def test_missing_file_is_named(tmp_path: Path) -> None:
    copy_data(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(MnistFileError, match=r"t10k-labels-idx1-ubyte\.gz .* not found"):
        load_mnist(data_dir=tmp_path)


def test_truncated_gzip_is_named(tmp_path: Path) -> None:
    copy_data(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(MnistFileError, match=r"train-labels-idx1-ubyte\.gz.*truncated or corrupt"):
        load_mnist(data_dir=tmp_path)


def test_corrupt_data_fails_the_checksum(tmp_path: Path) -> None:
    copy_data(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[5000] ^= 0xFF  # one flipped pixel: still a well-formed IDX file
    path.write_bytes(gzip.compress(bytes(data), compresslevel=1))  # the fastest level: the same bytes inside
    with pytest.raises(MnistFileError, match=r"t10k-images-idx3-ubyte\.gz: SHA-256"):
        load_mnist(data_dir=tmp_path)


def test_parse_idx() -> None:
    header = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3])
    np.testing.assert_array_equal(parse_idx(header + bytes(range(6))), np.arange(6).reshape(2, 3))
    with pytest.raises(MnistFileError, match="header says shape"):
        parse_idx(header + bytes(5))
    with pytest.raises(MnistFileError, match="expected 0x08"):
        parse_idx(bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) + bytes(4))
    with pytest.raises(MnistFileError, match="not an IDX file"):
        parse_idx(b"\x1f\x8b\x08\x00")
