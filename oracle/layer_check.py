"""``check_layer``: a user's book-style layer against the oracle twin built from the layer's own parameters.

Protocol per case: forward both with the same inputs, compare; backward both with the same random upstream
gradient (standard normal, no ones for a bug to hide behind), compare every input gradient and every parameter
gradient (``dW``, ``db``, ``dgamma``, ``dbeta``) and, for batch norm, the running statistics (training, then test
mode); note any input or ``dout`` the user's layer wrote into. Each failure is passed to
:func:`oracle.diagnoses.diagnose` with what the case knows (batch size, zeros planted in the input, named
alternative references).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from npnet.compare import compare
from oracle import diagnoses as dx
from oracle import layers as ol
from oracle.report import Report

#: The book's layer names ``check_layer`` knows, with the parameter attributes each keeps.
LAYER_PARAMS: dict[str, tuple[str, ...]] = {
    "MulLayer": (),
    "AddLayer": (),
    "Relu": (),
    "Sigmoid": (),
    "Affine": ("W", "b"),
    "SoftmaxWithLoss": (),
    "Dropout": (),
    "BatchNormalization": ("gamma", "beta"),
}

#: The book's batch-norm epsilon (``10e-7`` in its code), used when a layer has no ``eps`` attribute.
BOOK_BN_EPS = 1e-6
#: The book's cross-entropy delta, used when a SoftmaxWithLoss has no ``delta`` attribute.
BOOK_DELTA = 1e-7


def _tuple(x: Any) -> tuple[Any, ...]:
    return x if isinstance(x, tuple) else (x,)


class Case:
    """One forward/backward of the user's layer beside a twin; ``label`` tags every quantity (``"forward [4-D]"``)."""

    def __init__(self, report: Report, label: str, dtype: Any, evidence: dx.Evidence | None = None) -> None:
        self.report, self.label, self.dtype = report, label, dtype
        self.evidence = evidence or dx.Evidence()

    def name(self, quantity: str) -> str:
        return f"{quantity} [{self.label}]" if self.label else quantity

    def check(self, quantity: str, actual: Any, expected: Any, kind: str, evidence: dx.Evidence | None = None) -> bool:
        c = compare(actual, expected, self.name(quantity), kind, self.dtype)
        hint = None if c.passed else dx.diagnose(actual, expected, c, evidence or self.evidence)
        self.report.add(c, hint)
        return c.passed

    def note_writes(self, what: str, before: Any, after: Any) -> None:
        if not np.array_equal(np.asarray(before), np.asarray(after), equal_nan=True):
            message = f"{self.name(what)} was written into (harmless in the book's sequential nets, wrong where an "
            message += "array is shared)"
            if message not in self.report.warnings:
                self.report.warnings.append(message)


def forward_backward(
    case: Case,
    layer: Any,
    make_twin: Callable[[], Any],
    inputs: Sequence[Any],
    gen: np.random.Generator,
    param_grads: Sequence[str] = (),
    forward_kwargs: dict[str, Any] | None = None,
    dout: Any = None,
) -> Any:
    """Run the protocol on one case; returns the twin (for state compared afterwards)."""
    kw = forward_kwargs or {}
    originals = [np.array(x, copy=True) for x in inputs]
    twin = make_twin()
    out = layer.forward(*inputs, **kw)
    expected = twin.forward(*originals, **kw)
    case.check("forward", out, expected, "value")
    if dout is None:
        dout = gen.standard_normal(np.shape(expected)).astype(np.asarray(expected).dtype)
    dout_copy = np.array(dout, copy=True)
    grads = _tuple(layer.backward(dout))
    twin_dout = float(dout_copy) if dout_copy.ndim == 0 else dout_copy.copy()
    twin_grads = _tuple(twin.backward(twin_dout))
    # kept now: a diagnosis below may run backward again, and make_twin may hand back this very twin
    twin_params = [_snapshot(getattr(twin, attr)) for attr in param_grads]
    ignoring = _lazy_ignoring_dout(make_twin, originals, kw, param_grads)
    for i, (g, tg) in enumerate(zip(grads, twin_grads, strict=False)):
        alternatives = [(dx.IGNORES_DOUT, lambda i=i: ignoring()[i])]
        case.check(f"d(input {i})", g, tg, "grad", _with(case.evidence, alternatives))
    if len(grads) != len(twin_grads):
        case.report.warnings.append(f"backward returned {len(grads)} gradients, the reference {len(twin_grads)}")
    for k, attr in enumerate(param_grads, start=len(twin_grads)):
        alternatives = [(dx.IGNORES_DOUT, lambda k=k: ignoring()[k])]
        case.check(
            attr,
            getattr(layer, attr, None),
            twin_params[k - len(twin_grads)],
            "grad",
            _with(case.evidence, alternatives),
        )
    for i, (x, original) in enumerate(zip(inputs, originals, strict=True)):
        case.note_writes(f"input {i}", original, x)
    case.note_writes("dout", dout_copy, dout)
    return twin


def _snapshot(value: Any) -> Any:
    """A copy of an array (``None`` and scalars as they are)."""
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _with(evidence: dx.Evidence, alternatives: Sequence[tuple[str, Callable[..., Any]]]) -> dx.Evidence:
    return dx.Evidence(
        evidence.batch_size, evidence.zero_positions, evidence.large_logits, [*evidence.alternatives, *alternatives]
    )


def _lazy_ignoring_dout(
    make_twin: Callable[[], Any], inputs: Sequence[Any], kw: dict[str, Any], param_grads: Sequence[str]
) -> Callable[[], list[Any]]:
    """What a backward that ignores ``dout`` (uses ones) returns: input gradients, then parameter gradients."""
    cache: list[Any] = []

    def run() -> list[Any]:
        if not cache:
            twin = make_twin()
            out = twin.forward(*inputs, **kw)
            cache.extend(_tuple(twin.backward(1.0 if np.ndim(out) == 0 else np.ones_like(out))))
            cache.extend(getattr(twin, attr) for attr in param_grads)
        return cache

    return run


def _draw(gen: np.random.Generator, shape: tuple[int, ...], dtype: Any, scale: float = 1.0) -> np.ndarray:
    return (scale * gen.standard_normal(shape)).astype(dtype)


def _naive(layer: Any, like: str, inputs: Any, gen: np.random.Generator, dtype: Any, report: Report) -> None:
    xs = list(inputs) if inputs is not None else [_draw(gen, (3, 4), dtype) for _ in range(2)]
    report.drawn.append(f"x, y {np.shape(xs[0])} {np.asarray(xs[0]).dtype}")
    twin_cls = ol.MulLayer if like == "MulLayer" else ol.AddLayer
    forward_backward(Case(report, "", dtype), layer, twin_cls, xs, gen)


def _activation(layer: Any, like: str, inputs: Any, gen: np.random.Generator, dtype: Any, report: Report) -> None:
    if inputs is not None:
        x = np.asarray(inputs[0])
    else:
        x = _draw(gen, (4, 5), dtype, 3.0)
        x.reshape(-1)[::4] = 0  # exact zeros: where the ReLU mask convention shows
    report.drawn.append(f"x {x.shape} {x.dtype}" + (" with exact zeros" if like == "Relu" else ""))
    ev = dx.Evidence(batch_size=None, zero_positions=(x == 0) if like == "Relu" else None)
    if like == "Relu":
        report.conventions.append("ReLU's gradient at exactly 0 is 0 (the book's mask x <= 0, as torch.relu)")
    forward_backward(Case(report, "", dtype, ev), layer, getattr(ol, like), [x], gen)


def _affine(layer: Any, like: str, inputs: Any, gen: np.random.Generator, dtype: Any, report: Report) -> None:
    W, b = np.asarray(layer.W), np.asarray(layer.b)
    d = W.shape[0]
    if inputs is not None:
        cases = [("", np.asarray(inputs[0]))]
    else:
        a = next((k for k in range(2, d) if d % k == 0), 1)
        cases = [("2-D x", _draw(gen, (5, d), W.dtype)), ("4-D x", _draw(gen, (3, a, d // a, 1), W.dtype))]
    for label, x in cases:
        report.drawn.append(f"x {x.shape} {x.dtype}, W {W.shape}, b {b.shape}")
        case = Case(report, label, dtype, dx.Evidence(batch_size=x.shape[0]))
        forward_backward(case, layer, lambda: ol.Affine(W.copy(), b.copy()), [x], gen, param_grads=("dW", "db"))


def _softmax_with_loss(layer: Any, like: str, inputs: Any, gen: np.random.Generator, dtype: Any, r: Report) -> None:
    delta = float(getattr(layer, "delta", BOOK_DELTA))
    r.conventions.append(
        f"loss -mean(log(softmax(x)[t] + {delta:g})) (the book's delta); backward called with dout=1, as the book's "
        "nets call it (the book's backward ignores dout)"
    )
    if inputs is not None:
        cases = [("", np.asarray(inputs[0]), np.asarray(inputs[1]), 1.0)]
    else:
        n, c = 4, 5
        x = _draw(gen, (n, c), dtype)
        idx = gen.integers(0, c, size=n)
        one_hot = np.eye(c, dtype=dtype)[idx]
        big = _draw(gen, (n, c), dtype, 1000.0)
        cases = [("index labels", x, idx, 1.0), ("one-hot labels", x, one_hot, 1.0), ("large logits", big, idx, 1e3)]
    for label, x, t, scale in cases:
        r.drawn.append(f"x {x.shape} {x.dtype} (scale {scale:g}), t {t.shape} {t.dtype}")
        ev = dx.Evidence(batch_size=x.shape[0], large_logits=scale > 100)
        case = Case(r, label, dtype, ev)
        forward_backward(case, layer, lambda: ol.SoftmaxWithLoss(delta), [x, t], gen, dout=1.0)


def _drop_source(p: float, mask: Any, inverted: bool) -> Any:
    keep = None if mask is None else np.asarray(mask) != 0
    return SimpleNamespace(
        dropout_ratio=p, mask=keep, inverted=inverted, keep_scale=1.0 / (1.0 - p) if inverted else 1.0
    )


def _dropout(layer: Any, like: str, inputs: Any, gen: np.random.Generator, dtype: Any, report: Report) -> None:
    p = float(layer.dropout_ratio)
    x = np.asarray(inputs[0]) if inputs is not None else _draw(gen, (6, 5), dtype)
    report.drawn.append(f"x {x.shape} {x.dtype}, dropout_ratio {p:g}")
    test_out = np.asarray(layer.forward(x.copy(), train_flg=False))
    inverted = bool(getattr(layer, "inverted", False)) or (
        not np.allclose(test_out, x * (1.0 - p)) and np.allclose(test_out, x)
    )
    name = "inverted dropout (training x * mask / (1 - p), test x)" if inverted else "the book's dropout (training "
    report.conventions.append(name + ("" if inverted else "x * mask, test x * (1 - p))"))
    report.conventions.append("compared with the mask the layer itself drew")
    test_case = Case(report, "test mode", dtype, dx.Evidence(alternatives=[]))
    test_case.check(
        "forward",
        test_out,
        x if inverted else x * np.asarray(1.0 - p, x.dtype),
        "value",
        dx.Evidence(alternatives=[(dx.DROPOUT_SCALE, lambda: test_out)]),
    )
    state = np.random.get_state()  # noqa: NPY002 - the book's Dropout draws from np.random's global state
    np.random.seed(int(gen.integers(2**31)))  # noqa: NPY002 - seeded from the check's generator, restored below
    try:
        out = layer.forward(x.copy(), train_flg=True)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    mask = getattr(layer, "mask", None)
    other = ol.Dropout(_drop_source(p, mask, not inverted))
    other_out = other.forward(x)
    alternatives = [(dx.DROPOUT_SCALE, lambda: other_out)]
    case = Case(report, "training", dtype, dx.Evidence(alternatives=alternatives))
    src = _drop_source(p, mask, inverted)
    twin = ol.Dropout(src)
    case.check("forward", out, twin.forward(x), "value")
    dout = _draw(gen, x.shape, x.dtype)
    case.check("d(input 0)", layer.backward(dout.copy()), twin.backward(dout), "grad")


def _batch_norm(layer: Any, like: str, inputs: Any, gen: np.random.Generator, dtype: Any, report: Report) -> None:
    gamma, beta = np.asarray(layer.gamma), np.asarray(layer.beta)
    momentum = float(getattr(layer, "momentum", 0.9))
    eps = float(getattr(layer, "eps", BOOK_BN_EPS))
    convention = str(getattr(layer, "running_var_convention", "book"))
    d = gamma.shape[0]
    rm0 = np.zeros(d, gamma.dtype) if getattr(layer, "running_mean", None) is None else np.array(layer.running_mean)
    rv0 = np.zeros(d, gamma.dtype) if getattr(layer, "running_var", None) is None else np.array(layer.running_var)
    report.conventions.append(
        f"eps {eps:g}; momentum {momentum:g} weighs the old running value (torch momentum {1 - momentum:g}); "
        f"running variance {'unbiased (PyTorch)' if convention == 'pytorch' else 'biased (the book)'}"
    )
    x = np.asarray(inputs[0]) if inputs is not None else _draw(gen, (6, d), gamma.dtype)
    report.drawn.append(f"x {x.shape} {x.dtype}, gamma {gamma.shape}")

    def make(conv: str = convention) -> Any:
        return ol.BatchNormalization(gamma.copy(), beta.copy(), momentum, rm0.copy(), rv0.copy(), eps, conv)

    train = Case(report, "training", dtype, dx.Evidence(batch_size=x.shape[0]))
    twin = forward_backward(train, layer, make, [x], gen, ("dgamma", "dbeta"), {"train_flg": True})
    unbiased = make("pytorch" if convention == "book" else "book")
    unbiased.forward(x, train_flg=True)
    train.check("running_mean", layer.running_mean, twin.running_mean.detach().cpu().numpy(), "value")
    alt = [(dx.BN_UNBIASED, lambda: unbiased.running_var.detach().cpu().numpy())] if convention == "book" else []
    train.check(
        "running_var",
        layer.running_var,
        twin.running_var.detach().cpu().numpy(),
        "value",
        dx.Evidence(alternatives=alt),
    )
    x_test = _draw(gen, x.shape, x.dtype)
    test = Case(report, "test mode", dtype)
    test.check("forward", layer.forward(x_test, train_flg=False), twin.forward(x_test, train_flg=False), "value")


RUNNERS: dict[str, Callable[[Any, str, Any, np.random.Generator, Any, Report], None]] = {
    "MulLayer": _naive,
    "AddLayer": _naive,
    "Relu": _activation,
    "Sigmoid": _activation,
    "Affine": _affine,
    "SoftmaxWithLoss": _softmax_with_loss,
    "Dropout": _dropout,
    "BatchNormalization": _batch_norm,
}


def cast_layer(layer: Any, like: str, dtype: Any) -> Any:
    """A deep copy of ``layer`` whose parameter arrays (and running statistics) are cast to ``dtype``."""
    twin = copy.deepcopy(layer)
    for attr in (*LAYER_PARAMS[like], "running_mean", "running_var"):
        value = getattr(twin, attr, None)
        if isinstance(value, np.ndarray):
            setattr(twin, attr, value.astype(dtype))
    if like == "BatchNormalization" and getattr(twin, "running_mean", None) is None and np.dtype(dtype) != np.float64:
        # the book creates them at the first forward with np.zeros, float64 whatever the data: in a float32 run
        # they start as float32 zeros, so that the running statistics stay in the run's dtype
        d = np.shape(twin.gamma)[0]
        twin.running_mean, twin.running_var = np.zeros(d, dtype), np.zeros(d, dtype)
    return twin


def run_layer_check(layer: Any, like: str, inputs: Any, gen: np.random.Generator, dtype: Any, report: Report) -> None:
    """Run the cases of ``like`` on ``layer`` (already copied and cast), adding to ``report``."""
    RUNNERS[like](layer, like, inputs, gen, dtype, report)
