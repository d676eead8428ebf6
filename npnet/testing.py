"""Check your own from-scratch code against PyTorch: ``check_layer``, ``check_function``, ``check_net``,
``check_optimizer``, ``Report`` and ``ParityError`` (an ``AssertionError``).

    from npnet.testing import check_layer
    check_layer(MyAffine(W, b), "Affine")     # raises ParityError naming the quantity, the miss and the slip

This module is a thin front: the checks live in ``oracle.testing`` and need PyTorch (the ``oracle`` extra). It is
loaded on first use, so ``import npnet`` and every other npnet module stay NumPy-only; without torch, importing
this module fails with one line naming the extra.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names a type checker sees; at run time __getattr__ loads them
    from oracle.testing import ParityError, Report, check_function, check_layer, check_net, check_optimizer

__all__ = ["ParityError", "Report", "check_function", "check_layer", "check_net", "check_optimizer"]

MISSING_TORCH = (
    "npnet.testing needs PyTorch: pip install 'npnet[oracle]' (on a CPU-only machine: pip install torch==2.13.0)"
)


def _torch_installed() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # a torch entry of None in sys.modules (blocked) reads as absent
        return False


if not _torch_installed():
    raise ImportError(MISSING_TORCH)


def _oracle() -> Any:
    return importlib.import_module("oracle.testing")


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(_oracle(), name)
    raise AttributeError(f"module 'npnet.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
