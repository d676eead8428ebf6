"""Twins of ``npnet.optim``: the same ``update(params, grads)``, computed by ``torch.optim`` optimizers.

Which torch optimizer, with which settings, reproduces each of the book's formulas (``mu = momentum``):

=============================  =========================================================================
npnet                          PyTorch
=============================  =========================================================================
``SGD(lr)``                    ``torch.optim.SGD(lr=lr)``
``Momentum(lr, mu)``           ``torch.optim.SGD(lr=lr, momentum=mu)``; book ``v = -lr * momentum_buffer``
``Nesterov(params_first)``     ``torch.optim.SGD(lr=lr, momentum=mu, nesterov=True)``; ``v = -lr * buf``
``Nesterov(velocity_first)``   no torch optimizer does this: :class:`VelocityFirstNesterov`, the book's
                               formula in torch ops
``AdaGrad(lr, eps)``           ``torch.optim.Adagrad(lr=lr, eps=eps, initial_accumulator_value=0,
                               lr_decay=0)``; ``h = sum``
``RMSprop(lr, decay, eps)``    ``torch.optim.RMSprop(lr=lr, alpha=decay, eps=eps)``; ``h = square_avg``
``Adam(eps_placement=book)``   :class:`BookAdam`: ``torch.optim.Adam`` whose ``eps`` is set to
                               ``eps / sqrt(1 - beta2**t)`` before step ``t``
``Adam(eps_placement=pytorch)``  ``torch.optim.Adam(lr, betas=(beta1, beta2), eps=eps)``
=============================  =========================================================================

Why the momentum forms agree: torch keeps ``buf = mu * buf + g`` and steps ``p -= lr * buf`` (Nesterov:
``p -= lr * (g + mu * buf)``); the book keeps ``v = mu * v - lr * g`` and steps ``p += v`` (Nesterov:
``p += mu**2 * v_old - (1 + mu) * lr * g``). With a constant ``lr``, ``v = -lr * buf`` at every step, and
substituting gives the same parameter step. Why Adam needs a per-step ``eps``: torch divides by
``sqrt(v) / sqrt(c2) + eps`` and the book by ``(sqrt(v) + eps) / sqrt(c2)`` (``c2 = 1 - beta2**t``), which are
equal when torch's ``eps`` is ``eps_book / sqrt(c2)``; ``torch.optim.Adam`` reads ``param_group["eps"]`` at every
``step()``, so setting it before each step makes the torch optimizer compute the book's update.

Each optimizer is one :class:`OptimizerRecord` in :data:`RECORDS` (the torch factory, where the book's state lives
in torch and in which units); the twin classes ``oracle.optim.SGD`` ... ``Adam``, the state conversions and
``npnet.testing.check_optimizer`` all read the records, so adding an optimizer is its npnet class, its record and
one test row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from npnet import optim as np_optim
from oracle.convert import default_device, to_numpy, to_torch


class BookAdam(torch.optim.Adam):
    """``torch.optim.Adam`` computing the book's Adam: ``p -= lr * sqrt(c2) / c1 * m / (sqrt(v) + eps)``.

    Before step ``t`` (``c2 = 1 - beta2**t``) every param group's ``eps`` is set to ``book_eps / sqrt(c2)``, so
    torch's ``lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)`` is the book's update. ``t`` is read from torch's own
    per-parameter ``step`` count, so a state loaded mid-run continues correctly. All parameters of a group must
    step together (each has a gradient at every step), as the book's single ``iter`` assumes.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = np_optim.EPS,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps)
        for group in self.param_groups:
            group["book_eps"] = group["eps"]

    def next_iter(self, group: dict[str, Any]) -> int:
        """The book's ``iter`` of the coming step for ``group``: the steps its parameters took, plus one."""
        for p in group["params"]:
            step = self.state[p].get("step") if p in self.state else None
            if step is not None:
                return int(step) + 1
        return 1

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        for group in self.param_groups:
            t = self.next_iter(group)
            group["eps"] = group["book_eps"] / math.sqrt(1.0 - group["betas"][1] ** t)
        return super().step(closure)


class VelocityFirstNesterov(torch.optim.Optimizer):
    """The Korean repository's Nesterov order in torch ops (no ``torch.optim`` optimizer computes it).

    Per parameter, with state ``v`` (the book's velocity, zero at first): ``v = mu * v - lr * g``, then
    ``p += mu**2 * v - (1 + mu) * lr * g`` with the *new* ``v``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, mu = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "v" not in state:
                    state["v"] = torch.zeros_like(p)
                v, g = state["v"], p.grad
                v.mul_(mu)
                v.sub_(lr * g)
                p.add_(mu * mu * v)
                p.sub_((1 + mu) * lr * g)
        return loss


def _keeps_book_velocity(spec: np_optim.Optimizer) -> bool:
    """Whether the twin of a momentum optimizer is :class:`VelocityFirstNesterov` (state ``v`` in book units).

    That is the Korean Nesterov order, and also ``momentum == 0``, where ``torch.optim.SGD`` keeps no buffer
    (and refuses ``nesterov=True``) while the book still keeps ``v = -lr * g``; with ``mu = 0`` every momentum
    form is ``p -= lr * g``.
    """
    return getattr(spec, "variant", None) == "velocity_first" or getattr(spec, "momentum", None) == 0.0


def _momentum_sgd(nesterov: bool) -> Callable[[Any, Iterable[Any]], torch.optim.Optimizer]:
    def make(spec: Any, parameters: Iterable[Any]) -> torch.optim.Optimizer:
        if _keeps_book_velocity(spec):
            return VelocityFirstNesterov(parameters, lr=spec.lr, momentum=spec.momentum)
        return torch.optim.SGD(parameters, lr=spec.lr, momentum=spec.momentum, dampening=0.0, nesterov=nesterov)

    return make


def _velocity_state(spec: Any) -> dict[str, tuple[str, float]]:
    """Where torch keeps the book's ``v``: ``v`` itself, or ``momentum_buffer`` with ``v = -lr * buf``."""
    return {"v": ("v", 1.0)} if _keeps_book_velocity(spec) else {"v": ("momentum_buffer", -spec.lr)}


def _make_adam(spec: Any, parameters: Iterable[Any]) -> torch.optim.Optimizer:
    cls = BookAdam if spec.eps_placement == "book" else torch.optim.Adam
    return cls(parameters, lr=spec.lr, betas=(spec.beta1, spec.beta2), eps=spec.eps)


@dataclass(frozen=True)
class OptimizerRecord:
    """How one npnet optimizer is computed by torch: the factory and the state's names and units.

    ``make(spec, parameters)`` builds the torch optimizer computing ``spec``'s formula. ``state(spec)`` maps each
    of the book's state names to ``(torch state key, scale)`` with ``book value = scale * torch value``.
    ``step_count`` is the book's name for torch's per-parameter ``step`` (Adam's ``iter``); ``step_on_load`` says
    torch wants a ``step`` entry beside state put in by hand (RMSprop). Adding an optimizer: its npnet class, one
    record in :data:`RECORDS`, one test row.
    """

    npnet_class: type[np_optim.Optimizer]
    make: Callable[[Any, Iterable[Any]], torch.optim.Optimizer]
    state: Callable[[Any], dict[str, tuple[str, float]]] = lambda spec: {}
    step_count: str | None = None
    step_on_load: bool = False


#: One record per optimizer, by npnet class.
RECORDS: dict[type[np_optim.Optimizer], OptimizerRecord] = {
    r.npnet_class: r
    for r in (
        OptimizerRecord(np_optim.SGD, lambda spec, ps: torch.optim.SGD(ps, lr=spec.lr)),
        OptimizerRecord(np_optim.Momentum, _momentum_sgd(nesterov=False), _velocity_state),
        OptimizerRecord(np_optim.Nesterov, _momentum_sgd(nesterov=True), _velocity_state),
        OptimizerRecord(
            np_optim.AdaGrad,
            lambda spec, ps: torch.optim.Adagrad(
                ps, lr=spec.lr, lr_decay=0.0, initial_accumulator_value=0.0, eps=spec.eps
            ),
            lambda spec: {"h": ("sum", 1.0)},  # torch creates sum at construction, the book h at the first update
        ),
        OptimizerRecord(
            np_optim.RMSprop,
            lambda spec, ps: torch.optim.RMSprop(
                ps, lr=spec.lr, alpha=spec.decay_rate, eps=spec.eps, momentum=0.0, centered=False
            ),
            lambda spec: {"h": ("square_avg", 1.0)},
            step_on_load=True,
        ),
        OptimizerRecord(
            np_optim.Adam, _make_adam, lambda spec: {"m": ("exp_avg", 1.0), "v": ("exp_avg_sq", 1.0)}, "iter"
        ),
    )
}


def record_of(spec: Any) -> OptimizerRecord:
    """The record of ``spec``'s class; a clear error for anything else."""
    record = RECORDS.get(type(spec))
    if record is None:
        raise TypeError(
            f"no torch twin for {type(spec).__name__}; expected one of {', '.join(c.__name__ for c in RECORDS)}"
        )
    return record


def make_torch_optimizer(spec: np_optim.Optimizer, parameters: Iterable[Any]) -> torch.optim.Optimizer:
    """The torch optimizer computing ``spec``'s formula (``spec``'s hyperparameters; its state is not read).

    ``parameters`` is what ``torch.optim`` takes (e.g. ``model.parameters()``), so a twin network can be trained
    by the very formula an npnet optimizer uses.
    """
    return record_of(spec).make(spec, parameters)


def book_state(
    spec: np_optim.Optimizer, opt: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor]
) -> dict[str, Any]:
    """The torch optimizer's state in the book's names and units, like ``spec.state()`` (NumPy copies).

    ``tensors`` names the optimized tensors (``{"W1": ..., "b1": ...}``); the record says where each of the
    book's state arrays lives in torch and in which units.
    """
    record = record_of(spec)
    out: dict[str, Any] = {}
    for book_name, (torch_name, scale) in record.state(spec).items():
        per_key = {}
        for key, t in tensors.items():
            value = opt.state[t].get(torch_name) if t in opt.state else None
            if value is not None:
                per_key[key] = to_numpy(value * scale if scale != 1.0 else value)
        out[book_name] = per_key
    if record.step_count is not None:
        steps = [int(opt.state[t]["step"]) for t in tensors.values() if "step" in opt.state[t]]
        out[record.step_count] = steps[0] if steps else 0
    return out


def load_book_state(
    spec: np_optim.Optimizer, opt: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor], state: Mapping[str, Any]
) -> None:
    """Put a book-named state (``spec.state()``) into the torch optimizer, converting units as :func:`book_state`."""
    record = record_of(spec)
    steps = int(state.get(record.step_count, 0)) if record.step_count else 0
    if steps or (record.step_on_load and any(state.get(name) for name in record.state(spec))):
        for t in tensors.values():
            opt.state[t]["step"] = torch.tensor(float(steps), dtype=torch.float32)
    for book_name, (torch_name, scale) in record.state(spec).items():
        values = state.get(book_name) or {}
        if values and scale == 0:
            raise ValueError(f"cannot express {type(spec).__name__}'s {book_name} in torch's units: scale 0 (lr = 0?)")
        for key, value in values.items():
            t = tensors[key]
            opt.state[t][torch_name] = to_torch(np.asarray(value) / scale if scale != 1.0 else value, t.dtype, t.device)


class TwinOptimizer:
    """Twin of an npnet optimizer: ``update(params, grads)`` runs the matching ``torch.optim`` optimizer.

    At the first ``update`` it makes one torch leaf tensor per key of ``params`` (same dtype, on ``device``) and
    the torch optimizer over them. Each ``update`` copies ``params`` into those tensors, sets their ``.grad``
    from ``grads``, calls ``step()``, and writes the results back into the arrays of ``params`` in place, so it can
    stand in for the npnet optimizer anywhere. The torch optimizer keeps the state; ``state()`` (and the
    attributes ``v``, ``h``, ``m``, ``iter``) report it in the book's names and units.

    Subclasses (``SGD``, ``Momentum``, ...) take the npnet class's arguments plus ``device``.
    """

    npnet_class: type[np_optim.Optimizer] = np_optim.Optimizer

    def __init__(self, *args: Any, device: str | torch.device | None = None, **kwargs: Any) -> None:
        self.spec = self.npnet_class(*args, **kwargs)
        self.device = default_device(device)
        self.tensors: dict[str, torch.Tensor] = {}
        self.torch_optimizer: torch.optim.Optimizer | None = None
        self._initial_state: dict[str, Any] | None = None

    @classmethod
    def from_npnet(cls, opt: np_optim.Optimizer, device: str | torch.device | None = None) -> TwinOptimizer:
        """The twin of ``opt``: its hyperparameters and a copy of its current state (``opt`` is not touched)."""
        twin_cls = TWINS.get(type(opt))
        if twin_cls is None:
            raise TypeError(f"no twin for {type(opt).__name__}; expected an npnet.optim optimizer")
        twin = twin_cls(**opt.hyperparams, device=device)
        twin._initial_state = opt.state()
        return twin

    def _start(self, params: Mapping[str, np.ndarray]) -> None:
        self.tensors = {key: to_torch(p, device=self.device, requires_grad=True) for key, p in params.items()}
        self.torch_optimizer = make_torch_optimizer(self.spec, list(self.tensors.values()))
        if self._initial_state is not None:
            load_book_state(self.spec, self.torch_optimizer, self.tensors, self._initial_state)

    def update(self, params: dict[str, np.ndarray], grads: Mapping[str, Any]) -> None:
        """One torch optimizer step on ``params`` (updated in place) with ``grads``; same checks as npnet's."""
        np_optim.check_update_args(params, grads)
        if self.torch_optimizer is None:
            self._start(params)
        elif set(params) != set(self.tensors):
            raise ValueError(f"params keys {sorted(params)} differ from the first update's {sorted(self.tensors)}")
        assert self.torch_optimizer is not None
        with torch.no_grad():
            for key, t in self.tensors.items():
                t.copy_(to_torch(params[key], t.dtype, t.device))
                t.grad = to_torch(grads[key], t.dtype, t.device)
        self.torch_optimizer.step()
        for key, t in self.tensors.items():
            params[key][...] = to_numpy(t)

    def state(self) -> dict[str, Any]:
        """The torch optimizer's state as the npnet optimizer's ``state()`` would give it."""
        if self.torch_optimizer is None:
            return self._initial_state if self._initial_state is not None else self.spec.state()
        return book_state(self.spec, self.torch_optimizer, self.tensors)

    def __getattr__(self, name: str) -> Any:
        spec = self.__dict__.get("spec")
        if spec is not None and (name in spec.state_names or name == record_of(spec).step_count):
            value = self.state()[name]
            return value if value or name == "iter" else None
        if spec is not None and name in spec.hyperparams:
            return spec.hyperparams[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"oracle.optim.{self.spec!r}"


def _twin_class(npnet_class: type[np_optim.Optimizer]) -> type[TwinOptimizer]:
    """``oracle.optim.<Name>``: the twin class of ``npnet.optim.<Name>``, made from its record."""
    doc = f"Twin of ``npnet.optim.{npnet_class.__name__}``: same arguments plus ``device``; see :class:`TwinOptimizer`."
    attrs = {"npnet_class": npnet_class, "__doc__": doc, "__module__": __name__}
    return type(npnet_class.__name__, (TwinOptimizer,), attrs)


#: npnet optimizer class -> its twin class (``oracle.optim.SGD``, ``oracle.optim.Adam``, ...), one per record.
TWINS: dict[type[np_optim.Optimizer], type[TwinOptimizer]] = {cls: _twin_class(cls) for cls in RECORDS}
globals().update({twin.__name__: twin for twin in TWINS.values()})

#: The book's names, lower-cased, to the twin classes (as ``npnet.optim.OPTIMIZERS``).
OPTIMIZERS: dict[str, type[TwinOptimizer]] = {name: TWINS[cls] for name, cls in np_optim.OPTIMIZERS.items()}


def make_optimizer(name: str, device: str | torch.device | None = None, **params: Any) -> TwinOptimizer:
    """Twin of ``npnet.optim.make_optimizer``: the twin of the optimizer called ``name`` (any case)."""
    return TwinOptimizer.from_npnet(np_optim.make_optimizer(name, **params), device=device)


def run_updates(
    spec: np_optim.Optimizer,
    params0: Mapping[str, np.ndarray],
    grads_seq: Iterable[Mapping[str, Any]],
    device: str | torch.device | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Twin of ``npnet.optim.run_updates``: the torch optimizer matching ``spec`` (hyperparameters and current
    state, ``spec`` itself untouched) applied once per dict of ``grads_seq`` to a copy of ``params0``.

    Returns ``(params, state)`` with ``state`` in the book's names and units, comparable key for key with
    ``npnet.optim.run_updates(spec, params0, grads_seq)``.
    """
    twin = TwinOptimizer.from_npnet(spec, device=device)
    params = {key: np.array(p, copy=True) for key, p in params0.items()}
    for grads in grads_seq:
        twin.update(params, grads)
    return params, twin.state()
