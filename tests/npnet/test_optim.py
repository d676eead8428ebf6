"""npnet.optim on hand-computed steps, in-place updates, state, and bad input (NumPy only)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import npnet.optim as no
from npnet.layers import Affine
from npnet.optim import OPTIMIZERS, SGD, Adam, make_optimizer
from tests.compare import assert_close

#: One of each optimizer and each convention variant, with small non-default hyperparameters.
SPECS: dict[str, Any] = {
    "sgd": lambda: no.SGD(lr=0.1),
    "momentum": lambda: no.Momentum(lr=0.1, momentum=0.9),
    "nesterov-params-first": lambda: no.Nesterov(lr=0.1, momentum=0.9),
    "nesterov-velocity-first": lambda: no.Nesterov(lr=0.1, momentum=0.9, variant="velocity_first"),
    "adagrad": lambda: no.AdaGrad(lr=0.1),
    "rmsprop": lambda: no.RMSprop(lr=0.01, decay_rate=0.99),
    "adam-book": lambda: no.Adam(lr=0.001),
    "adam-pytorch-eps": lambda: no.Adam(lr=0.001, eps_placement="pytorch"),
}

P0 = np.array([1.0, -2.0])
G = np.array([0.5, -1.0])


def two_steps(opt: no.Optimizer) -> tuple[np.ndarray, np.ndarray]:
    """Parameters after one and after two updates with the same gradient ``G`` from ``P0``."""
    params = {"p": P0.copy()}
    opt.update(params, {"p": G})
    first = params["p"].copy()
    opt.update(params, {"p": G})
    return first, params["p"]


# Each expected value is the book's formula worked by hand for p = [1, -2], g = [0.5, -1], eps = 1e-7.
HAND = {
    # p - 0.1 g, twice
    "sgd": ([0.95, -1.9], [0.9, -1.8]),
    # v1 = -0.1 g = [-0.05, 0.1]; v2 = 0.9 v1 - 0.1 g = [-0.095, 0.19]
    "momentum": ([0.95, -1.9], [0.855, -1.71]),
    # p1 = p0 - 1.9 * 0.1 g; p2 = p1 + 0.81 v1 - 0.19 g = p1 + [-0.1355, 0.271]
    "nesterov-params-first": ([0.905, -1.81], [0.7695, -1.539]),
    # p1 = p0 + 0.81 v1 - 0.19 g = p0 + [-0.1355, 0.271]; p2 = p1 + 0.81 v2 - 0.19 g = p1 + [-0.17195, 0.3439]
    "nesterov-velocity-first": ([0.8645, -1.729], [0.69255, -1.3851]),
    # h1 = g^2, h2 = 2 g^2: p1 = p0 - 0.1 g / (|g| + eps), p2 = p1 - 0.1 g / (sqrt(2) |g| + eps)
    "adagrad": (
        [1 - 0.05 / (0.5 + 1e-7), -2 + 0.1 / (1 + 1e-7)],
        [1 - 0.05 / (0.5 + 1e-7) - 0.05 / (math.sqrt(0.5) + 1e-7), -2 + 0.1 / (1 + 1e-7) + 0.1 / (math.sqrt(2) + 1e-7)],
    ),
    # h1 = 0.01 g^2: p1 = p0 - 0.01 g / (0.1 |g| + eps)
    "rmsprop": ([1 - 0.005 / (0.05 + 1e-7), -2 + 0.01 / (0.1 + 1e-7)], None),
    # m1 = 0.1 g, v1 = 0.001 g^2, lr_t = 0.001 sqrt(0.001) / 0.1: p1 = p0 - 0.001 g / (|g| + eps / sqrt(0.001))
    "adam-book": ([1 - 0.0005 / (0.5 + 1e-7 / math.sqrt(0.001)), -2 + 0.001 / (1 + 1e-7 / math.sqrt(0.001))], None),
    # torch's placement: p1 = p0 - 0.001 / 0.1 * m1 / (sqrt(v1) / sqrt(0.001) + eps) = p0 - 0.001 g / (|g| + eps)
    "adam-pytorch-eps": ([1 - 0.0005 / (0.5 + 1e-7), -2 + 0.001 / (1 + 1e-7)], None),
}


@pytest.mark.parametrize("name", list(HAND))
def test_hand_computed_steps(name: str) -> None:
    first, second = two_steps(SPECS[name]())
    want_first, want_second = HAND[name]
    assert_close(first, np.array(want_first), f"{name} step 1")
    if want_second is not None:
        assert_close(second, np.array(want_second), f"{name} step 2")


def test_hand_computed_adam_second_step() -> None:
    """Adam's second step with the same g: m2 = 0.19 g, v2 = 0.001999 g^2, lr_t = lr sqrt(1 - 0.999^2) / 0.19."""
    _, second = two_steps(no.Adam(lr=0.001))
    c2 = 1 - 0.999**2
    step = 0.001 * math.sqrt(c2) / 0.19 * (0.19 * G) / (math.sqrt(0.001999) * np.abs(G) + 1e-7)
    first = 0.001 * G / (np.abs(G) + 1e-7 / math.sqrt(0.001))
    assert_close(second, P0 - first - step, "adam step 2")


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_update_is_in_place(name: str, dtype: type, rng: np.random.Generator) -> None:
    """The arrays of ``params`` are mutated, never rebound, so an Affine layer holding them sees the update."""
    W = rng.standard_normal((4, 3)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    layer = Affine(W, b)
    params = {"W": W, "b": b}
    grads = {"W": rng.standard_normal((4, 3)).astype(dtype), "b": rng.standard_normal(3).astype(dtype)}
    before, grads_before = {k: p.copy() for k, p in params.items()}, {k: g.copy() for k, g in grads.items()}
    SPECS[name]().update(params, grads)
    assert params["W"] is W and params["b"] is b
    assert layer.W is W and layer.b is b
    assert W.dtype == dtype and b.dtype == dtype
    assert not np.any(W == before["W"]) and not np.any(b == before["b"])
    for key in grads:
        np.testing.assert_array_equal(grads[key], grads_before[key], err_msg=f"{name} modified grads[{key}]")


@pytest.mark.parametrize("name", list(SPECS))
def test_state_is_created_lazily_like_params(name: str, rng: np.random.Generator) -> None:
    opt = SPECS[name]()
    for attr in opt.state_names:
        assert getattr(opt, attr) is None
    assert all(v == {} for k, v in opt.state().items() if k != "iter")
    params = {"W": rng.standard_normal((2, 3)).astype(np.float32), "b": rng.standard_normal(3)}
    grads = {k: rng.standard_normal(p.shape).astype(p.dtype) for k, p in params.items()}
    opt.update(params, grads)
    state = opt.state()
    assert set(state) == set(opt.state_names) | ({"iter"} if isinstance(opt, no.Adam) else set())
    for attr in opt.state_names:
        held = getattr(opt, attr)
        assert set(held) == set(params)
        for key, p in params.items():
            assert held[key].shape == p.shape and held[key].dtype == p.dtype, f"{attr}[{key}]"
            assert state[attr][key] is not held[key]  # state() hands out copies
    if isinstance(opt, no.Adam):
        assert opt.iter == state["iter"] == 1
        opt.update(params, grads)
        assert opt.iter == 2


def test_momentum_state_values() -> None:
    opt = no.Momentum(lr=0.1, momentum=0.9)
    two_steps(opt)
    assert opt.v is not None
    assert_close(opt.v["p"], np.array([-0.095, 0.19]), "Momentum v after two steps")


def test_velocity_first_nesterov_is_params_first_shifted_by_mu2_v(rng: np.random.Generator) -> None:
    """On a fixed gradient sequence both orders build the same ``v``; the Korean order's parameters are the
    corrected order's plus ``mu**2 * v_T``: each of its steps adds ``mu**2 * (v_t - v_{t-1})`` more, a
    telescoping sum."""
    mu = 0.9
    params0 = {"W": rng.standard_normal((3, 4))}
    seq = [{"W": rng.standard_normal((3, 4))} for _ in range(50)]
    first, first_state = no.run_updates(no.Nesterov(0.01, mu), params0, seq)
    late, late_state = no.run_updates(no.Nesterov(0.01, mu, variant="velocity_first"), params0, seq)
    assert_close(late_state["v"]["W"], first_state["v"]["W"], "v of both orders")
    assert_close(late["W"], first["W"] + mu * mu * first_state["v"]["W"], "velocity_first params")
    assert np.max(np.abs(mu * mu * first_state["v"]["W"])) > 1e-3  # far beyond round-off: the orders differ


def test_float32_stays_float32() -> None:
    """Hyperparameters are Python floats, so float32 parameters are updated in float32 arithmetic."""
    p = {"p": P0.astype(np.float32)}
    g = {"p": G.astype(np.float32)}
    opt = no.Adam(lr=np.float64(0.001))
    opt.update(p, g)
    assert isinstance(opt.lr, float) and p["p"].dtype == np.float32
    m = np.float32(0.1) * g["p"]
    v = np.float32(0.001) * (g["p"] ** 2)
    expected = P0.astype(np.float32) - (0.001 * math.sqrt(1 - 0.999) / (1 - 0.9)) * m / (np.sqrt(v) + 1e-7)
    assert expected.dtype == np.float32
    np.testing.assert_array_equal(p["p"], expected)


def test_run_updates_leaves_params0_alone(rng: np.random.Generator) -> None:
    params0 = {"b": rng.standard_normal(5)}
    copy = params0["b"].copy()
    params, state = no.run_updates(no.RMSprop(), params0, [{"b": rng.standard_normal(5)} for _ in range(3)])
    np.testing.assert_array_equal(params0["b"], copy)
    assert params["b"] is not params0["b"] and not np.array_equal(params["b"], copy)
    assert set(state) == {"h"}


@pytest.mark.parametrize(
    "name", ["SGD", "sgd", "Momentum", "Nesterov", "AdaGrad", "adagrad", "RMSprop", "RMSPROP", "Adam", "adam"]
)
def test_make_optimizer_by_book_name(name: str) -> None:
    opt = no.make_optimizer(name, lr=0.5)
    assert isinstance(opt, no.OPTIMIZERS[name.lower()]) and opt.lr == 0.5
    assert type(opt)(**opt.hyperparams).hyperparams == opt.hyperparams
    assert repr(opt).startswith(type(opt).__name__ + "(lr=0.5")


def test_optimizers_table() -> None:
    assert no.OPTIMIZERS == {
        "sgd": no.SGD,
        "momentum": no.Momentum,
        "nesterov": no.Nesterov,
        "adagrad": no.AdaGrad,
        "rmsprop": no.RMSprop,
        "adam": no.Adam,
    }
    assert no.Adam().hyperparams == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7, "eps_placement": "book"}
    assert no.Nesterov().variant == "params_first"


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: no.make_optimizer("adamw"), ValueError, "unknown optimizer 'adamw'; expected one of sgd"),
        (lambda: no.make_optimizer(None), TypeError, "optimizer name must be a str"),
        (lambda: no.make_optimizer("adam", momentum=0.9), TypeError, "Adam takes lr, beta1.*unexpected momentum"),
        (lambda: no.Nesterov(variant="korean"), ValueError, "variant must be one of 'params_first'"),
        (lambda: no.Adam(eps_placement="torch"), ValueError, "eps_placement must be one of 'book', 'pytorch'"),
        (lambda: no.SGD(lr=-0.1), ValueError, "lr must be a finite number in"),
        (lambda: no.SGD(lr="0.1"), TypeError, "lr must be a real number, got str"),
        (lambda: no.Momentum(momentum=1.0), ValueError, r"momentum must be a finite number in \[0, 1\)"),
        (lambda: no.Adam(beta2=float("nan")), ValueError, "beta2 must be a finite number"),
        (lambda: no.RMSprop(decay_rate=1.5), ValueError, "decay_rate"),
    ],
)
def test_bad_construction(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "params,grads,error,match",
    [
        ({"W": np.zeros(2)}, {"V": np.zeros(2)}, ValueError, r"missing \['W'\], unexpected \['V'\]"),
        ({"W": np.zeros(2)}, {"W": np.zeros(3)}, ValueError, r"grads\['W'\]: expected shape \(2,\).*got \(3,\)"),
        ({"W": np.zeros(2, dtype=int)}, {"W": np.zeros(2)}, TypeError, "floating-point numpy.ndarray.*int64 array"),
        ({"W": [0.0, 0.0]}, {"W": np.zeros(2)}, TypeError, "floating-point numpy.ndarray.*got list"),
        ([np.zeros(2)], [np.zeros(2)], TypeError, "params and grads must be dicts of arrays, got list"),
        ({"W": np.zeros(2)}, {"W": np.array(["a", "b"])}, TypeError, r"grads\['W'\] must be a real array"),
    ],
)
def test_bad_update_arguments(params: Any, grads: Any, error: type, match: str) -> None:
    for make in SPECS.values():
        with pytest.raises(error, match=match):
            make().update(params, grads)


def test_state_shape_must_keep_matching() -> None:
    opt = no.Momentum()
    opt.update({"W": np.zeros(2)}, {"W": np.ones(2)})
    with pytest.raises(ValueError, match=r"v\['W'\] has shape \(2,\) but params\['W'\] has \(3,\)"):
        opt.update({"W": np.zeros(3)}, {"W": np.ones(3)})


def book_gradient(params: dict) -> dict:
    """The gradient of the book's ``f(x, y) = x**2 / 20 + y**2`` (``optimizer_compare_naive.py``)."""
    return {"x": params["x"] / 10.0, "y": 2.0 * params["y"]}


def test_sgd_updates_the_books_scalar_params_by_rebinding() -> None:
    params = {"x": -7.0, "y": 2.0}
    SGD(lr=0.95).update(params, book_gradient(params))
    # x: -7 - 0.95 * (-0.7) = -6.335;  y: 2 - 0.95 * 4 = -1.8
    assert params == pytest.approx({"x": -6.335, "y": -1.8}, abs=1e-15)
    assert all(type(v) is float for v in params.values())


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_scalar_params_follow_the_same_path_as_one_element_arrays(name: str) -> None:
    scalars: dict = {"x": -7.0, "y": 2.0}
    arrays = {"x": np.array([-7.0]), "y": np.array([2.0])}
    x_array = arrays["x"]
    opt_s, opt_a = make_optimizer(name, lr=0.1), make_optimizer(name, lr=0.1)
    for _ in range(30):
        opt_s.update(scalars, book_gradient(scalars))
        opt_a.update(arrays, book_gradient(arrays))
    assert arrays["x"] is x_array  # arrays stay in place
    assert scalars["x"] == float(arrays["x"][0]) and scalars["y"] == float(arrays["y"][0])
    assert abs(scalars["x"]) < 7.0 and abs(scalars["y"]) < 2.0  # and they moved toward the minimum


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_gradient_leaves_params_and_state_untouched(name: str, bad: float) -> None:
    opt = make_optimizer(name, lr=0.1)
    params = {"w": np.array([1.0, 2.0])}
    opt.update(params, {"w": np.array([0.5, -0.5])})
    before, state = params["w"].copy(), opt.state()
    with pytest.raises(ValueError, match="holds nan or inf"):
        opt.update(params, {"w": np.array([0.1, bad])})
    np.testing.assert_array_equal(params["w"], before)
    after = opt.state()
    for key, value in state.items():
        if isinstance(value, dict):
            for k, arr in value.items():
                np.testing.assert_array_equal(after[key][k], arr)
        else:
            assert after[key] == value


def test_check_finite_opt_out_lets_a_diverging_run_through() -> None:
    opt = Adam()
    opt.check_finite = False
    params = {"w": np.zeros(2)}
    opt.update(params, {"w": np.array([np.nan, 1.0])})
    assert np.isnan(params["w"][0]) and np.isfinite(params["w"][1])


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam"])
def test_smallest_positive_eps_keeps_a_zero_gradient_step_finite(name: str) -> None:
    opt = make_optimizer(name, eps=1e-300)
    params = {"w": np.ones(3)}
    opt.update(params, {"w": np.zeros(3)})
    np.testing.assert_array_equal(params["w"], np.ones(3))
