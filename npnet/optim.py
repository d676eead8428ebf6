"""The optimizers of chapter 6: ``SGD Momentum Nesterov AdaGrad RMSprop Adam``, each with ``update(params, grads)``.

``params`` and ``grads`` are dicts of arrays with the same keys and shapes (``W1``, ``b1``, ...). ``update``
changes every array of ``params`` *in place* (``p -= ...``), never rebinding a key, because the layers hold the
very same arrays by reference. A scalar entry (the book's ``{'x': -7.0, 'y': 2.0}`` in
``optimizer_compare_naive.py``) cannot change in place: it is updated as a 0-d float64 array and the key rebound to
the new Python float, as the book's ``params[key] -= ...`` does. A gradient holding NaN or inf is refused (see
``Optimizer.check_finite``). State (``v``, ``h``, ``m``, ``iter``) is created at the first ``update``, one
array per key, shaped like the parameter; it is ``None`` (``iter`` 0) before, as in the book.

The formulas are the book's (``common/optimizer.py``), ``g = dL/dp``, ``eps = 1e-7``:

- SGD:      ``p -= lr * g``
- Momentum: ``v = momentum * v - lr * g;  p += v``
- Nesterov: ``p += momentum**2 * v - (1 + momentum) * lr * g`` and ``v = momentum * v - lr * g``, in one of two
  orders (``variant``, see :class:`Nesterov`)
- AdaGrad:  ``h += g * g;  p -= lr * g / (sqrt(h) + eps)``
- RMSprop:  ``h = decay_rate * h + (1 - decay_rate) * g * g;  p -= lr * g / (sqrt(h) + eps)``
- Adam:     ``iter += 1;  lr_t = lr * sqrt(1 - beta2**iter) / (1 - beta1**iter);  m += (1 - beta1) * (g - m);
  v += (1 - beta2) * (g**2 - v);  p -= lr_t * m / (sqrt(v) + eps)`` (or PyTorch's placement of ``eps``, see
  :class:`Adam`)

Hyperparameters are kept as Python floats, so that a float32 parameter is updated in float32 arithmetic (a NumPy
float64 scalar would promote the update to float64 under NumPy 2's promotion rules).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import numpy as np

from npnet._validate import real_number
from npnet.params import SUPPORTED_DTYPES

#: The book's constant that keeps ``sqrt(h) + eps`` away from zero (AdaGrad, RMSprop, Adam).
EPS = 1e-7

#: ``Nesterov`` update orders: ``params_first`` (the Japanese repository's corrected order, equal to
#: ``torch.optim.SGD(nesterov=True)``) and ``velocity_first`` (the Korean repository's order).
NESTEROV_VARIANTS = ("params_first", "velocity_first")

#: ``Adam`` placements of ``eps``: ``book`` (``sqrt(v) + eps``) and ``pytorch`` (``sqrt(v) / sqrt(1-beta2**t) + eps``).
ADAM_EPS_PLACEMENTS = ("book", "pytorch")


def _real(value: Any, name: str, low: float = 0.0, high: float = math.inf, high_open: bool = False) -> float:
    """``value`` as a Python float in ``[low, high]`` (``[low, high)`` with ``high_open``), else a clear error."""
    return real_number(value, name, low, high, high_open=high_open)


def _eps(value: Any) -> float:
    """An ``eps`` that keeps ``sqrt(h) + eps`` away from zero: a finite number > 0 (0 gives 0/0 on a zero gradient)."""
    return real_number(value, "eps", low_open=True)


def _choice(value: Any, name: str, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return str(value)


def check_update_args(params: Any, grads: Any, check_finite: bool = True) -> None:
    """Raise unless ``params`` and ``grads`` are dicts with the same keys and every ``grads[k]`` fits ``params[k]``.

    Every ``params[k]`` must be a float64 or float32 ``numpy.ndarray`` (updated in place) or a real scalar (the
    book's ``{'x': -7.0, 'y': 2.0}``, updated by rebinding the entry); ``grads[k]`` must be a real array or scalar
    of the same shape and, with ``check_finite``, hold no NaN or inf.
    """
    if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
        raise TypeError(
            f"params and grads must be dicts of arrays, got {type(params).__name__} and {type(grads).__name__}"
        )
    if set(params) != set(grads):
        missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
        raise ValueError(f"grads must have the keys of params; missing {missing}, unexpected {extra}")
    for key, p in params.items():
        _check_param(key, p)
        g = np.asarray(grads[key])
        if g.shape != np.shape(p):
            raise ValueError(f"grads[{key!r}]: expected shape {np.shape(p)} (that of params[{key!r}]), got {g.shape}")
        if not (np.issubdtype(g.dtype, np.floating) or np.issubdtype(g.dtype, np.integer)):
            raise TypeError(f"grads[{key!r}] must be a real array, got dtype {g.dtype}")
        if check_finite and not math.isfinite(g.sum()) and not np.all(np.isfinite(g)):
            raise ValueError(
                f"grads[{key!r}] holds nan or inf; refusing to write it into params[{key!r}] "
                "(set optimizer.check_finite = False to let it through)"
            )


def _check_param(key: str, p: Any) -> None:
    if isinstance(p, np.ndarray):
        if p.dtype not in SUPPORTED_DTYPES:
            raise TypeError(
                f"params[{key!r}] must be a floating-point numpy.ndarray (float64 or float32, updated in place) "
                f"or a real number, got {p.dtype} array"
            )
    elif isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"params[{key!r}] must be a floating-point numpy.ndarray (updated in place) or a real number, "
            f"got {type(p).__name__}"
        )


def _state_like(
    state: dict[str, np.ndarray] | None, params: Mapping[str, np.ndarray], name: str
) -> dict[str, np.ndarray]:
    """``state`` with a zero array (shape and dtype of the parameter) for every key of ``params`` it lacks."""
    state = {} if state is None else state
    for key, p in params.items():
        if key not in state:
            state[key] = np.zeros_like(p)
        elif state[key].shape != p.shape:
            raise ValueError(f"{name}[{key!r}] has shape {state[key].shape} but params[{key!r}] has {p.shape}")
    return state


class Optimizer:
    """What every optimizer shares: checked ``update``, ``hyperparams``, ``state()``.

    Subclasses set ``state_names`` (the attributes holding per-key state dicts) and implement ``_update``.
    """

    state_names: tuple[str, ...] = ()

    #: Refuse a gradient holding NaN or inf (``ValueError``) before it reaches the parameters and the state.
    #: Set it to ``False`` on an optimizer whose divergence is a result rather than an error (the search does).
    check_finite: bool = True

    def update(self, params: MutableMapping[str, Any], grads: Mapping[str, Any]) -> None:
        """Update ``params`` from ``grads`` (same keys, same shapes): arrays in place, scalars by rebinding the key."""
        check_update_args(params, grads, self.check_finite)
        arrays = {key: np.asarray(g) for key, g in grads.items()}
        scalars = {key: np.array(float(p)) for key, p in params.items() if not isinstance(p, np.ndarray)}
        if not scalars:
            self._update(params, arrays)
            return
        self._update({**params, **scalars}, arrays)
        for key, value in scalars.items():
            params[key] = float(value)

    def _update(self, params: MutableMapping[str, Any], grads: Mapping[str, Any]) -> None:
        raise NotImplementedError

    @property
    def hyperparams(self) -> dict[str, Any]:
        """The constructor's arguments: ``type(opt)(**opt.hyperparams)`` is a fresh optimizer with the same settings."""
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """A copy of the state by the book's attribute names, e.g. ``{"v": {"W1": ..., "b1": ...}}``.

        Each per-key dict is empty before the first ``update``; Adam adds ``"iter"`` (an int).
        """
        return {name: {k: a.copy() for k, a in (getattr(self, name) or {}).items()} for name in self.state_names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparams.items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent: ``p -= lr * g``."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = _real(lr, "lr")

    @property
    def hyperparams(self) -> dict[str, Any]:
        return {"lr": self.lr}

    def _update(self, params: MutableMapping[str, Any], grads: Mapping[str, Any]) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum(Optimizer):
    """Momentum SGD: ``v = momentum * v - lr * g;  p += v`` (``v`` starts at zero).

    ``v`` is a velocity in parameter units (it carries ``lr``); PyTorch's ``momentum_buffer`` carries raw gradients,
    ``buf = momentum * buf + g;  p -= lr * buf``, so ``v = -lr * buf`` while ``lr`` stays constant.
    """

    state_names = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = _real(lr, "lr")
        self.momentum = _real(momentum, "momentum", 0.0, 1.0, high_open=True)
        self.v: dict[str, np.ndarray] | None = None

    @property
    def hyperparams(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum}

    def _update(self, params: MutableMapping[str, Any], grads: Mapping[str, Any]) -> None:
        self.v = _state_like(self.v, params, "v")
        for key in params:
            v = self.v[key]
            v *= self.momentum
            v -= self.lr * grads[key]
            params[key] += v


class Nesterov(Optimizer):
    """Nesterov's accelerated gradient (Sutskever et al. 2013, in Bengio et al.'s form), ``mu = momentum``.

    Both published orders use ``p += mu**2 * v - (1 + mu) * lr * g`` and ``v = mu * v - lr * g``:

    - ``variant="params_first"`` (default): the parameter step uses the *old* ``v``, then ``v`` is updated
      (the Japanese repository's corrected order). With ``buf = -v / lr`` this is exactly
      ``torch.optim.SGD(nesterov=True)``: ``buf = mu * buf + g;  p -= lr * (g + mu * buf)``.
    - ``variant="velocity_first"``: ``v`` is updated first and the parameter step uses the *new* ``v`` (the
      Korean repository's order). Per step it moves ``p`` by ``-lr * (mu**3 * buf_old + (1 + mu + mu**2) * g)``
      instead of ``-lr * (mu**2 * buf_old + (1 + mu) * g)``; on a fixed gradient sequence its parameters end at
      the ``params_first`` ones plus ``mu**2 * v``.
    """

    state_names = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.9, variant: str = "params_first") -> None:
        self.lr = _real(lr, "lr")
        self.momentum = _real(momentum, "momentum", 0.0, 1.0, high_open=True)
        self.variant = _choice(variant, "Nesterov variant", NESTEROV_VARIANTS)
        self.v: dict[str, np.ndarray] | None = None

    @property
    def hyperparams(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "variant": self.variant}

    def _update(self, params: MutableMapping[str, Any], grads: Mapping[str, Any]) -> None:
        self.v = _state_like(self.v, params, "v")
        mu = self.momentum
        for key in params:
            p, v, g = params[key], self.v[key], grads[key]
            if self.variant == "params_first":
                p += mu * mu * v
                p -= (1 + mu) * self.lr * g
            v *= mu
            v -= self.lr * g
            if self.variant == "velocity_first":
                p += mu * mu * v
                p -= (1 + mu) * self.lr * g


class AdaGrad(Optimizer):
    """AdaGrad: ``h += g * g;  p -= lr * g / (sqrt(h) + eps)`` (``h`` starts at zero, ``eps = 1e-7``)."""

    state_names = ("h",)

    def __init__(self, lr: float = 0.01, eps: float = EPS) -> None:
        self.lr = _real(lr, "lr")
        self.eps = _eps(eps)
        self.h: dict[str, np.ndarray] | None = None

    @property
    def hyperparams(self) -> dict[str, Any]:
        return {"lr": self.lr, "eps": self.eps}

    def _update(self, params: MutableMapping[str, Any], grads: Mapping[str, Any]) -> None:
        self.h = _state_like(self.h, params, "h")
        for key in params:
            g, h = grads[key], self.h[key]
            h += g * g
            params[key] -= self.lr * g / (np.sqrt(h) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: ``h *= decay_rate;  h += (1 - decay_rate) * g * g;  p -= lr * g / (sqrt(h) + eps)``."""

    state_names = ("h",)

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = EPS) -> None:
        self.lr = _real(lr, "lr")
        self.decay_rate = _real(decay_rate, "decay_rate", 0.0, 1.0)
        self.eps = _eps(eps)
        self.h: dict[str, np.ndarray] | None = None

    @property
    def hyperparams(self) -> dict[str, Any]:
        return {"lr": self.lr, "decay_rate": self.decay_rate, "eps": self.eps}

    def _update(self, params: MutableMapping[str, Any], grads: Mapping[str, Any]) -> None:
        self.h = _state_like(self.h, params, "h")
        for key in params:
            g, h = grads[key], self.h[key]
            h *= self.decay_rate
            h += (1 - self.decay_rate) * g * g
            params[key] -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba), the book's form; ``iter`` counts updates, ``m`` and ``v`` start at zero.

    ``m += (1 - beta1) * (g - m);  v += (1 - beta2) * (g**2 - v)``, then with ``c1 = 1 - beta1**iter`` and
    ``c2 = 1 - beta2**iter``:

    - ``eps_placement="book"`` (default): ``p -= lr * sqrt(c2) / c1 * m / (sqrt(v) + eps)``
    - ``eps_placement="pytorch"`` (``torch.optim.Adam``): ``p -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)``

    The two agree exactly when PyTorch's ``eps`` is ``eps / sqrt(c2)`` at step ``iter``; with one constant
    ``eps`` they differ wherever ``sqrt(v)`` is not much larger than ``eps`` (tiny gradients, early steps).
    ``eps`` is the book's ``1e-7`` in both placements (PyTorch's own default is ``1e-8``).
    """

    state_names = ("m", "v")

    def __init__(
        self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = EPS, eps_placement: str = "book"
    ) -> None:
        self.lr = _real(lr, "lr")
        self.beta1 = _real(beta1, "beta1", 0.0, 1.0, high_open=True)
        self.beta2 = _real(beta2, "beta2", 0.0, 1.0, high_open=True)
        self.eps = _eps(eps)
        self.eps_placement = _choice(eps_placement, "Adam eps_placement", ADAM_EPS_PLACEMENTS)
        self.iter = 0
        self.m: dict[str, np.ndarray] | None = None
        self.v: dict[str, np.ndarray] | None = None

    @property
    def hyperparams(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "beta1": self.beta1,
            "beta2": self.beta2,
            "eps": self.eps,
            "eps_placement": self.eps_placement,
        }

    def state(self) -> dict[str, Any]:
        return {**super().state(), "iter": self.iter}

    def _update(self, params: MutableMapping[str, Any], grads: Mapping[str, Any]) -> None:
        self.m = _state_like(self.m, params, "m")
        self.v = _state_like(self.v, params, "v")
        self.iter += 1
        c1 = 1.0 - self.beta1**self.iter
        c2 = 1.0 - self.beta2**self.iter
        lr_t = self.lr * math.sqrt(c2) / c1  # math.sqrt: a Python float keeps float32 updates in float32
        for key in params:
            g, m, v = grads[key], self.m[key], self.v[key]
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g**2 - v)
            if self.eps_placement == "book":
                params[key] -= lr_t * m / (np.sqrt(v) + self.eps)
            else:
                params[key] -= (self.lr / c1) * m / (np.sqrt(v) / math.sqrt(c2) + self.eps)


#: The book's optimizer names, lower-cased, to their classes (``make_optimizer`` looks names up case-insensitively).
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def make_optimizer(name: str, **params: Any) -> Optimizer:
    """The optimizer called ``name`` (any case: ``"Adam"``, ``"adam"``), built with ``params`` as keywords.

    >>> make_optimizer("Momentum", lr=0.1)
    Momentum(lr=0.1, momentum=0.9)
    """
    if not isinstance(name, str):
        raise TypeError(f"optimizer name must be a str, got {type(name).__name__}")
    cls = OPTIMIZERS.get(name.lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)} (any case)")
    allowed = tuple(inspect.signature(cls).parameters)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise TypeError(f"{cls.__name__} takes {', '.join(allowed)}; got unexpected {', '.join(unknown)}")
    return cls(**params)


def run_updates(
    optimizer: Optimizer, params0: Mapping[str, np.ndarray], grads_seq: Iterable[Mapping[str, Any]]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Apply ``optimizer.update`` once per dict of ``grads_seq`` to a copy of ``params0``.

    Returns ``(params, optimizer.state())``; ``params0`` is not modified, ``optimizer`` keeps its new state.
    """
    params = {key: np.array(p, copy=True) for key, p in params0.items()}
    for grads in grads_seq:
        optimizer.update(params, grads)
    return params, optimizer.state()
