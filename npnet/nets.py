"""Networks built from the layers: chapter 5's ``TwoLayerNet``, chapter 6's ``MultiLayerNet(Extend)``.

Every weight is born here, seeded, and lives in ``net.params`` under one name (``W1``, ``b1``, ...); the layers hold
the same arrays by reference, the gradient dicts use the same names, and so do the oracle's twins and saved files.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from npnet.functions import CROSS_ENTROPY_DELTA
from npnet.gradient import H, numerical_gradient
from npnet.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss, backward_layers
from npnet.numgrad import check_method, fast_numerical_gradient
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

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        weight_init_std: float = 0.01,
        activation: str = "relu",
        rng: SeedLike = None,
        *,
        dtype: Any = np.float64,
        loss_delta: float = CROSS_ENTROPY_DELTA,
    ) -> None:
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

    def numerical_gradient(
        self, x: np.ndarray, t: np.ndarray, h: float = H, method: str = "fast"
    ) -> dict[str, np.ndarray]:
        """Gradient of :meth:`loss` by central differences with step ``h``, keyed like ``params``.

        ``method="loop"`` is the book's: every element perturbed in turn, two forward passes each.
        ``method="fast"`` (default) gives the same differences, computed column by column from one forward pass
        (:mod:`npnet.numgrad`), hundreds of times faster on MNIST-sized nets.
        """
        check_method(method)
        if method == "loop":

            def loss_w(_: np.ndarray) -> float:
                return self.loss(x, t)

            return {key: numerical_gradient(loss_w, self.params[key], h) for key in self.params}
        return fast_numerical_gradient(self, x, t, h, self.loss(x, t))

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Gradient of the loss by backprop, keyed like ``params``."""
        self.loss(x, t)
        backward_layers(self.layers.values(), self.lastLayer.backward(1))
        return {
            "W1": self.layers["Affine1"].dW,
            "b1": self.layers["Affine1"].db,
            "W2": self.layers["Affine2"].dW,
            "b2": self.layers["Affine2"].db,
        }

    def save_params(self, file_name: str | os.PathLike[str]) -> None:
        """Write ``params`` to an ``.npz`` file."""
        save_params(self.params, file_name)

    def load_params(self, file_name: str | os.PathLike[str]) -> None:
        """Copy parameters from an ``.npz`` file into ``params`` (and so into the layers)."""
        load_params(self.params, file_name)


def init_scale(weight_init_std: float | str, fan_in: int) -> float:
    """The standard deviation of a weight matrix with ``fan_in`` inputs, as the book's ``MultiLayerNet``.

    A number is used as is; ``"relu"``/``"he"`` gives ``sqrt(2 / fan_in)`` (He); ``"sigmoid"``/``"xavier"`` gives
    ``sqrt(1 / fan_in)`` (the book's "Xavier", not PyTorch's ``xavier_normal_``, which uses ``2 / (fan_in + fan_out)``).
    """
    if isinstance(weight_init_std, str):
        name = weight_init_std.lower()
        if name in ("relu", "he"):
            return float(np.sqrt(2.0 / fan_in))
        if name in ("sigmoid", "xavier"):
            return float(np.sqrt(1.0 / fan_in))
        raise ValueError(
            f"weight_init_std must be a number or one of 'relu', 'he', 'sigmoid', 'xavier'; got {weight_init_std!r}"
        )
    if isinstance(weight_init_std, bool) or not isinstance(weight_init_std, (int, float, np.integer, np.floating)):
        raise TypeError(f"weight_init_std must be a number or a name, got {type(weight_init_std).__name__}")
    return float(weight_init_std)


class MultiLayerNetExtend:
    """A fully connected net of any depth, with optional batch norm, dropout and weight decay (chapter 6).

    Layers, for ``i = 1 .. len(hidden_size_list)``: ``Affine{i} -> [BatchNorm{i}] -> Activation_function{i} ->
    [Dropout{i}]``, then ``Affine{L}`` and ``SoftmaxWithLoss``; parameters ``W{i}``, ``b{i}`` and, with batch norm,
    ``gamma{i}`` (ones) and ``beta{i}`` (zeros). The loss adds ``0.5 * weight_decay_lambda * sum(W**2)`` over every
    weight matrix; ``gradient`` adds ``weight_decay_lambda * W`` to each weight gradient.

    Args (the book's, then npnet's keywords):
        weight_init_std: a number, or ``"relu"``/``"he"``, ``"sigmoid"``/``"xavier"`` (see :func:`init_scale`).
        dropout_ration: the book's spelling of the dropout ratio.
        rng: seed or Generator for the weights and the dropout masks.
        dropout_inverted: PyTorch's inverted dropout instead of the book's test-time scaling.
        running_var_convention: ``"book"`` or ``"pytorch"`` (see :class:`BatchNormalization`).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size_list: list[int],
        output_size: int,
        activation: str = "relu",
        weight_init_std: float | str = "relu",
        weight_decay_lambda: float = 0,
        use_dropout: bool = False,
        dropout_ration: float = 0.5,
        use_batchnorm: bool = False,
        rng: SeedLike = None,
        *,
        dtype: Any = np.float64,
        loss_delta: float = CROSS_ENTROPY_DELTA,
        dropout_inverted: bool = False,
        running_var_convention: str = "book",
    ) -> None:
        sizes = [input_size, *list(hidden_size_list), output_size]
        if any(not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
            raise ValueError(f"layer sizes must be positive ints, got {sizes}")
        if float(weight_decay_lambda) < 0:
            raise ValueError(f"weight_decay_lambda must be >= 0, got {weight_decay_lambda!r}")
        gen = as_generator(rng)
        dt = check_float_dtype(dtype)
        activation_layer(activation)  # validate the name before building anything
        self.input_size, self.output_size = input_size, output_size
        self.hidden_size_list = list(hidden_size_list)
        self.hidden_layer_num = len(self.hidden_size_list)
        self.activation = activation
        self.weight_init_std = weight_init_std
        self.weight_decay_lambda = float(weight_decay_lambda)
        self.use_dropout, self.use_batchnorm = bool(use_dropout), bool(use_batchnorm)
        self.dropout_ratio = float(dropout_ration)
        self.params: dict[str, np.ndarray] = {}
        for i in range(1, len(sizes)):
            scale = init_scale(weight_init_std, sizes[i - 1])
            self.params[f"W{i}"] = (scale * gen.standard_normal((sizes[i - 1], sizes[i]))).astype(dt)
            self.params[f"b{i}"] = np.zeros(sizes[i], dtype=dt)
        self.layers: OrderedDict[str, Any] = OrderedDict()
        for i in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if self.use_batchnorm:
                self.params[f"gamma{i}"] = np.ones(sizes[i], dtype=dt)
                self.params[f"beta{i}"] = np.zeros(sizes[i], dtype=dt)
                self.layers[f"BatchNorm{i}"] = BatchNormalization(
                    self.params[f"gamma{i}"], self.params[f"beta{i}"], running_var_convention=running_var_convention
                )
            self.layers[f"Activation_function{i}"] = activation_layer(activation)
            if self.use_dropout:
                self.layers[f"Dropout{i}"] = Dropout(self.dropout_ratio, rng=gen, inverted=dropout_inverted)
        last = self.hidden_layer_num + 1
        self.layers[f"Affine{last}"] = Affine(self.params[f"W{last}"], self.params[f"b{last}"])
        self.last_layer = SoftmaxWithLoss(delta=loss_delta)

    @property
    def lastLayer(self) -> SoftmaxWithLoss:
        return self.last_layer

    def predict(self, x: np.ndarray, train_flg: bool = False) -> np.ndarray:
        """Scores before softmax; ``train_flg`` switches Dropout and BatchNormalization to training behaviour."""
        for name, layer in self.layers.items():
            x = layer.forward(x, train_flg) if name.startswith(("Dropout", "BatchNorm")) else layer.forward(x)
        return x

    def weight_decay(self) -> float:
        """``0.5 * lambda * sum_i sum(W_i**2)``."""
        if self.weight_decay_lambda == 0:
            return 0.0
        return float(
            sum(
                0.5 * self.weight_decay_lambda * np.sum(self.params[f"W{i}"] ** 2)
                for i in range(1, self.hidden_layer_num + 2)
            )
        )

    def loss(self, x: np.ndarray, t: np.ndarray, train_flg: bool = False) -> float:
        """Cross-entropy loss plus the weight-decay term."""
        return self.last_layer.forward(self.predict(x, train_flg), t) + self.weight_decay()

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """Fraction classified correctly, in test mode."""
        return accuracy_of_scores(self.predict(x, train_flg=False), t)

    def stochastic_layers(self) -> list[Any]:
        """The Dropout and BatchNormalization layers, whose ``hold`` flag freezes masks and running statistics."""
        return [layer for layer in self.layers.values() if isinstance(layer, (Dropout, BatchNormalization))]

    @contextmanager
    def holding_state(self) -> Iterator[None]:
        """Within this block, dropout masks are drawn once and reused, and running statistics stay as they are."""
        layers = self.stochastic_layers()
        previous = [layer.hold for layer in layers]
        for layer in layers:
            layer.hold = True
        try:
            yield
        finally:
            for layer, hold in zip(layers, previous, strict=True):
                layer.hold = hold

    def numerical_gradient(
        self, x: np.ndarray, t: np.ndarray, h: float = H, method: str = "fast"
    ) -> dict[str, np.ndarray]:
        """Central-difference gradient (step ``h``) of ``loss(x, t, train_flg=True)``, keyed like ``params``.

        Unlike the book's, it holds the dropout masks fixed (those of the last training forward, or drawn once now)
        and leaves running statistics untouched, so the estimate is of one well-defined function.
        ``method="loop"`` perturbs one element at a time, as the book; ``method="fast"`` (default) gives the same
        differences column by column (:mod:`npnet.numgrad`).
        """
        check_method(method)
        with self.holding_state():

            def loss_w(_: np.ndarray) -> float:
                return self.loss(x, t, train_flg=True)

            if method == "loop":
                return {key: numerical_gradient(loss_w, self.params[key], h) for key in self.params}
            return fast_numerical_gradient(self, x, t, h, loss_w(x))

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Backprop gradient of ``loss(x, t, train_flg=True)``, weight decay included, keyed like ``params``."""
        self.loss(x, t, train_flg=True)
        backward_layers(self.layers.values(), self.last_layer.backward(1))
        grads: dict[str, np.ndarray] = {}
        for i in range(1, self.hidden_layer_num + 2):
            affine = self.layers[f"Affine{i}"]
            grads[f"W{i}"] = affine.dW + self.weight_decay_lambda * self.params[f"W{i}"]
            grads[f"b{i}"] = affine.db
            if self.use_batchnorm and i <= self.hidden_layer_num:
                grads[f"gamma{i}"] = self.layers[f"BatchNorm{i}"].dgamma
                grads[f"beta{i}"] = self.layers[f"BatchNorm{i}"].dbeta
        return grads

    def dropout_masks(self) -> list[np.ndarray]:
        """The masks of the last training forward, one per Dropout layer, in order."""
        masks = []
        for name, layer in self.layers.items():
            if isinstance(layer, Dropout):
                if layer.mask is None:
                    raise RuntimeError(f"{name} has no mask yet: run a training forward (gradient or train_flg=True)")
                masks.append(layer.mask)
        return masks

    def running_stats(self) -> dict[str, np.ndarray]:
        """``running_mean{i}`` and ``running_var{i}`` of every BatchNormalization layer (the arrays themselves)."""
        stats = {}
        for name, layer in self.layers.items():
            if isinstance(layer, BatchNormalization):
                i = name.removeprefix("BatchNorm")
                stats[f"running_mean{i}"], stats[f"running_var{i}"] = layer.running_mean, layer.running_var
        return stats

    def save_params(self, file_name: str | os.PathLike[str]) -> None:
        """Write ``params`` to an ``.npz`` file."""
        save_params(self.params, file_name)

    def load_params(self, file_name: str | os.PathLike[str]) -> None:
        """Copy parameters from an ``.npz`` file into ``params`` (and so into the layers)."""
        load_params(self.params, file_name)


class MultiLayerNet(MultiLayerNetExtend):
    """The book's ``MultiLayerNet``: ``MultiLayerNetExtend`` without dropout and batch norm."""

    def __init__(
        self,
        input_size: int,
        hidden_size_list: list[int],
        output_size: int,
        activation: str = "relu",
        weight_init_std: float | str = "relu",
        weight_decay_lambda: float = 0,
        rng: SeedLike = None,
        *,
        dtype: Any = np.float64,
        loss_delta: float = CROSS_ENTROPY_DELTA,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size_list,
            output_size,
            activation,
            weight_init_std,
            weight_decay_lambda,
            rng=rng,
            dtype=dtype,
            loss_delta=loss_delta,
        )
