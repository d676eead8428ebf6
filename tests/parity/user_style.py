"""Layers, functions and optimizers written the way a reader of the book writes them (NumPy, the book's attribute
names), for the tests of ``npnet.testing``: correct ones here, each slip a small subclass in the tests."""

from __future__ import annotations

from typing import Any

import numpy as np


class Affine:
    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b
        self.x: Any = None
        self.x_shape: Any = None
        self.dW: Any = None
        self.db: Any = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        self.x = x.reshape(len(x), -1)
        return self.x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class Relu:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.off = x <= 0
        return np.where(self.off, 0.0, x).astype(x.dtype)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.where(self.off, 0.0, dout).astype(dout.dtype)


class InPlaceRelu(Relu):
    """Zeroes the upstream gradient where it stands, as the book's own Relu does."""

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout[self.off] = 0
        return dout


class Sigmoid:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.y * (1 - self.y)


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    y2 = y.reshape(-1, y.shape[-1])
    labels = np.asarray(t).reshape(len(y2), -1).argmax(axis=1) if np.size(t) == y2.size else np.ravel(t)
    return float(-np.log(y2[np.arange(len(y2)), labels] + 1e-7).mean())


class SoftmaxWithLoss:
    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.y = softmax(x)
        self.labels = t.argmax(axis=1) if t.shape == x.shape else t
        return cross_entropy_error(self.y, t)

    def backward(self, dout: float = 1) -> np.ndarray:
        n = len(self.y)
        grad = self.y.copy()
        grad[np.arange(n), self.labels] -= 1
        return dout * grad / n


class Dropout:
    def __init__(self, dropout_ratio: float = 0.5) -> None:
        self.dropout_ratio = dropout_ratio
        self.mask: Any = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        if not train_flg:
            return x * (1 - self.dropout_ratio)
        self.mask = np.random.rand(*x.shape) > self.dropout_ratio  # noqa: NPY002 - the book's global state
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask


class BatchNormalization:
    def __init__(self, gamma: np.ndarray, beta: np.ndarray, momentum: float = 0.9) -> None:
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean: Any = None
        self.running_var: Any = None

    def batch_var(self, x: np.ndarray) -> np.ndarray:
        return x.var(axis=0)

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        if self.running_mean is None:
            self.running_mean, self.running_var = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        if train_flg:
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.std = np.sqrt(var + 1e-6)
            self.xn = (x - mean) / self.std
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mean
            self.running_var = m * self.running_var + (1 - m) * self.batch_var(x)
            xn = self.xn
        else:
            xn = (x - self.running_mean) / np.sqrt(self.running_var + 1e-6)
        return self.gamma * xn + self.beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (dout * self.xn).sum(axis=0)
        dxn = dout * self.gamma
        return (dxn - dxn.mean(axis=0) - self.xn * (dxn * self.xn).mean(axis=0)) / self.std


class SGD:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for k in params:
            params[k] -= self.lr * grads[k]


class Momentum:
    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
        self.v: Any = None

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.v = self.v or {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.v[k] = self.momentum * self.v[k] - self.lr * grads[k]
            params[k] += self.v[k]


class Nesterov(Momentum):
    """The Japanese repository's order: step with the old velocity, then update it."""

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.v = self.v or {k: np.zeros_like(p) for k, p in params.items()}
        mu = self.momentum
        for k in params:
            params[k] += mu * mu * self.v[k] - (1 + mu) * self.lr * grads[k]
            self.v[k] = mu * self.v[k] - self.lr * grads[k]


class Adam:
    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m: Any = None
        self.v: Any = None

    def step_size(self) -> float:
        return self.lr * np.sqrt(1 - self.beta2**self.iter) / (1 - self.beta1**self.iter)

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        if self.m is None:
            self.m = {k: np.zeros_like(p) for k, p in params.items()}
            self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.iter += 1
        lr_t = self.step_size()
        for k in params:
            self.m[k] = self.beta1 * self.m[k] + (1 - self.beta1) * grads[k]
            self.v[k] = self.beta2 * self.v[k] + (1 - self.beta2) * grads[k] ** 2
            params[k] -= lr_t * self.m[k] / (np.sqrt(self.v[k]) + 1e-7)


def numerical_gradient(f: Any, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + h
        up = f(x)
        x[idx] = keep - h
        down = f(x)
        x[idx] = keep
        grad[idx] = (up - down) / (2 * h)
    return grad


class TwoLayerNet:
    """Chapter 5's net in the book's layout: layers Affine1, Relu1, Affine2 and lastLayer."""

    def __init__(self, sizes: tuple[int, int, int], seed: int = 0) -> None:
        gen = np.random.default_rng(seed)
        n_in, n_hidden, n_out = sizes
        self.params = {
            "W1": 0.5 * gen.standard_normal((n_in, n_hidden)),
            "b1": 0.1 * gen.standard_normal(n_hidden),
            "W2": 0.5 * gen.standard_normal((n_hidden, n_out)),
            "b2": 0.1 * gen.standard_normal(n_out),
        }
        self.layers = {
            "Affine1": Affine(self.params["W1"], self.params["b1"]),
            "Relu1": Relu(),
            "Affine2": Affine(self.params["W2"], self.params["b2"]),
        }
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return self.lastLayer.forward(self.predict(x), t)

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        a1, a2 = self.layers["Affine1"], self.layers["Affine2"]
        return {"W1": a1.dW, "b1": a1.db, "W2": a2.dW, "b2": a2.db}

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        return {k: numerical_gradient(lambda _: self.loss(x, t), p) for k, p in self.params.items()}
