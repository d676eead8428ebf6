"""The book's module layout on top of npnet, so the book's own chapter 4-6 scripts run unchanged on npnet.

The book's scripts import ``common.functions``, ``common.gradient``, ``common.layers``, ``common.optimizer``,
``common.multi_layer_net``, ``common.multi_layer_net_extend``, ``common.trainer``, ``common.util`` and
``dataset.mnist``. :func:`install` registers modules of those names that hold npnet's objects; :func:`run_script`
installs them and runs a script as ``__main__`` from its own folder, as ``python script.py`` would::

    python -c "from npnet.book import run_script; run_script('ch06/optimizer_compare_naive.py')"

Two of the book's ch06 scripts meet npnet's refusals, on purpose, and run only with a named opt-in:
``batch_norm_gradient_check.py`` checks batch norm on a training batch of one sample (refused, as torch refuses
it: every output is ``beta`` and every gradient but ``beta``'s is 0) unless ``allow_single_sample_batchnorm=True``,
and ``batch_norm_test_multi.py`` lets untrainable nets diverge to NaN, which npnet's optimizers refuse unless
``allow_nonfinite_gradients=True`` (the book's behaviour: the run goes on at chance level).
"""

from __future__ import annotations

import os
import runpy
import sys
import types
from typing import Any

import numpy as np

from npnet import datasets, functions, gradient, layers, nets, optim, search, train


def smooth_curve(x: Any, window_len: int = 11, beta: float = 2.0) -> np.ndarray:
    """The book's ``smooth_curve``: ``x`` averaged over a Kaiser window of ``window_len`` points (same length).

    The ends are padded with ``x`` mirrored about its first and last points, so the curve keeps its length.
    """
    x = np.asarray(x, dtype=np.float64)
    half = window_len // 2
    if x.size <= half:
        return x.copy()
    padded = np.concatenate([x[half:0:-1], x, x[-2 : -half - 2 : -1]])
    window = np.kaiser(window_len, beta)
    return np.convolve(padded, window / window.sum(), mode="valid")


def shuffle_dataset(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The book's two-argument ``shuffle_dataset`` (unseeded, as the book's); npnet's takes a seed."""
    return search.shuffle_dataset(x, t)


def _module(name: str, source: Any, names: list[str] | None = None, **extra: Any) -> types.ModuleType:
    module = types.ModuleType(name, f"npnet.book: the book's {name} on npnet")
    public = names if names is not None else [n for n in vars(source) if not n.startswith("_")]
    for attr in public:
        setattr(module, attr, getattr(source, attr))
    module.np = np  # type: ignore[attr-defined]  # the book's `from common.x import *` also brings numpy
    for key, value in extra.items():
        setattr(module, key, value)
    return module


def book_modules() -> dict[str, types.ModuleType]:
    """The book's module names to modules holding npnet's objects."""
    util = types.SimpleNamespace(smooth_curve=smooth_curve, shuffle_dataset=shuffle_dataset)
    modules = {
        "common.functions": _module("common.functions", functions),
        "common.gradient": _module("common.gradient", gradient),
        "common.layers": _module("common.layers", layers),
        "common.optimizer": _module("common.optimizer", optim, [c.__name__ for c in optim.OPTIMIZERS.values()]),
        "common.multi_layer_net": _module("common.multi_layer_net", nets, ["MultiLayerNet"]),
        "common.multi_layer_net_extend": _module("common.multi_layer_net_extend", nets, ["MultiLayerNetExtend"]),
        "common.trainer": _module("common.trainer", train, ["Trainer"]),
        "common.util": _module("common.util", util, ["smooth_curve", "shuffle_dataset"]),
        "dataset.mnist": _module("dataset.mnist", datasets, ["load_mnist"]),
    }
    for package in ("common", "dataset"):
        parent = types.ModuleType(package, f"npnet.book: the book's {package} package on npnet")
        parent.__path__ = []  # a package, so `import common.x` looks the submodule up in sys.modules
        for name, module in modules.items():
            if name.startswith(package + "."):
                setattr(parent, name.split(".", 1)[1], module)
        modules[package] = parent
    return modules


def install() -> None:
    """Register the book's module names (``common.*``, ``dataset.mnist``) in ``sys.modules``, replacing any."""
    sys.modules.update(book_modules())


def run_script(
    path: str | os.PathLike[str], allow_nonfinite_gradients: bool = False, allow_single_sample_batchnorm: bool = False
) -> dict[str, Any]:
    """Run one of the book's scripts on npnet, as ``python path`` from the script's folder; returns its globals.

    With ``allow_nonfinite_gradients``, optimizers let NaN/inf gradients through while the script runs, as the
    book's do (``Optimizer.check_finite``); with ``allow_single_sample_batchnorm``, batch norm accepts a training
    batch of one (``BatchNormalization.allow_single_sample``). Both are restored afterwards.
    """
    script = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(script)
    bn = layers.BatchNormalization
    previous = (os.getcwd(), list(sys.path), list(sys.argv), optim.Optimizer.check_finite, bn.allow_single_sample)
    install()
    try:
        os.chdir(folder)
        sys.path.insert(0, folder)
        sys.argv = [script]
        optim.Optimizer.check_finite = not allow_nonfinite_gradients
        bn.allow_single_sample = allow_single_sample_batchnorm
        return runpy.run_path(script, run_name="__main__")
    finally:
        cwd, sys.path[:], sys.argv, optim.Optimizer.check_finite, bn.allow_single_sample = previous
        os.chdir(cwd)
