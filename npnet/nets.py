"""Networks built from the layers: chapter 5's ``TwoLayerNet``.

Every weight is born here, seeded, and lives in ``net.params`` under one name (``W1``, ``b1``, ...); the layers hold
the same arrays by reference, the gradient dicts use the same names, and so do the oracle's twins and saved files.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from npnet.functions import CROSS_ENTROPY_DELTA
from npnet.gradient import numerical_gradient
from npnet.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from npnet.rng import SeedLike, as_generator
from npnet.serialization import load_params, save_params

#: Hidden-layer activations by name.
ACTIVATIONS: dict[str, Callable[[], Any]] = {"relu": Relu, "sigmoid": Sigmoid}


def activation_layer(name: str) -> Any:
    """A new activation layer: ``"relu"`` gives :class:`Relu`, ``"sigmoid"`` gives :class:`Sigmoid`."""
    try:
        return ACTIVATIONS[name.lower()]()
    except (KeyError, AttributeError):
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}") from None


def check_float_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy floating dtype, or a ``ValueError`` naming it."""
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise ValueError(f"dtype must be a floating-point dtype such as float64 or float32, got {dt}")
    return dt


def accuracy_of_scores(y: np.ndarray, t: np.ndarray) -> float:
    """Fraction of rows whose largest score is at the label (``t`` one-hot or indices)."""
    predicted = np.argmax(y, axis=1)
    t = np.asarray(t)
    if t.ndim != 1:
        t = np.argmax(t, axis=1)
    if t.shape != predicted.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions but labels of shape {t.shape}")
    return float(np.sum(predicted == t) / y.shape[0])


class TwoLayerNet:
    """``input -> Affine1 -> activation -> Affine2 -> SoftmaxWithLoss``.

    Args:
        input_size, hidden_size, output_size: layer widths (784, 50, 10 for MNIST).
        weight_init_std: weights are drawn as ``weight_init_std * standard_normal``; biases start at 0.
        activation: ``"relu"`` (chapter 5) or ``"sigmoid"`` (chapter 4).
        rng: an int seed or a ``numpy.random.Generator``; the same seed gives the same weights.
        dtype: dtype of the parameters (float64 by default; weights are drawn in float64 and then cast, so the
            same seed gives the same weights rounded to the dtype).
        loss_delta: the ``delta`` of the cross-entropy loss (the book's 1e-7; 0 for the exact loss).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, weight_init_std: float = 0.01,
                 activation: str = "relu", rng: SeedLike = None, *, dtype: Any = np.float64,
                 loss_delta: float = CROSS_ENTROPY_DELTA) -> None:
        gen = as_generator(rng)
        dt = check_float_dtype(dtype)
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size), ("output_size", output_size)):
            if not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(f"{name} must be a positive int, got {size!r}")
        self.activation = activation
        self.params: dict[str, np.ndarray] = {
            "W1": (weight_init_std * gen.standard_normal((input_size, hidden_size))).astype(dt),
            "b1": np.zeros(hidden_size, dtype=dt),
            "W2": (weight_init_std * gen.standard_normal((hidden_size, output_size))).astype(dt),
            "b2": np.zeros(output_size, dtype=dt),
        }
        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Activation1"] = activation_layer(activation)
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss(delta=loss_delta)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores before softmax, shape ``(N, output_size)``."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Cross-entropy loss of the batch (labels one-hot or indices)."""
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """Fraction of samples classified correctly."""
        return accuracy_of_scores(self.predict(x), t)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Gradient of :meth:`loss` by central differences, keyed like ``params``."""
        def loss_w(_: np.ndarray) -> float:
            return self.loss(x, t)
        return {key: numerical_gradient(loss_w, self.params[key]) for key in self.params}

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Gradient of the loss by backprop, keyed like ``params``."""
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}

    def save_params(self, file_name: str | os.PathLike[str]) -> None:
        """Write ``params`` to an ``.npz`` file."""
        save_params(self.params, file_name)

    def load_params(self, file_name: str | os.PathLike[str]) -> None:
        """Copy parameters from an ``.npz`` file into ``params`` (and so into the layers)."""
        load_params(self.params, file_name)
