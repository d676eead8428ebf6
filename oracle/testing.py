"""Point the oracle at anyone's from-scratch code: ``check_layer``, ``check_function``, ``check_net``,
``check_optimizer``.

Each check takes the user's object as it is (the book's interface and attribute names), builds the PyTorch twin
from the object's own state, runs both on inputs drawn from ``rng`` (or given), compares everything under the one
tolerance table (:mod:`npnet.tolerances`), and returns a :class:`~oracle.report.Report`; on a mismatch it raises
:class:`~oracle.report.ParityError` (an ``AssertionError``) whose message names the component, the quantity, the
worst index with both values, the differences, the bound, how many elements failed, and, where the mismatch has
the signature of a known slip (:mod:`oracle.diagnoses`), which slip. ``raise_on_failure=False`` returns the
failing report instead (the CLI uses that). ``dtypes=("float64", "float32")`` runs a layer, function or optimizer
check once per dtype, each under its own bounds.

Users import these from ``npnet.testing``; the pytest plugin (:mod:`oracle.pytest_plugin`) wraps them in the
``npnet_parity`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from npnet._validate import positive_int
from npnet.rng import as_generator
from oracle.function_check import FUNCTIONS, run_function_check
from oracle.layer_check import LAYER_PARAMS, cast_layer, run_layer_check
from oracle.net_check import run_net_check
from oracle.optimizer_check import OPTIMIZER_LIKES, run_optimizer_check
from oracle.report import ParityError, Report

__all__ = ["ParityError", "Report", "check_function", "check_layer", "check_net", "check_optimizer"]

SeedLike = int | np.random.Generator | None


def _known(like: Any, known: Sequence[str], what: str) -> str:
    if like not in known:
        raise ValueError(f"like must name one of the book's {what}: {', '.join(known)}; got {like!r}")
    return str(like)


def _dtypes(dtypes: Sequence[Any] | None) -> list[Any]:
    if dtypes is None:
        return [None]
    out = [np.dtype(d) for d in dtypes]
    bad = [d.name for d in out if not np.issubdtype(d, np.floating)]
    if bad or not out:
        raise ValueError(f"dtypes must be floating dtypes such as ('float64', 'float32'), got {tuple(dtypes)!r}")
    return out


def _finish(report: Report, raise_on_failure: bool) -> Report:
    if raise_on_failure and not report.passed:
        raise ParityError(report)
    return report


def _per_dtype(report: Report, dtypes: list[Any], run: Callable[[Any, Report], None]) -> None:
    """Run ``run(dtype, sub_report)`` per dtype; with several, each quantity is tagged with its dtype."""
    for dtype in dtypes:
        sub = Report(report.component, report.like, strict=report.strict)
        run(dtype, sub)
        if len(dtypes) > 1:
            sub.comparisons = [replace(c, quantity=f"{c.quantity} ({dtype.name})") for c in sub.comparisons]
            sub.diagnoses = {f"{q} ({dtype.name})": h for q, h in sub.diagnoses.items()}
        report.merge(sub)


def check_layer(
    layer: Any,
    like: str,
    inputs: Sequence[Any] | None = None,
    *,
    rng: SeedLike = 0,
    strict: bool = False,
    dtypes: Sequence[Any] | None = None,
    raise_on_failure: bool = True,
) -> Report:
    """Check ``layer`` (the book's ``forward``/``backward`` interface) against the twin of the book's ``like``.

    ``like``: ``MulLayer AddLayer Relu Sigmoid Affine SoftmaxWithLoss Dropout BatchNormalization``. Parameters are
    read by the book's names (``W b``; ``gamma beta running_mean running_var momentum``; ``dropout_ratio mask``).
    ``inputs`` (e.g. ``[x]``, ``[x, t]``) replaces the drawn inputs. The layer itself is not touched: each run
    works on a deep copy (cast to the dtype when ``dtypes`` is given). ``strict=True`` fails on warnings too
    (an input or ``dout`` written into).
    """
    like = _known(like, tuple(LAYER_PARAMS), "layers")
    needed = ("forward", "backward", *LAYER_PARAMS[like], *(("dropout_ratio",) if like == "Dropout" else ()))
    missing = [name for name in needed if not hasattr(layer, name)]
    if missing:
        raise TypeError(
            f"a layer checked as {like} needs the book's attributes {', '.join(needed)}; "
            f"{type(layer).__name__} has no {', '.join(missing)}"
        )
    report = Report(f"{type(layer).__name__} as {like}", like, strict=strict)
    gen = as_generator(rng)

    def run(dtype: Any, sub: Report) -> None:
        subject = cast_layer(layer, like, dtype if dtype is not None else np.float64)
        if dtype is None:
            params = [np.asarray(getattr(layer, a)) for a in LAYER_PARAMS[like]]
            dtype = params[0].dtype if params else np.dtype(np.float64)
            if params:
                subject = cast_layer(layer, like, dtype)
        run_layer_check(subject, like, inputs, gen, dtype, sub)

    _per_dtype(report, _dtypes(dtypes), run)
    return _finish(report, raise_on_failure)


def check_function(
    fn: Callable[..., Any],
    like: str,
    inputs: Sequence[Any] | None = None,
    *,
    rng: SeedLike = 0,
    dtypes: Sequence[Any] | None = None,
    raise_on_failure: bool = True,
) -> Report:
    """Check the book-style function ``fn`` against PyTorch's: ``like`` is ``sigmoid relu softmax
    sum_squared_error cross_entropy_error numerical_gradient``; ``inputs`` replaces the drawn arguments."""
    like = _known(like, tuple(FUNCTIONS), "functions")
    report = Report(f"{getattr(fn, '__name__', type(fn).__name__)} as {like}", like)
    gen = as_generator(rng)
    _per_dtype(report, _dtypes(dtypes), lambda dtype, sub: run_function_check(fn, like, inputs, gen, dtype, sub))
    return _finish(report, raise_on_failure)


def check_net(
    net: Any, x: Any, t: Any, like: str | None = None, *, rng: SeedLike = 0, raise_on_failure: bool = True
) -> Report:
    """Check a book-style network (``params``, ``predict``, ``loss``, ``gradient``; ``numerical_gradient`` when
    small enough) on ``(x, t)`` against the twin built from ``net.params``. ``like`` is ``TwoLayerNet``,
    ``MultiLayerNet`` or ``MultiLayerNetExtend``; ``None`` recognises it from the params keys and layer names."""
    report = Report(type(net).__name__, like or "?")
    run_net_check(net, np.asarray(x), np.asarray(t), like, as_generator(rng), report)
    return _finish(report, raise_on_failure)


def check_optimizer(
    optimizer: Any,
    like: str,
    steps: int = 50,
    *,
    rng: SeedLike = 0,
    dtypes: Sequence[Any] | None = None,
    raise_on_failure: bool = True,
) -> Report:
    """Run the user's ``optimizer.update(params, grads)`` beside the torch twin of the book's ``like`` (``SGD
    Momentum Nesterov AdaGrad RMSprop Adam``) for ``steps`` steps of random gradients; compare every parameter
    after every step. Hyperparameters are read by the book's names (``lr momentum decay_rate beta1 beta2``)."""
    like = _known(like, OPTIMIZER_LIKES, "optimizers")
    steps = positive_int(steps, "steps")
    report = Report(f"{type(optimizer).__name__} as {like}", like)
    gen = as_generator(rng)

    def run(dtype: Any, sub: Report) -> None:
        run_optimizer_check(optimizer, like, steps, gen, dtype if dtype is not None else np.dtype(np.float64), sub)

    _per_dtype(report, _dtypes(dtypes), run)
    return _finish(report, raise_on_failure)
