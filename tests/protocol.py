"""The project's parity tests run the same protocol as ``npnet.testing``'s public checks.

``check_forward_backward`` is :func:`oracle.layer_check.forward_backward` (the code behind ``check_layer``) on an
npnet layer and a given twin: forward both, compare; backward both with one random upstream gradient drawn from
the test's seeded generator, compare every input gradient and every parameter gradient the layer keeps (``dW``,
``db``, ...). npnet's own layers are held to ``strict=True``: writing into an input or into ``dout`` fails. A
failure raises ``npnet.testing.ParityError`` (an ``AssertionError``) with the quantity, the worst index, the bound
and, where it has one, the slip's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from npnet.testing import ParityError, Report
from oracle.layer_check import Case, forward_backward
from tests.compare import assert_close


def as_tuple(x: Any) -> tuple[Any, ...]:
    return x if isinstance(x, tuple) else (x,)


def upstream_gradient(like: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A standard-normal array of ``like``'s shape and dtype: no ones, no symmetry for a bug to hide behind."""
    like = np.asarray(like)
    return rng.standard_normal(like.shape).astype(like.dtype)


def check_forward_backward(
    np_layer: Any,
    twin: Any,
    inputs: Sequence[Any],
    rng: np.random.Generator,
    name: str,
    param_grads: Sequence[str] = (),
    dtype: Any = None,
    forward_kwargs: dict[str, Any] | None = None,
) -> Report:
    """Forward ``inputs`` through both layers, backward the same random ``dout``, compare everything (strict)."""
    report = Report(name, type(np_layer).__name__, strict=True)
    forward_backward(Case(report, "", dtype), np_layer, lambda: twin, inputs, rng, param_grads, forward_kwargs)
    if not report.passed:
        raise ParityError(report)
    return report


def check_gradients(
    grads: dict[str, np.ndarray], expected: dict[str, np.ndarray], name: str, kind: str = "grad", dtype: Any = None
) -> None:
    """Compare two gradient (or parameter) dicts key by key; the keys must match."""
    assert set(grads) == set(expected), f"{name}: keys {sorted(grads)} != {sorted(expected)}"
    for key in expected:
        assert_close(grads[key], expected[key], f"{name} {key}", kind, dtype)
