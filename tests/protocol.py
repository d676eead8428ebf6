"""The one parity protocol: forward both, compare; backward both with the same random upstream gradient, compare.

``check_layer_parity`` drives every layer test: it copies the inputs so that it can prove the npnet layer did
not modify them, draws one upstream gradient from the test's seeded generator, feeds the very same array to both
backward passes, and compares every input gradient and every parameter gradient the layer keeps (``dW``,
``db``, ...), each under its own name, so a failure reads e.g. ``Affine backward dW: ... worst at index (3, 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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
) -> None:
    """Forward ``inputs`` through both layers, backward the same random ``dout``, compare everything.

    Also asserts that the npnet layer left its inputs and the upstream gradient unmodified.
    """
    forward_kwargs = forward_kwargs or {}
    originals = [np.array(x, copy=True) for x in inputs]
    out = np_layer.forward(*inputs, **forward_kwargs)
    twin_out = twin.forward(*inputs, **forward_kwargs)
    assert_close(out, twin_out, f"{name} forward", "value", dtype)
    dout = upstream_gradient(out, rng)
    dout_copy = dout.copy()
    grads = as_tuple(np_layer.backward(dout))
    twin_grads = as_tuple(twin.backward(dout))
    assert len(grads) == len(twin_grads) == len(inputs), f"{name}: backward returned {len(grads)} gradients"
    for i, (g, tg) in enumerate(zip(grads, twin_grads, strict=True)):
        assert_close(g, tg, f"{name} backward d(input {i})", "grad", dtype)
    for attr in param_grads:
        assert_close(getattr(np_layer, attr), getattr(twin, attr), f"{name} backward {attr}", "grad", dtype)
    for i, (x, original) in enumerate(zip(inputs, originals, strict=True)):
        np.testing.assert_array_equal(x, original, err_msg=f"{name} modified its input {i}")
    np.testing.assert_array_equal(dout, dout_copy, err_msg=f"{name}.backward modified dout")


def check_gradients(
    grads: dict[str, np.ndarray], expected: dict[str, np.ndarray], name: str, kind: str = "grad", dtype: Any = None
) -> None:
    """Compare two gradient (or parameter) dicts key by key; the keys must match."""
    assert set(grads) == set(expected), f"{name}: keys {sorted(grads)} != {sorted(expected)}"
    for key in expected:
        assert_close(grads[key], expected[key], f"{name} {key}", kind, dtype)
