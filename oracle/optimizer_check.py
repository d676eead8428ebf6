"""``check_optimizer``: a user's ``update(params, grads)`` beside the torch twin of the book's optimizer.

The twin is :class:`oracle.optim.TwinOptimizer` built from the record of ``like`` (:data:`oracle.optim.RECORDS`),
with hyperparameters read from the user's object by the npnet constructor's names (the book's ``lr``,
``momentum``, ``decay_rate``, ``beta1``, ``beta2``; ``eps`` defaults to the book's hard-coded 1e-7; ``variant``
and ``eps_placement`` when present). Both run ``steps`` steps of the same standard-normal gradients on copies of
the same parameters; every parameter is compared after every step (the report keeps, per parameter, the first
failing step or else the tightest one), then the state the user keeps under the book's names (``v``, ``h``,
``m``, ``iter``). Where the book's two repositories differ (Nesterov's order) both are accepted and the report
names the one that matched. Slips are recognised by replaying them (:data:`SLIPS`) on the same gradients.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from npnet import optim as np_optim
from npnet.compare import Comparison, compare
from oracle import diagnoses as dx
from oracle.optim import RECORDS, TwinOptimizer
from oracle.report import Report

#: The book's optimizer names ``check_optimizer`` knows (one per record).
OPTIMIZER_LIKES = tuple(cls.__name__ for cls in RECORDS)
#: Parameters the check optimizes: a small affine layer.
SHAPES = {"W1": (4, 3), "b1": (3,)}

Params = dict[str, np.ndarray]
Trajectory = list[Params]

ADAM_EPS = (
    "Adam's eps placement: yours divides by sqrt(v_hat) + eps (PyTorch's); the book divides by sqrt(v) + eps and "
    "folds both corrections into lr_t (set eps_placement = 'pytorch' on the optimizer if you mean PyTorch's)"
)
ADAM_BIAS = "Adam without bias correction: lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t), with t counted from 1"
MOMENTUM_DAMPENED = "the Momentum velocity convention: v = momentum * v - lr * g (no (1 - momentum) factor on g)"
MOMENTUM_STALE = "the Momentum velocity convention: update v first, then step p += v with the new v"
NESTEROV_AS_MOMENTUM = "Nesterov computed as plain Momentum: the look-ahead term momentum**2 * v is missing"
EPS_IN_SQRT = "eps inside the square root: the book divides by sqrt(h) + eps, not sqrt(h + eps)"
ASCENT = "sign-flipped update: parameters move along +g (gradient ascent); use p -= lr * ..."
VELOCITY_UNITS = (
    "the velocity convention: your v is PyTorch's momentum_buffer (v = momentum * v + g, p -= lr * v); the book "
    "keeps v = momentum * v - lr * g and steps p += v (same parameters, state in other units)"
)


def _hyperparams(optimizer: Any, cls: type[np_optim.Optimizer], report: Report) -> dict[str, Any]:
    """The npnet constructor's arguments read from ``optimizer``'s attributes (defaults where absent)."""
    out = {}
    for name, param in inspect.signature(cls).parameters.items():
        if hasattr(optimizer, name):
            out[name] = getattr(optimizer, name)
        elif name == "eps":
            report.conventions.append(f"eps {param.default:g} (the book's, hard-coded in its update)")
    return out


def _run(update: Callable[[Params, Params], None], params0: Params, grads_seq: list[Params]) -> Trajectory:
    params = {k: p.copy() for k, p in params0.items()}
    out = []
    for grads in grads_seq:
        update(params, {k: g.copy() for k, g in grads.items()})
        out.append({k: p.copy() for k, p in params.items()})
    return out


def _twin(spec: np_optim.Optimizer, params0: Params, grads_seq: list[Params], sign: float = 1.0) -> Any:
    twin = TwinOptimizer.from_npnet(spec)
    negated = [{k: sign * g for k, g in grads.items()} for grads in grads_seq]
    return _run(twin.update, params0, negated), twin


def _numpy_slip(step: Callable[[dict[str, Any], np.ndarray, np.ndarray, int], None]) -> Callable[..., Trajectory]:
    """A slip replayed in NumPy: ``step(state, p, g, t)`` updates ``p`` in place (``state`` per key)."""

    def replay(params0: Params, grads_seq: list[Params]) -> Trajectory:
        states: dict[str, dict[str, Any]] = {k: {} for k in params0}
        t = [0]

        def update(params: Params, grads: Params) -> None:
            t[0] += 1
            for k in params:
                step(states[k], params[k], grads[k], t[0])

        return _run(update, params0, grads_seq)

    return replay


def _slips(like: str, hp: dict[str, Any]) -> list[tuple[str, Callable[[Params, list[Params]], Trajectory]]]:
    """Named slips of ``like`` with its hyperparameters, each replayable on a gradient sequence."""
    lr, mu = hp.get("lr", 0.01), hp.get("momentum", 0.9)
    eps = hp.get("eps", np_optim.EPS)
    b1, b2, rho = hp.get("beta1", 0.9), hp.get("beta2", 0.999), hp.get("decay_rate", 0.99)

    def dampened(s: dict[str, Any], p: np.ndarray, g: np.ndarray, t: int) -> None:
        s["v"] = mu * s.get("v", 0.0) - (1 - mu) * lr * g
        p += s["v"]

    def stale(s: dict[str, Any], p: np.ndarray, g: np.ndarray, t: int) -> None:
        p += s.get("v", 0.0)
        s["v"] = mu * s.get("v", 0.0) - lr * g

    def no_bias(s: dict[str, Any], p: np.ndarray, g: np.ndarray, t: int) -> None:
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        p -= lr * s["m"] / (np.sqrt(s["v"]) + eps)

    def eps_in_sqrt(s: dict[str, Any], p: np.ndarray, g: np.ndarray, t: int) -> None:
        s["h"] = (rho * s["h"] + (1 - rho) * g * g) if like == "RMSprop" and "h" in s else s.get("h", 0.0) + g * g
        if like == "RMSprop" and t == 1:
            s["h"] = (1 - rho) * g * g
        p -= lr * g / np.sqrt(s["h"] + eps)

    table: dict[str, list[tuple[str, Callable[..., Trajectory]]]] = {
        "Momentum": [(MOMENTUM_DAMPENED, _numpy_slip(dampened)), (MOMENTUM_STALE, _numpy_slip(stale))],
        "Adam": [(ADAM_BIAS, _numpy_slip(no_bias))],
        "AdaGrad": [(EPS_IN_SQRT, _numpy_slip(eps_in_sqrt))],
        "RMSprop": [(EPS_IN_SQRT, _numpy_slip(eps_in_sqrt))],
    }
    return table.get(like, [])


def _spec_slips(like: str, spec: Any, hp: dict[str, Any]) -> list[tuple[str, np_optim.Optimizer]]:
    """Slips that are another npnet optimizer's formula."""
    if like == "Adam" and spec.eps_placement == "book":
        return [(ADAM_EPS, np_optim.Adam(**{**hp, "eps_placement": "pytorch"}))]
    if like == "Nesterov":
        return [(NESTEROV_AS_MOMENTUM, np_optim.Momentum(spec.lr, spec.momentum))]
    return []


def _compare_trajectories(got: Trajectory, expected: Trajectory, dtype: Any) -> dict[str, tuple[int, Comparison]]:
    """Per key: the first failing step's comparison, else the tightest step's (``(step index, comparison)``)."""
    out: dict[str, tuple[int, Comparison]] = {}
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        for key in e:
            c = compare(g.get(key), e[key], f"{key} after step {i + 1}", "value", dtype)
            best = out.get(key)
            if best is None or (best[1].passed and (not c.passed or c.margin < best[1].margin)):
                out[key] = (i, c)
    return out


def _all_pass(got: Trajectory, expected: Trajectory, dtype: Any) -> bool:
    return all(c.passed for _, c in _compare_trajectories(got, expected, dtype).values())


def _copy_state(optimizer: Any, spec: np_optim.Optimizer) -> None:
    """Start the reference from the user's current state (book names), if it has any."""
    for name in spec.state_names:
        value = getattr(optimizer, name, None)
        if isinstance(value, dict) and value:
            setattr(spec, name, {k: np.array(v, copy=True) for k, v in value.items()})
    if isinstance(getattr(optimizer, "iter", None), int) and hasattr(spec, "iter"):
        spec.iter = optimizer.iter


def run_optimizer_check(optimizer: Any, like: str, steps: int, gen: np.random.Generator, dtype: Any, r: Report) -> None:
    """Run the user's optimizer and its twin on the same gradients; add every comparison to ``r``."""
    cls = next(c for c in RECORDS if c.__name__ == like)
    hp = _hyperparams(optimizer, cls, r)
    variants = [hp.get("variant")] if "variant" in hp or like != "Nesterov" else list(np_optim.NESTEROV_VARIANTS)
    params0 = {k: gen.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}
    grads_seq = [{k: gen.standard_normal(s).astype(dtype) for k, s in SHAPES.items()} for _ in range(steps)]
    r.drawn.append(f"params {', '.join(f'{k} {s}' for k, s in SHAPES.items())} {np.dtype(dtype).name}, {steps} steps")
    user = copy.deepcopy(optimizer)
    got = _run(user.update, params0, grads_seq)
    runs = []
    for variant in variants:
        spec = cls(**({**hp, "variant": variant} if variant else hp))
        _copy_state(optimizer, spec)
        runs.append((spec, *_twin(spec, params0, grads_seq)))
    spec, expected, twin = next((run for run in runs if _all_pass(got, run[1], dtype)), runs[0])
    if like == "Nesterov":
        order = {"params_first": "the Japanese repository's order", "velocity_first": "the Korean repository's order"}
        r.conventions.append(f"Nesterov variant {spec.variant} ({order[spec.variant]})")
    if like == "Adam":
        r.conventions.append(f"Adam eps placement: {spec.eps_placement}")
    reference = type(twin.torch_optimizer)
    module = "torch.optim" if reference.__module__.startswith("torch.optim") else reference.__module__
    r.conventions.append(f"reference: {module}.{reference.__name__}")
    alternatives: list[tuple[str, Callable[..., Trajectory]]] = [
        (hint, (lambda s=s: _twin(s, params0, grads_seq)[0])) for hint, s in _spec_slips(like, spec, hp)
    ]
    alternatives += [(hint, (lambda f=f: f(params0, grads_seq))) for hint, f in _slips(like, hp)]
    alternatives.append((ASCENT, lambda: _twin(spec, params0, grads_seq, -1.0)[0]))  # a sign-flipped gradient
    cache: dict[int, Trajectory] = {}

    def alt(j: int, step: int, key: str) -> np.ndarray:
        if j not in cache:
            cache[j] = alternatives[j][1]()
        return cache[j][step][key]

    for key, (step, c) in _compare_trajectories(got, expected, dtype).items():
        ev = dx.Evidence(
            alternatives=[(h, lambda j=j, s=step, k=key: alt(j, s, k)) for j, (h, _) in enumerate(alternatives)]
        )
        r.add(c, None if c.passed else dx.diagnose(got[step].get(key), expected[step][key], c, ev))
    _compare_state(user, spec, twin.state(), steps, dtype, r)


def _compare_state(user: Any, spec: Any, state: dict[str, Any], steps: int, dtype: Any, r: Report) -> None:
    """Compare the state the user keeps under the book's names with the twin's, after the last step."""
    for name in spec.state_names:
        mine = getattr(user, name, None)
        if not isinstance(mine, dict):
            continue
        for key, expected in state.get(name, {}).items():
            alternatives = []
            if name == "v" and hasattr(spec, "momentum") and spec.lr != 0:
                alternatives.append((VELOCITY_UNITS, lambda e=expected: -e / spec.lr))
            c = compare(mine.get(key), expected, f"{name}[{key}] after step {steps}", "value", dtype)
            r.add(
                c, None if c.passed else dx.diagnose(mine.get(key), expected, c, dx.Evidence(alternatives=alternatives))
            )
    if "iter" in state and isinstance(getattr(user, "iter", None), (int, np.integer)):
        c = compare(np.asarray(user.iter), np.asarray(state["iter"]), f"iter after step {steps}", "value")
        r.add(c, None if c.passed else "iter must count updates: iter += 1 once per update, before lr_t")


__all__ = ["OPTIMIZER_LIKES", "math", "run_optimizer_check"]
