"""npnet's own layers, functions, optimizers and nets pass the public checks users run (one protocol, not two).

Through the ``npnet_parity`` fixture, so ``python -m pytest --npnet-parity-report`` lists npnet's own rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import npnet.functions as nf
import npnet.gradient as ng
import npnet.layers as nl
import npnet.nets as nn_
import npnet.optim as no

BOTH = ("float64", "float32")
RNG = np.random.default_rng(3)

LAYERS: dict[str, Any] = {
    "MulLayer": nl.MulLayer,
    "AddLayer": nl.AddLayer,
    "Relu": nl.Relu,
    "Sigmoid": nl.Sigmoid,
    "Affine": lambda: nl.Affine(RNG.standard_normal((8, 4)), RNG.standard_normal(4)),
    "SoftmaxWithLoss": nl.SoftmaxWithLoss,
    "Dropout": lambda: nl.Dropout(0.3, rng=1),
    "Dropout-inverted": lambda: nl.Dropout(0.3, rng=1, inverted=True),
    "BatchNormalization": lambda: nl.BatchNormalization(RNG.standard_normal(5), RNG.standard_normal(5)),
    "BatchNormalization-pytorch": lambda: nl.BatchNormalization(
        np.ones(5), np.zeros(5), running_var_convention="pytorch"
    ),
}


@pytest.mark.parametrize("case", list(LAYERS))
def test_layer(case: str, npnet_parity: Any) -> None:
    report = npnet_parity.layer(LAYERS[case](), case.split("-")[0], dtypes=BOTH, strict=True)
    assert report.comparisons and not report.warnings


@pytest.mark.parametrize("name", ["sigmoid", "relu", "softmax", "sum_squared_error", "cross_entropy_error"])
def test_function(name: str, npnet_parity: Any) -> None:
    npnet_parity.function(getattr(nf, name), name, dtypes=BOTH)


def test_numerical_gradient(npnet_parity: Any) -> None:
    npnet_parity.function(ng.numerical_gradient, "numerical_gradient")


OPTIMIZERS: dict[str, Any] = {
    "SGD": no.SGD(lr=0.05),
    "Momentum": no.Momentum(lr=0.01),
    "Nesterov": no.Nesterov(lr=0.01),
    "Nesterov-velocity_first": no.Nesterov(lr=0.01, variant="velocity_first"),
    "AdaGrad": no.AdaGrad(lr=0.1),
    "RMSprop": no.RMSprop(lr=0.01),
    "Adam": no.Adam(lr=0.01),
    "Adam-pytorch": no.Adam(lr=0.01, eps_placement="pytorch"),
}


@pytest.mark.parametrize("case", list(OPTIMIZERS))
def test_optimizer(case: str, npnet_parity: Any) -> None:
    report = npnet_parity.optimizer(OPTIMIZERS[case], case.split("-")[0], dtypes=BOTH)
    variant = case.partition("-")[2]
    assert variant in " ".join(report.conventions)


@pytest.mark.parametrize(
    "net",
    [
        lambda: nn_.TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=0),
        lambda: nn_.TwoLayerNet(12, 6, 4, activation="sigmoid", rng=0),
        lambda: nn_.MultiLayerNet(12, [6, 5], 4, weight_decay_lambda=0.1, rng=0),
        lambda: nn_.MultiLayerNetExtend(12, [6, 5], 4, use_batchnorm=True, use_dropout=True, rng=0),
        lambda: nn_.MultiLayerNetExtend(12, [6], 4, use_batchnorm=True, rng=0),
    ],
    ids=["two-layer", "two-layer-sigmoid", "multi-decay", "extend-bn-dropout", "extend-bn"],
)
def test_net(net: Any, npnet_parity: Any) -> None:
    x, t = RNG.standard_normal((5, 12)), RNG.integers(0, 4, 5)
    report = npnet_parity.net(net(), x, t)
    assert any(c.quantity.startswith("gradient") for c in report.comparisons)
