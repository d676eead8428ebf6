"""The book's public names that ``npnet check`` and ``npnet parity`` look for, how each is built small, and how each
is checked with ``npnet.testing``.

A :class:`Target` is one name of the book's ``common/`` (``Affine``, ``Adam``, ``softmax``, ...), the file it lives
in there, and the check that fits it. :func:`build` makes a small instance of a class in the book's constructor
interface (nets of widths 6-5-4, an Affine of 5x3, ...); :func:`run_check` runs the check and turns its report or
its ``ParityError`` into a :class:`Row` of plain values (it crosses a process boundary and ends up in JSON).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: The files of the book's ``common/`` that are imported and searched, in the book's order.
BOOK_FILES = (
    "functions.py",
    "gradient.py",
    "layers.py",
    "optimizer.py",
    "multi_layer_net.py",
    "multi_layer_net_extend.py",
    "trainer.py",
    "two_layer_net.py",
)


@dataclass(frozen=True)
class Target:
    """One of the book's names: where the book keeps it, and which ``npnet.testing`` check (``kind``, ``like``)."""

    name: str
    home: str
    kind: str
    like: str


def _targets(kind: str, home: str, names: str, like: dict[str, str] | None = None) -> list[Target]:
    like = like or {}
    return [Target(n, home, kind, like.get(n, n)) for n in names.split()]


TARGETS: tuple[Target, ...] = (
    *_targets(
        "function",
        "functions.py",
        "sigmoid relu softmax sum_squared_error mean_squared_error cross_entropy_error",
        {"mean_squared_error": "sum_squared_error"},  # the repository's name for the text's 0.5 * sum((y - t)**2)
    ),
    *_targets("function", "gradient.py", "numerical_gradient"),
    *_targets("layer", "layers.py", "MulLayer AddLayer Relu Sigmoid Affine SoftmaxWithLoss Dropout BatchNormalization"),
    *_targets("optimizer", "optimizer.py", "SGD Momentum Nesterov AdaGrad RMSprop Adam"),
    *_targets("net", "two_layer_net.py", "TwoLayerNet"),
    *_targets("net", "multi_layer_net.py", "MultiLayerNet"),
    *_targets("net", "multi_layer_net_extend.py", "MultiLayerNetExtend"),
    *_targets("trainer", "trainer.py", "Trainer"),
)

TARGETS_BY_NAME = {t.name: t for t in TARGETS}

#: Verdicts, from best to worst.
MATCH, CONVENTION, SKIPPED, NOT_FOUND, MISMATCH, RAISED = (
    "match",
    "match under convention",
    "not checked",
    "not found",
    "MISMATCH",
    "raised",
)
FAILING = (MISMATCH, RAISED)


@dataclass
class Row:
    """One line of the table: a component, its verdict, the worst difference against its bound, and notes."""

    component: str
    verdict: str
    kind: str = ""
    where: str = ""
    dtype: str = ""
    counterpart: str = ""
    convention: str = ""
    quantity: str = ""
    max_abs: float | None = None
    max_rel: float | None = None
    bound: str = ""
    margin: float | None = None
    note: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Small shapes: nets of input 6, hidden 5 (and 4), 4 or 3 classes, batch 4.
NET_INPUT, NET_BATCH = 6, 4


def build(target: Target, cls: Any, rng: np.random.Generator, dtype: Any = np.float64) -> Any:
    """A small instance of the user's class ``cls`` for ``target``, through the book's constructor arguments.

    The book's nets draw their weights from NumPy's global generator, which is seeded here from ``rng``.
    """
    np.random.seed(int(rng.integers(2**31)))  # noqa: NPY002 - the book's classes draw from the global generator
    if target.kind == "layer":
        if target.name == "Affine":
            return cls(rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal(3).astype(dtype))
        if target.name == "BatchNormalization":
            gamma = (1.0 + 0.1 * rng.standard_normal(5)).astype(dtype)
            return cls(gamma, rng.standard_normal(5).astype(dtype))
        if target.name == "Dropout":
            return cls(0.3)
        return cls()
    if target.name == "TwoLayerNet":
        return cls(NET_INPUT, 5, 4)
    if target.name == "MultiLayerNet":
        return cls(NET_INPUT, [5, 4], 3)
    if target.name == "MultiLayerNetExtend":
        return cls(NET_INPUT, [5, 4], 3, weight_decay_lambda=0.1, use_batchnorm=True)
    return cls()


def net_data(rng: np.random.Generator, classes: int, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """A batch for a small net: standard-normal inputs and index labels."""
    return rng.standard_normal((NET_BATCH, NET_INPUT)).astype(dtype), rng.integers(0, classes, NET_BATCH)


def output_classes(net: Any) -> int:
    """The number of classes of a net in the book's layout: the width of its last weight matrix."""
    last = [k for k in net.params if k.startswith("W")][-1]
    return int(np.shape(net.params[last])[-1])


def run_check(target: Target, obj: Any, seed: int = 0, **options: Any) -> Row:
    """Check ``obj`` (the user's function, or an instance built by :func:`build`) as ``target``; never raises.

    The verdict is MISMATCH when the report fails (its note the first failed quantity's diagnosis), raised when
    the user's code raised, match under convention when the report names a convention, match otherwise.
    """
    import npnet.testing

    started = time.perf_counter()
    row = Row(target.name, MATCH, kind=target.kind)
    try:
        report = _call_check(npnet.testing, target, obj, seed, raise_on_failure=False, **options)
    except Exception as error:  # the user's code may raise anything; it is a verdict, not a crash
        row.verdict, row.note = RAISED, " ".join(f"{type(error).__name__}: {error}".split())
    else:
        fill_from_report(row, report)
    row.seconds = time.perf_counter() - started
    return row


def _call_check(testing: Any, target: Target, obj: Any, seed: int, **options: Any) -> Any:
    if target.kind == "function":
        return testing.check_function(obj, target.like, rng=seed, **options)
    if target.kind == "layer":
        return testing.check_layer(obj, target.like, rng=seed, **options)
    if target.kind == "optimizer":
        return testing.check_optimizer(obj, target.like, rng=seed, **options)
    if target.kind == "net":
        x, t = net_data(np.random.default_rng(seed), output_classes(obj), np.asarray(obj.params["W1"]).dtype)
        return testing.check_net(obj, x, t, like=target.like, rng=seed, **options)
    raise ValueError(f"no check for {target.kind} {target.name}")


def fill_from_report(row: Row, report: Any) -> None:
    """Verdict, tightest quantity, bound, margin, conventions and warnings of a ``npnet.testing`` report.

    The numbers are those of the quantity with the smallest margin (the one closest to failing, or failing
    worst), so that its differences, bound and margin read together; ``quantity`` names it.
    """
    comparisons = list(report.comparisons)
    tightest = min(comparisons, key=lambda c: c.margin, default=None)
    if tightest is not None:
        row.quantity = tightest.quantity
        row.max_abs = tightest.max_abs if math.isfinite(tightest.max_abs) else None
        row.max_rel = tightest.max_rel if math.isfinite(tightest.max_rel) else None
        row.bound = f"rtol {tightest.rtol:g}, atol {tightest.atol:g}"
        row.margin = float(tightest.margin)
    row.dtype = ", ".join(dict.fromkeys(c.dtype for c in comparisons))
    row.convention = "; ".join(report.conventions)
    row.warnings = list(report.warnings)
    if report.passed:
        row.verdict = CONVENTION if row.convention else MATCH
        row.note = "; ".join(f"skipped: {s}" for s in report.skipped)
        return
    row.verdict = MISMATCH
    failures = report.failures
    if failures:
        first = failures[0]
        row.note = f"{first.quantity}: {report.diagnoses.get(first.quantity, first.message)}"
        if len(failures) > 1:
            row.note += f" (+{len(failures) - 1} more quantities)"
    else:
        row.note = "warnings fail under strict=True"
