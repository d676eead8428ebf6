"""Output files of the commands: checked before any work starts, written whole or not at all.

:func:`output_file` and :func:`output_folder` are argparse types, so a path that cannot be written is refused with
the flag's name before any training. :func:`write_atomically` writes into a temporary file beside the target and
renames it over the target only once it is complete: an interrupted or failed write leaves the old file (or none).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path


def _existing_ancestor(path: Path) -> Path:
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    return parent


def output_file(suffixes: Sequence[str]) -> Callable[[str], Path]:
    """An argparse type: a file path ending in one of ``suffixes`` whose folder exists and is writable."""

    def check(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"expected a file name ending in {' or '.join(suffixes)}, got {text!r}")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder; expected a file name")
        folder = path.absolute().parent
        if not folder.is_dir():
            raise argparse.ArgumentTypeError(f"folder {str(folder)!r} does not exist (for {text!r})")
        if not os.access(folder, os.W_OK):
            raise argparse.ArgumentTypeError(f"folder {str(folder)!r} is not writable (for {text!r})")
        return path

    return check


def output_folder(text: str) -> Path:
    """An argparse type: a folder that exists or can be made, and can be written to."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file; expected a folder")
    ancestor = _existing_ancestor(path / "x")
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text!r} cannot be written: {str(ancestor)!r} is not a writable folder")
    return path


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path`` (same suffix), then rename it to ``path``.

    On any exception, ``KeyboardInterrupt`` included, the temporary file is removed and ``path`` is untouched.
    The file gets the usual permissions (``0o666`` less the umask), not ``mkstemp``'s private ``0o600``.
    """
    fd, name = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
