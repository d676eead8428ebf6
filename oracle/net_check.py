"""``check_net``: a user's book-style network against the twin built from its ``params``.

The architecture is ``like`` or recognised as the book lays its classes out: ``TwoLayerNet`` has ``W1 b1 W2 b2``
(chapter 5's with layers ``Affine1``, ``Relu1``, ``Affine2`` and ``lastLayer``; chapter 4's with no layers, a
sigmoid and ``predict`` returning softmax probabilities); ``MultiLayerNet`` has ``Affine{i}`` and
``Activation_function{i}``; ``MultiLayerNetExtend`` adds ``BatchNorm{i}`` (``gamma{i}``, ``beta{i}``) and
``Dropout{i}``. An npnet network of that shape receives copies of the user's parameters (and running statistics,
batch-norm ``momentum``/``eps``, dropout ratio, weight-decay lambda) and :func:`oracle.nets.twin_of` makes its twin.
Compared: ``predict`` (test mode), ``loss``, every key of ``gradient`` (training mode, with the dropout masks the
user's layers drew), the running statistics after it, and the net's own ``numerical_gradient`` on 3 samples when
the net is small enough (otherwise skipped, with the reason).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from npnet import nets as np_nets
from npnet.compare import compare
from oracle import diagnoses as dx
from oracle.convert import to_numpy
from oracle.functions import softmax
from oracle.nets import MultiLayerNetExtend, TwinNet, twin_of
from oracle.report import Report

NETS = ("TwoLayerNet", "MultiLayerNet", "MultiLayerNetExtend")
#: The most parameters whose numerical gradient the check runs (4 losses per parameter, yours and the twin's: seconds).
NUMERICAL_LIMIT = 500
BOOK_BN_EPS = 1e-6
#: The book's finite-difference step.
BOOK_H = 1e-4


def _layers(net: Any) -> dict[str, Any]:
    return dict(getattr(net, "layers", None) or {})


def recognise(net: Any) -> str:
    """The book's class ``net`` is laid out as, from its params keys and layer names."""
    keys, layers = set(getattr(net, "params", {})), _layers(net)
    if any(k.startswith("gamma") for k in keys) or any(n.startswith(("BatchNorm", "Dropout")) for n in layers):
        return "MultiLayerNetExtend"
    if any(n.startswith("Activation_function") for n in layers):
        return "MultiLayerNet"
    if keys == {"W1", "b1", "W2", "b2"}:
        return "TwoLayerNet"
    raise ValueError(
        f"cannot recognise {type(net).__name__} as one of {', '.join(NETS)} from params {sorted(keys)} and layers "
        f"{list(layers)}; pass like="
    )


def _activation(layers: dict[str, Any]) -> str:
    for name, layer in layers.items():
        if not name.startswith(("Affine", "BatchNorm", "Dropout")):
            kind = type(layer).__name__.lower()
            return "sigmoid" if "sigmoid" in kind else "relu"
    return "sigmoid"  # chapter 4's TwoLayerNet has no layers and uses the sigmoid


def _build(net: Any, like: str, r: Report) -> Any:
    """An npnet network of ``like``'s shape holding copies of ``net``'s parameters and settings."""
    p, layers = net.params, _layers(net)
    n_affine = len([k for k in p if re.fullmatch(r"W\d+", k)])
    sizes = [p["W1"].shape[0]] + [p[f"W{i}"].shape[1] for i in range(1, n_affine + 1)]
    activation, dtype = _activation(layers), p["W1"].dtype
    if like == "TwoLayerNet":
        out: Any = np_nets.TwoLayerNet(sizes[0], sizes[1], sizes[2], activation=activation, dtype=dtype)
    else:
        drop = next((layer for n, layer in layers.items() if n.startswith("Dropout")), None)
        out = np_nets.MultiLayerNetExtend(
            sizes[0],
            sizes[1:-1],
            sizes[-1],
            activation,
            0.01,
            getattr(net, "weight_decay_lambda", 0),
            use_dropout=drop is not None,
            dropout_ration=getattr(drop, "dropout_ratio", 0.5),
            use_batchnorm="gamma1" in p,
            dtype=dtype,
            dropout_inverted=bool(getattr(drop, "inverted", False)),
        )
    for key, value in out.params.items():
        value[...] = p[key]
    for name, layer in out.layers.items():
        if name.startswith("BatchNorm"):
            mine = layers[name]
            layer.momentum = float(getattr(mine, "momentum", 0.9))
            layer.eps = float(getattr(mine, "eps", BOOK_BN_EPS))
            for stat in ("running_mean", "running_var"):
                if getattr(mine, stat, None) is not None:
                    setattr(layer, stat, np.array(getattr(mine, stat), dtype=dtype))
    r.drawn.append(f"layer sizes {sizes}, {activation}, {np.dtype(dtype).name}")
    return out


def _check(
    r: Report, quantity: str, actual: Any, expected: Any, kind: str, ev: dx.Evidence | None = None, dtype: Any = None
) -> None:
    """Compare under the table's row for ``dtype`` (default: ``expected``'s; a scalar loss needs the net's dtype)."""
    c = compare(actual, expected, quantity, kind, dtype)
    r.add(c, None if c.passed else dx.diagnose(actual, expected, c, ev))


def _masks(net: Any) -> list[np.ndarray]:
    return [np.asarray(layer.mask) != 0 for n, layer in _layers(net).items() if n.startswith("Dropout")]


def _user_gradient(net: Any, x: np.ndarray, t: np.ndarray, gen: np.random.Generator) -> dict[str, np.ndarray]:
    """``net.gradient(x, t)`` with np.random's global state seeded from ``gen`` (the book's Dropout draws from it)."""
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(int(gen.integers(2**31)))  # noqa: NPY002 - the book's layers use the legacy global state
    try:
        return dict(net.gradient(x, t))
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _param_views(twin: TwinNet) -> dict[str, torch.Tensor]:
    """The twin's parameter tensors in the book's layout and names (``W{i}`` is a transposed view of the weight)."""
    out: dict[str, torch.Tensor] = {}
    for i, linear in enumerate(twin.linear_layers(), start=1):
        out[f"W{i}"], out[f"b{i}"] = linear.weight.data.T, linear.bias.data
    for i, (gamma, beta) in enumerate(zip(getattr(twin, "gammas", []), getattr(twin, "betas", []), strict=True), 1):
        out[f"gamma{i}"], out[f"beta{i}"] = gamma.data, beta.data
    return out


def central_difference(twin: TwinNet, x: np.ndarray, t: np.ndarray, h: float = BOOK_H) -> dict[str, np.ndarray]:
    """``(L(p + h) - L(p - h)) / 2h`` per parameter element of the twin's training-mode book loss ``L``, in torch.

    The reference for a net's ``numerical_gradient``: the same estimate, so the truncation error (batch norm's
    curvature) and a ReLU kink crossed by the step are the same on both sides, and only the loop is compared.
    """
    out = {}
    for key, tensor in _param_views(twin).items():
        grad = np.zeros(tuple(tensor.shape), dtype=np.float64)
        for idx in np.ndindex(grad.shape):
            old = float(tensor[idx])
            tensor[idx] = old + h
            plus = twin.loss(x, t, train_flg=True)
            tensor[idx] = old - h
            minus = twin.loss(x, t, train_flg=True)
            tensor[idx] = old
            grad[idx] = (plus - minus) / (2 * h)
        out[key] = grad.astype(to_numpy(tensor).dtype)
    return out


def _numerical(net: Any, twin: TwinNet, x: np.ndarray, t: np.ndarray, dropout: bool, r: Report) -> None:
    n_params = sum(int(np.size(v)) for v in net.params.values())
    if not hasattr(net, "numerical_gradient"):
        return
    if dropout:
        r.skipped.append("numerical_gradient: dropout draws a new mask at every loss, so it estimates nothing")
        return
    if n_params > NUMERICAL_LIMIT:
        r.skipped.append(
            f"numerical_gradient: {n_params} parameters, over {NUMERICAL_LIMIT}: the loop would take minutes"
        )
        return
    xs, ts = x[:3], t[:3]
    r.conventions.append(
        f"numerical_gradient on {len(xs)} samples against the twin's central difference at the book's h = {BOOK_H:g}"
    )
    expected = central_difference(twin, xs, ts)
    got = net.numerical_gradient(xs, ts)
    for key in expected:
        _check(r, f"numerical_gradient {key}", got.get(key), expected[key], "numerical")


def run_net_check(
    net: Any, x: np.ndarray, t: np.ndarray, like: str | None, gen: np.random.Generator, r: Report
) -> None:
    """Compare ``net`` with its twin on ``(x, t)``; add every comparison to ``r``."""
    if like is not None and like not in NETS:
        raise ValueError(f"like must name one of the book's nets: {', '.join(NETS)}; got {like!r}")
    like = like or recognise(net)
    r.like, r.component = like, f"{type(net).__name__} as {like}"
    np_net = _build(net, like, r)
    twin = twin_of(np_net)
    chapter4 = like == "TwoLayerNet" and not _layers(net)
    expected_predict = twin.predict(x)
    if chapter4:
        expected_predict = softmax(expected_predict)
        r.conventions.append("chapter 4's TwoLayerNet: sigmoid hidden layer, predict returns softmax probabilities")
    r.conventions.append("loss with the book's delta 1e-7 inside the log; gradient of the training-mode loss")
    r.drawn.append(f"x {x.shape} {x.dtype}, t {t.shape} {t.dtype}")
    _check(r, "predict", net.predict(x), expected_predict, "value")
    # a Python float loss: its bound is the net's dtype's, not float64's
    _check(r, "loss", np.asarray(net.loss(x, t)), np.asarray(twin.loss(x, t)), "value", dtype=np_net.params["W1"].dtype)
    grads = _user_gradient(net, x, t, gen)
    dropout = any(n.startswith("Dropout") for n in _layers(net))
    if dropout and isinstance(twin, MultiLayerNetExtend):
        twin.use_masks(_masks(net))
        r.conventions.append("dropout compared with the masks the net's own layers drew")
    expected = twin.gradient(x, t)
    ev = dx.Evidence(batch_size=x.shape[0])
    for key in expected:
        _check(r, f"gradient {key}", grads.get(key), expected[key], "grad", ev)
    for extra in sorted(set(grads) - set(expected)):
        r.warnings.append(f"gradient returned {extra!r}, which is not a parameter of {like}")
    if isinstance(twin, MultiLayerNetExtend):
        for key, value in twin.running_stats().items():
            name, i = re.fullmatch(r"(running_(?:mean|var))(\d+)", key).groups()  # type: ignore[union-attr]
            _check(r, f"{key} after gradient", getattr(_layers(net)[f"BatchNorm{i}"], name), value, "value")
    _numerical(net, twin, x, t, dropout, r)
