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

from npnet._validate import labels_as_indices, positive_int, real_number
from npnet.functions import CROSS_ENTROPY_DELTA
from npnet.gradient import H, numerical_gradient
from npnet.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss, backward_layers
from npnet.numgrad import check_method, fast_numerical_gradient
from npnet.params import LiveParams, check_param_dtype
from npnet.rng import SeedLike, as_generator
from npnet.serialization import load_params, read_config, save_params

#: The constructor arguments of ``TwoLayerNet``'s widths, in order.
SIZE_NAMES = ("input_size", "hidden_size", "output_size")

#: Hidden-layer activations by name.
ACTIVATIONS: dict[str, Callable[[], Any]] = {"relu": Relu, "sigmoid": Sigmoid}


def activation_layer(name: str) -> Any:
    """A new activation layer: ``"relu"`` gives :class:`Relu`, ``"sigmoid"`` gives :class:`Sigmoid`."""
    try:
        return ACTIVATIONS[name.lower()]()
    except (KeyError, AttributeError):
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}") from None


def check_float_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as float64 or float32 (the dtypes npnet computes in), or a ``ValueError`` naming it."""
    return check_param_dtype(dtype)


def accuracy_of_scores(y: np.ndarray, t: np.ndarray) -> float:
    """Fraction of rows whose largest score is at the label (``t`` one-hot or indices, checked as ``loss`` does)."""
    y = np.asarray(y)
    idx = labels_as_indices(t, y.shape)
    return float(np.sum(np.argmax(y, axis=1) == idx) / y.shape[0])


def loss_delta_value(loss_delta: Any) -> float:
    """The cross-entropy ``delta``, a finite number >= 0."""
    return real_number(loss_delta, "loss_delta")


def weights(scale: float, shape: tuple[int, int], gen: np.random.Generator, dtype: np.dtype) -> np.ndarray:
    """``scale * standard_normal(shape)``, drawn in float64 and cast to ``dtype``."""
    return (scale * gen.standard_normal(shape)).astype(dtype)


class Network:
    """What every net shares: the live ``params`` (the layers' own arrays, see :class:`LiveParams`; assigning the
    whole dict assigns each entry, checked) and the self-describing save. Subclasses fill ``_params`` and define
    ``config()`` (the constructor's settings) and ``buffers()`` (running statistics)."""

    _params: LiveParams

    @property
    def params(self) -> LiveParams:
        """The live ``W{i} b{i}`` (and ``gamma{i} beta{i}``): the very arrays the layers use."""
        return self._params

    @params.setter
    def params(self, new: Any) -> None:
        self._params.replace_all(new)

    def config(self) -> dict[str, Any]:
        raise NotImplementedError

    def buffers(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def save_params(self, file_name: str | os.PathLike[str]) -> None:
        """Write ``params``, the running statistics, the format version and :meth:`config` to an ``.npz`` file."""
        save_params(self.params, file_name, buffers=self.buffers(), config=self.config(), kind=type(self).__name__)

    def load_params(self, file_name: str | os.PathLike[str]) -> None:
        """Copy what :meth:`save_params` wrote into the live arrays (checked by ``serialization.load_params``)."""
        load_params(self.params, file_name, buffers=self.buffers(), config=self.config(), kind=type(self).__name__)


class TwoLayerNet(Network):
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
        sizes = [positive_int(s, n) for s, n in zip((input_size, hidden_size, output_size), SIZE_NAMES, strict=True)]
        scale = real_number(weight_init_std, "weight_init_std")
        activation_layer(activation)  # validate the name before drawing anything
        self.input_size, self.hidden_size, self.output_size = sizes
        self.weight_init_std = scale
        self.activation = activation
        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Affine1"] = Affine(weights(scale, (sizes[0], sizes[1]), gen, dt), np.zeros(sizes[1], dt))
        self.layers["Activation1"] = activation_layer(activation)
        self.layers["Affine2"] = Affine(weights(scale, (sizes[1], sizes[2]), gen, dt), np.zeros(sizes[2], dt))
        self.lastLayer = SoftmaxWithLoss(delta=loss_delta_value(loss_delta))
        self._params = LiveParams()
        for i in (1, 2):
            self._params.bind(f"W{i}", self.layers[f"Affine{i}"], "W")
            self._params.bind(f"b{i}", self.layers[f"Affine{i}"], "b")

    def config(self) -> dict[str, Any]:
        """The constructor's settings (JSON-able), saved with the parameters: ``TwoLayerNet(**config)`` rebuilds it."""
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "output_size": self.output_size,
            "weight_init_std": self.weight_init_std,
            "activation": self.activation,
            "dtype": self._params["W1"].dtype.name,
            "loss_delta": self.lastLayer.delta,
        }

    def buffers(self) -> dict[str, np.ndarray]:
        """State that is not a parameter but is saved with them (none in this net)."""
        return {}

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
    return real_number(weight_init_std, "weight_init_std")


class MultiLayerNetExtend(Network):
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
        for i, size in enumerate(sizes):
            positive_int(size, "input_size" if i == 0 else "output_size" if i == len(sizes) - 1 else "hidden size")
        dt = check_float_dtype(dtype)
        scales = [init_scale(weight_init_std, fan_in) for fan_in in sizes[:-1]]
        activation_layer(activation)  # validate the name before building anything
        gen = as_generator(rng)
        self.input_size, self.output_size = int(input_size), int(output_size)
        self.hidden_size_list = [int(s) for s in hidden_size_list]
        self.hidden_layer_num = len(self.hidden_size_list)
        self.activation = activation
        self.weight_init_std = weight_init_std
        self.weight_decay_lambda = real_number(weight_decay_lambda, "weight_decay_lambda")
        self.use_dropout, self.use_batchnorm = bool(use_dropout), bool(use_batchnorm)
        self.dropout_ratio = real_number(dropout_ration, "dropout_ration", 0.0, 1.0, high_open=True)
        self.dropout_inverted, self.running_var_convention = bool(dropout_inverted), running_var_convention
        affines = [
            Affine(weights(scales[i - 1], (sizes[i - 1], sizes[i]), gen, dt), np.zeros(sizes[i], dt))
            for i in range(1, len(sizes))
        ]
        self._params = LiveParams()
        self.layers: OrderedDict[str, Any] = OrderedDict()
        for i in range(1, self.hidden_layer_num + 1):
            self._add_affine(i, affines[i - 1])
            if self.use_batchnorm:
                bn = BatchNormalization(
                    np.ones(sizes[i], dt), np.zeros(sizes[i], dt), running_var_convention=running_var_convention
                )
                self.layers[f"BatchNorm{i}"] = bn
                self._params.bind(f"gamma{i}", bn, "gamma")
                self._params.bind(f"beta{i}", bn, "beta")
            self.layers[f"Activation_function{i}"] = activation_layer(activation)
            if self.use_dropout:
                self.layers[f"Dropout{i}"] = Dropout(self.dropout_ratio, rng=gen, inverted=dropout_inverted)
        self._add_affine(self.hidden_layer_num + 1, affines[-1])
        self.last_layer = SoftmaxWithLoss(delta=loss_delta_value(loss_delta))

    def _add_affine(self, i: int, affine: Affine) -> None:
        self.layers[f"Affine{i}"] = affine
        self._params.bind(f"W{i}", affine, "W")
        self._params.bind(f"b{i}", affine, "b")

    def config(self) -> dict[str, Any]:
        """The constructor's settings (JSON-able), saved with the parameters: ``type(net)(**config)`` rebuilds it."""
        config: dict[str, Any] = {
            "input_size": self.input_size,
            "hidden_size_list": list(self.hidden_size_list),
            "output_size": self.output_size,
            "activation": self.activation,
            "weight_init_std": self.weight_init_std,
            "weight_decay_lambda": self.weight_decay_lambda,
            "dtype": self._params["W1"].dtype.name,
            "loss_delta": self.last_layer.delta,
        }
        if type(self) is not MultiLayerNet:
            config.update(
                use_dropout=self.use_dropout,
                dropout_ration=self.dropout_ratio,
                use_batchnorm=self.use_batchnorm,
                dropout_inverted=self.dropout_inverted,
                running_var_convention=self.running_var_convention,
            )
        return config

    def buffers(self) -> dict[str, np.ndarray]:
        """State saved with the parameters that is not one: the batch-norm running statistics."""
        return self.running_stats()

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


#: The networks ``load_network`` can rebuild, by the ``kind`` their files store.
NETWORKS: dict[str, type[Any]] = {
    "TwoLayerNet": TwoLayerNet,
    "MultiLayerNet": MultiLayerNet,
    "MultiLayerNetExtend": MultiLayerNetExtend,
}


def load_network(file_name: str | os.PathLike[str]) -> Any:
    """The network saved by ``save_params`` at ``file_name``, rebuilt from its stored configuration and loaded."""
    kind, config = read_config(file_name)
    cls = NETWORKS.get(kind or "")
    if cls is None:
        raise ValueError(f"{os.fspath(file_name)}: stores a network of kind {kind!r}; expected one of {list(NETWORKS)}")
    network = cls(**config)
    network.load_params(file_name)
    return network
