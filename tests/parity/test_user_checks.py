"""``npnet.testing`` on user-style code: correct classes pass, every planted slip fails and is named.

Each slip is a small subclass of a correct user-style class (``tests/parity/user_style.py``) that changes one
line the way a reader typing the book in might; the test asserts the ParityError names the quantity and the slip.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from npnet.layers import Affine
from npnet.testing import ParityError, Report, check_function, check_layer, check_net, check_optimizer
from oracle import diagnoses as dx
from oracle import optimizer_check as oc
from oracle.function_check import FORWARD_DIFF, HALF_STEP
from oracle.layer_check import Case, forward_backward
from oracle.layers import Affine as TwinAffine
from oracle.report import UNKNOWN_SLIP
from tests.parity import user_style as us

RNG = np.random.default_rng(7)
W, B = RNG.standard_normal((6, 3)), RNG.standard_normal(3)


def fails_with(check: Any, *args: Any, **kwargs: Any) -> ParityError:
    with pytest.raises(ParityError) as info:
        check(*args, **kwargs)
    assert isinstance(info.value, AssertionError)
    return info.value


# --- correct user code passes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer,like",
    [
        (lambda: us.Affine(W.copy(), B.copy()), "Affine"),
        (us.Relu, "Relu"),
        (us.Sigmoid, "Sigmoid"),
        (us.SoftmaxWithLoss, "SoftmaxWithLoss"),
        (lambda: us.Dropout(0.4), "Dropout"),
        (lambda: us.BatchNormalization(RNG.standard_normal(5), RNG.standard_normal(5)), "BatchNormalization"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_correct_layers_pass_in_both_dtypes(layer: Any, like: str) -> None:
    report = check_layer(layer(), like, dtypes=("float64", "float32"))
    assert report.passed and not report.warnings
    assert {c.dtype for c in report.comparisons} == {"float64", "float32"}
    assert any("(float32)" in c.quantity for c in report.comparisons)


@pytest.mark.parametrize(
    "like,fn",
    [
        ("softmax", us.softmax),
        ("cross_entropy_error", us.cross_entropy_error),
        ("numerical_gradient", us.numerical_gradient),
    ],
)
def test_correct_functions_pass(like: str, fn: Any) -> None:
    assert check_function(fn, like).passed


@pytest.mark.parametrize(
    "cls,like", [(us.SGD, "SGD"), (us.Momentum, "Momentum"), (us.Nesterov, "Nesterov"), (us.Adam, "Adam")]
)
def test_correct_optimizers_pass(cls: Any, like: str) -> None:
    report = check_optimizer(cls(), like, steps=20, dtypes=("float64", "float32"))
    assert report.passed
    assert any(c.quantity.startswith("W1 after step") for c in report.comparisons)


def test_correct_net_passes_and_its_numerical_gradient_is_checked() -> None:
    net = us.TwoLayerNet((5, 4, 3))
    x, t = RNG.standard_normal((6, 5)), RNG.integers(0, 3, 6)
    report = check_net(net, x, t)
    assert report.like == "TwoLayerNet"
    assert {"predict", "loss", "gradient W1", "numerical_gradient b2"} <= {c.quantity for c in report.comparisons}


def test_report_rows_carry_the_table_columns() -> None:
    report = check_layer(us.Affine(W.copy(), B.copy()), "Affine")
    row = report.rows()[0]
    assert {
        "component",
        "quantity",
        "max_abs",
        "max_rel",
        "rtol",
        "atol",
        "margin",
        "verdict",
        "warnings",
        "conventions",
        "drawn",
    } <= set(row)
    assert row["component"] == "Affine as Affine" and row["verdict"] == "pass" and row["margin"] >= 1
    assert report.to_dict()["passed"] is True


# --- warnings -------------------------------------------------------------------------------------------------


def test_writing_into_dout_is_a_warning_and_fails_when_strict() -> None:
    report = check_layer(us.InPlaceRelu(), "Relu")
    assert report.passed and any("dout" in w for w in report.warnings)
    error = fails_with(check_layer, us.InPlaceRelu(), "Relu", strict=True)
    assert "strict=True" in str(error)


# --- each diagnosis -------------------------------------------------------------------------------------------


class SoftmaxLossNoBatchDivision(us.SoftmaxWithLoss):
    def backward(self, dout: float = 1) -> np.ndarray:
        return super().backward(dout) * len(self.y)


class AffineDbAveraged(us.Affine):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx_ = super().backward(dout)
        self.db = self.db / len(dout)
        return dx_


class SigmoidIgnoresDout(us.Sigmoid):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self.y * (1 - self.y)


class SigmoidSignFlipped(us.Sigmoid):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        return -super().backward(dout)


class AffineNoReshape(us.Affine):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        super().backward(dout)
        return dout @ self.W.T


class AffineTransposedDW(us.Affine):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx_ = super().backward(dout)
        self.dW = dout.T @ self.x
        return dx_


class ReluMaskStrict(us.Relu):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.off = x < 0
        return np.where(self.off, 0.0, x)


def softmax_unshifted(x: np.ndarray) -> np.ndarray:
    z = np.exp(x)
    return z / z.sum(axis=-1, keepdims=True)


class SoftmaxLossUnshifted(us.SoftmaxWithLoss):
    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            self.y = softmax_unshifted(x)
        self.labels = t.argmax(axis=1) if t.shape == x.shape else t
        with np.errstate(invalid="ignore"):
            return us.cross_entropy_error(self.y, t)


def cross_entropy_no_delta(y: np.ndarray, t: np.ndarray) -> float:
    y2 = y.reshape(-1, y.shape[-1])
    labels = np.asarray(t).reshape(len(y2), -1).argmax(axis=1) if np.size(t) == y2.size else np.ravel(t)
    return float(-np.log(y2[np.arange(len(y2)), labels]).mean())


class BatchNormUnbiased(us.BatchNormalization):
    def batch_var(self, x: np.ndarray) -> np.ndarray:
        return x.var(axis=0, ddof=1)


class DropoutMixed(us.Dropout):
    """Inverted scaling in training, the book's at test time."""

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        out = super().forward(x, train_flg)
        return out / (1 - self.dropout_ratio) if train_flg else out


class AdamTorchEps(us.Adam):
    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        if self.m is None:
            self.m = {k: np.zeros_like(p) for k, p in params.items()}
            self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.iter += 1
        c1, c2 = 1 - self.beta1**self.iter, 1 - self.beta2**self.iter
        for k in params:
            self.m[k] = self.beta1 * self.m[k] + (1 - self.beta1) * grads[k]
            self.v[k] = self.beta2 * self.v[k] + (1 - self.beta2) * grads[k] ** 2
            params[k] -= self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + 1e-7)


class AdamNoBiasCorrection(us.Adam):
    def step_size(self) -> float:
        return self.lr


class MomentumTorchBuffer(us.Momentum):
    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.v = self.v or {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.v[k] = self.momentum * self.v[k] + grads[k]
            params[k] -= self.lr * self.v[k]


class MomentumDampened(us.Momentum):
    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.v = self.v or {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.v[k] = self.momentum * self.v[k] - (1 - self.momentum) * self.lr * grads[k]
            params[k] += self.v[k]


class NesterovWithoutLookAhead(us.Momentum):
    pass


class AffineDWOff(us.Affine):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx_ = super().backward(dout)
        self.dW = self.dW * 1.001
        return dx_


def forward_difference(f: Any, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    grad = np.zeros_like(x)
    base = f(x)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + h
        grad[idx] = (f(x) - base) / h
        x[idx] = keep
    return grad


class SGDAscent(us.SGD):
    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for k in params:
            params[k] += self.lr * grads[k]


class AdaGradEpsInSqrt:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr, self.h = lr, None

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.h = self.h or {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.h[k] += grads[k] ** 2
            params[k] -= self.lr * grads[k] / np.sqrt(self.h[k] + 1e-7)


class RMSpropEpsInSqrt:
    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        self.lr, self.decay_rate, self.h = lr, decay_rate, None

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.h = self.h or {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.h[k] = self.decay_rate * self.h[k] + (1 - self.decay_rate) * grads[k] ** 2
            params[k] -= self.lr * grads[k] / np.sqrt(self.h[k] + 1e-7)


def cross_entropy_delta_outside(y: np.ndarray, t: np.ndarray) -> float:
    return cross_entropy_no_delta(y, t) + 1e-7


def central_difference_over_h(f: Any, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    return us.numerical_gradient(f, x, h) * 2


def affine() -> Any:
    return W.copy(), B.copy()


LAYER_SLIPS = [
    (
        "batch-missing",
        lambda: SoftmaxLossNoBatchDivision(),
        "SoftmaxWithLoss",
        "d(input 0) [index labels]",
        "a missing division",
    ),
    ("batch-extra", lambda: AffineDbAveraged(*affine()), "Affine", "db [2-D x]", "an extra division"),
    ("ignores-dout", lambda: SigmoidIgnoresDout(), "Sigmoid", "d(input 0)", dx.IGNORES_DOUT),
    ("sign", lambda: SigmoidSignFlipped(), "Sigmoid", "d(input 0)", dx.SIGN),
    ("not-reshaped", lambda: AffineNoReshape(*affine()), "Affine", "d(input 0) [4-D x]", dx.NOT_RESHAPED),
    ("transposed", lambda: AffineTransposedDW(*affine()), "Affine", "dW [2-D x]", dx.TRANSPOSED),
    ("relu-zero", lambda: ReluMaskStrict(), "Relu", "d(input 0)", dx.RELU_ZERO),
    ("softmax-shift", lambda: SoftmaxLossUnshifted(), "SoftmaxWithLoss", "forward [large logits]", dx.SOFTMAX_SHIFT),
    (
        "bn-unbiased",
        lambda: BatchNormUnbiased(np.ones(4), np.zeros(4)),
        "BatchNormalization",
        "running_var [training]",
        dx.BN_UNBIASED,
    ),
    ("dropout-scale", lambda: DropoutMixed(0.3), "Dropout", "forward [training]", dx.DROPOUT_SCALE),
    ("unknown", lambda: AffineDWOff(*affine()), "Affine", "dW [2-D x]", UNKNOWN_SLIP),
]


@pytest.mark.parametrize("make,like,quantity,hint", [s[1:] for s in LAYER_SLIPS], ids=[s[0] for s in LAYER_SLIPS])
def test_layer_slip_is_named(make: Any, like: str, quantity: str, hint: str) -> None:
    error = fails_with(check_layer, make(), like)
    message = str(error)
    assert quantity in error.report.diagnoses, message
    assert hint in error.report.diagnoses[quantity]
    assert f"hint: {error.report.diagnoses[quantity]}" in message
    assert "worst at index" in message or "non-finite" in message or "shape" in message


FUNCTION_SLIPS = [
    ("softmax-shift", softmax_unshifted, "softmax", "softmax [large logits]", dx.SOFTMAX_SHIFT),
    (
        "cee-delta",
        cross_entropy_no_delta,
        "cross_entropy_error",
        "cross_entropy_error [batch, index labels]",
        dx.CEE_DELTA,
    ),
    (
        "cee-delta-outside",
        cross_entropy_delta_outside,
        "cross_entropy_error",
        "cross_entropy_error [batch, one-hot labels]",
        dx.CEE_DELTA,
    ),
    ("forward-difference", forward_difference, "numerical_gradient", "numerical_gradient (3, 4)", FORWARD_DIFF),
    ("over-h", central_difference_over_h, "numerical_gradient", "numerical_gradient (5,)", HALF_STEP),
]


@pytest.mark.parametrize("fn,like,quantity,hint", [s[1:] for s in FUNCTION_SLIPS], ids=[s[0] for s in FUNCTION_SLIPS])
def test_function_slip_is_named(fn: Any, like: str, quantity: str, hint: str) -> None:
    with np.errstate(all="ignore"):
        error = fails_with(check_function, fn, like)
    assert hint in error.report.diagnoses[quantity], str(error)


OPTIMIZER_SLIPS = [
    ("adam-eps", AdamTorchEps, "Adam", "W1", oc.ADAM_EPS),
    ("adam-bias", AdamNoBiasCorrection, "Adam", "W1", oc.ADAM_BIAS),
    ("momentum-units", MomentumTorchBuffer, "Momentum", "v[W1]", oc.VELOCITY_UNITS),
    ("momentum-dampened", MomentumDampened, "Momentum", "W1", oc.MOMENTUM_DAMPENED),
    ("nesterov-as-momentum", NesterovWithoutLookAhead, "Nesterov", "W1", oc.NESTEROV_AS_MOMENTUM),
    ("adagrad-eps", AdaGradEpsInSqrt, "AdaGrad", "b1", oc.EPS_IN_SQRT),
    ("rmsprop-eps", RMSpropEpsInSqrt, "RMSprop", "b1", oc.EPS_IN_SQRT),
    ("ascent", SGDAscent, "SGD", "W1", oc.ASCENT),
]


@pytest.mark.parametrize("cls,like,key,hint", [s[1:] for s in OPTIMIZER_SLIPS], ids=[s[0] for s in OPTIMIZER_SLIPS])
def test_optimizer_slip_is_named(cls: Any, like: str, key: str, hint: str) -> None:
    error = fails_with(check_optimizer, cls(), like, steps=10)
    [(quantity, diagnosis)] = [(q, d) for q, d in error.report.diagnoses.items() if q.startswith(f"{key} after")]
    assert hint in diagnosis, str(error)
    assert "after step" in quantity


def test_net_slip_is_named() -> None:
    net = us.TwoLayerNet((5, 4, 3))
    net.layers["Affine1"] = AffineDbAveraged(net.params["W1"], net.params["b1"])
    x, t = RNG.standard_normal((6, 5)), RNG.integers(0, 3, 6)
    error = fails_with(check_net, net, x, t)
    assert "an extra division" in error.report.diagnoses["gradient b1"]


def test_failure_message_names_component_quantity_index_and_bound() -> None:
    error = fails_with(check_layer, AffineDWOff(*affine()), "Affine")
    first = str(error).splitlines()
    assert first[0].startswith("AffineDWOff as Affine: parity FAILED")
    assert "dW [2-D x]: " in first[1] and "rtol=1e-12, atol=1e-12" in first[1] and "elements differ" in first[1]


def test_raise_on_failure_false_returns_the_failing_report() -> None:
    report = check_layer(AffineDWOff(*affine()), "Affine", raise_on_failure=False)
    assert isinstance(report, Report) and not report.passed
    assert any(row["verdict"] == "FAIL" for row in report.rows())


def test_unknown_names_are_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="Affine"):
        check_layer(us.Relu(), "Conv")
    with pytest.raises(ValueError, match="dtypes"):
        check_layer(us.Relu(), "Relu", dtypes=("int32",))
    with pytest.raises(TypeError, match="needs the book's attributes forward, backward, W, b; Relu has no W, b"):
        check_layer(us.Relu(), "Affine")


def test_a_diagnosis_rerun_on_the_same_twin_leaves_the_parameter_gradients_compared_alone() -> None:
    """A slip in ``dx`` alone makes the checker try its diagnoses, which run the twin's backward again; a caller
    whose factory hands back one and the same twin must still see ``dW`` and ``db`` compared with the gradients of
    the first backward (they match here), not with whatever the diagnosis left on the twin."""

    class AffineWithScaledDx(Affine):
        def backward(self, dout: np.ndarray) -> np.ndarray:
            return 1.001 * super().backward(dout)

    gen = np.random.default_rng(0)
    layer = AffineWithScaledDx(gen.standard_normal((4, 3)), gen.standard_normal(3))
    twin = TwinAffine.from_npnet(layer)
    report = Report("Affine", "AffineWithScaledDx")
    forward_backward(Case(report, "", None), layer, lambda: twin, [gen.standard_normal((5, 4))], gen, ["dW", "db"])
    verdicts = {c.quantity: c.passed for c in report.comparisons}
    assert verdicts == {"forward": True, "d(input 0)": False, "dW": True, "db": True}, report
