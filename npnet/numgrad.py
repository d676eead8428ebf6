"""The book's numerical gradient of a whole net, computed column by column instead of element by element.

``TwoLayerNet.numerical_gradient`` and ``MultiLayerNetExtend.numerical_gradient`` return, for every parameter
element ``p``, the book's central difference ``(L(p + h) - L(p - h)) / (2h)`` of the net's loss (divided by the
step actually stored, as :func:`npnet.gradient.numerical_gradient` does). The book evaluates the loss twice per
element, two full forward passes each; for the 784-100-10 net on 100 samples that is 159,020 forward passes.
:func:`fast_numerical_gradient` evaluates the same perturbed losses, each computed from the unperturbed forward pass
by only the work the perturbation changes:

- A perturbation of ``W_k[i, j]``, ``b_k[j]``, ``gamma_k[j]`` or ``beta_k[j]`` changes column ``j`` of layer
  ``k``'s output and nothing else in that layer (Affine, the activation and Dropout act element by element, batch
  norm column by column). ``W_k[i, j] -> W_k[i, j] + s`` adds ``s * x_k[:, i]`` to that column: a rank-one change,
  so all rows ``i`` of one column are one ``(D_k, N)`` array.
- Layer ``k + 1`` then sees its input change in column ``j`` only, a rank-one change of its pre-activation,
  ``delta[:, None] * W_{k+1}[j, :]``; from there the rest of the net runs forward as usual.
- Without batch norm downstream, samples do not interact: only the samples whose column actually changed need a
  forward pass (zero pixels, ReLU units that stay off and dropped units change nothing, bit for bit), and the loss
  changes by the sum of their per-sample changes.
- The weight-decay term ``0.5 * lambda * sum(W**2)`` is separable: its central difference is added in closed form.

Every loss is the same function the loop evaluates, so the two agree to round-off (the loop's own round-off,
``eps * |L| / h``, dominates: about 1e-12 in float64).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from npnet._validate import labels_as_indices
from npnet.functions import sigmoid
from npnet.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss

#: Largest intermediate array (elements) built at once; perturbations are processed in chunks below it.
CHUNK_ELEMENTS = 1 << 22


def relu_values(x: np.ndarray) -> np.ndarray:
    """:class:`npnet.layers.Relu`'s forward: ``x`` where ``x > 0``, else 0."""
    return np.where(x <= 0, np.zeros((), dtype=x.dtype), x)


@dataclass
class Block:
    """One ``Affine -> [BatchNorm] -> [activation] -> [Dropout]`` stage of a net, with its cached forward pass."""

    keys: dict[str, str]
    """Parameter names: ``{"W": "W1", "b": "b1"}`` (and ``"gamma"``, ``"beta"`` with batch norm)."""
    affine: Affine
    batchnorm: BatchNormalization | None = None
    activation: Callable[[np.ndarray], np.ndarray] | None = None
    dropout: Dropout | None = None
    cache: dict[str, np.ndarray] = field(default_factory=dict)

    def normalize(self, a: np.ndarray, gamma: Any = None, beta: Any = None, axis: int = -2) -> np.ndarray:
        """Batch norm in training mode over ``axis`` (the samples), as the layer computes it; identity without."""
        bn = self.batchnorm
        if bn is None:
            return a
        gamma = bn.gamma if gamma is None else gamma
        beta = bn.beta if beta is None else beta
        xc = a - a.mean(axis=axis, keepdims=True)
        std = np.sqrt(np.mean(xc**2, axis=axis, keepdims=True) + bn.eps)
        return gamma * (xc / std) + beta

    def mask(self) -> np.ndarray | None:
        """The held dropout mask, ``(N, M)``, or ``None`` without dropout."""
        if self.dropout is None:
            return None
        if self.dropout.mask is None:
            raise RuntimeError("fast numerical gradient: the dropout mask must be drawn first (a training forward)")
        return self.dropout.mask

    def finish(self, y: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Activation and dropout (``mask`` selects the dropout mask's rows/columns matching ``y``)."""
        z = self.activation(y) if self.activation is not None else y
        if self.dropout is not None:
            assert mask is not None
            z = z * mask * self.dropout.keep_scale
        return z


@dataclass
class NetPlan:
    """A net read as blocks, the loss's settings, and the unperturbed per-sample losses."""

    blocks: list[Block]
    delta: float
    weight_decay_lambda: float
    labels: np.ndarray
    base_losses: np.ndarray = field(default_factory=lambda: np.zeros(0))


def plan_of(net: Any) -> NetPlan:
    """Read ``net.layers`` (the book's layout: ``Affine{i}``, ``BatchNorm{i}``, activations, ``Dropout{i}``)."""
    blocks: list[Block] = []
    for name, layer in net.layers.items():
        suffix = name.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
        if isinstance(layer, Affine):
            blocks.append(Block({"W": f"W{suffix}", "b": f"b{suffix}"}, layer))
        elif not blocks:
            raise ValueError(f"fast numerical gradient: the net must start with an Affine layer, got {name}")
        elif isinstance(layer, BatchNormalization):
            blocks[-1].batchnorm = layer
            blocks[-1].keys.update(gamma=f"gamma{suffix}", beta=f"beta{suffix}")
        elif isinstance(layer, Relu):
            blocks[-1].activation = relu_values
        elif isinstance(layer, Sigmoid):
            blocks[-1].activation = sigmoid
        elif isinstance(layer, Dropout):
            blocks[-1].dropout = layer
        else:
            raise ValueError(
                f"fast numerical gradient: layer {name} ({type(layer).__name__}) is not supported; use method='loop'"
            )
    last = net.lastLayer
    if not isinstance(last, SoftmaxWithLoss):
        raise ValueError(f"fast numerical gradient needs a SoftmaxWithLoss last layer, got {type(last).__name__}")
    keys = {key for block in blocks for key in block.keys.values()}
    if keys != set(net.params):
        raise ValueError(f"fast numerical gradient: layers hold {sorted(keys)} but params are {sorted(net.params)}")
    return NetPlan(blocks, last.delta, float(getattr(net, "weight_decay_lambda", 0.0)), np.zeros(0, np.intp))


def per_sample_loss(scores: np.ndarray, labels: np.ndarray, delta: float) -> np.ndarray:
    """``-log(softmax(s)[t] + delta)`` per sample (``-log_softmax(s)[t]`` when ``delta == 0``), as the last layer.

    ``scores`` has the classes on axis 0, shape ``(C, ...)``, and ``labels`` the remaining shape ``(...)``: the
    reductions over the classes then run across whole rows, which is what makes them fast for ten classes.
    """
    shifted = scores - scores.max(axis=0)
    total = np.exp(shifted).sum(axis=0)
    picked = np.take_along_axis(shifted, np.broadcast_to(labels, shifted.shape[1:])[None], axis=0)[0]
    if delta == 0:
        return np.log(total) - picked
    return -np.log(np.exp(picked) / total + delta)


def forward_base(plan: NetPlan, x: np.ndarray) -> float:
    """Run the unperturbed forward pass, keep what each block needs, return the mean cross-entropy."""
    z = np.asarray(x).reshape(len(x), -1)
    for block in plan.blocks:
        xw = z @ block.affine.W
        a = xw + block.affine.b
        out = block.finish(block.normalize(a, axis=0), block.mask())
        active = np.flatnonzero(np.any(z != 0, axis=0))
        block.cache = {"x": z, "active": active, "xT": np.ascontiguousarray(z.T[active]), "xw": xw, "a": a, "z": out}
        block.cache.update(aT=np.ascontiguousarray(a.T), zT=np.ascontiguousarray(out.T))
        z = out
    plan.base_losses = per_sample_loss(z.T, plan.labels, plan.delta)
    return float(np.sum(plan.base_losses) / len(z))


def forward_rows(plan: NetPlan, k: int, pre: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Per-sample losses of independent samples whose block-``k`` pre-activation is ``pre``, shape ``(M, R)``.

    Features on axis 0, one column per row of work; ``samples`` is each column's sample (for labels and masks).
    No batch norm from block ``k`` on.
    """
    z = pre
    for index in range(k, len(plan.blocks)):
        block = plan.blocks[index]
        if index > k:
            z = block.affine.W.T @ z + block.affine.b[:, None]
        mask = block.mask()
        z = block.finish(z, None if mask is None else mask.T[:, samples])
    return per_sample_loss(z, plan.labels[samples], plan.delta)


def forward_batch(plan: NetPlan, k: int, pre: np.ndarray) -> np.ndarray:
    """Per-sample losses ``(P, N)`` of ``P`` whole batches whose block-``k`` pre-activation is ``pre`` ``(P, N, M)``."""
    z = pre
    for index in range(k, len(plan.blocks)):
        block = plan.blocks[index]
        if index > k:
            z = z @ block.affine.W + block.affine.b
        z = block.finish(block.normalize(z), block.mask())
    return per_sample_loss(np.moveaxis(z, -1, 0), plan.labels, plan.delta)


def needs_every_sample(plan: NetPlan, k: int) -> bool:
    """Whether batch norm after block ``k`` couples the samples (then all of them are run forward)."""
    return any(block.batchnorm is not None for block in plan.blocks[k + 1 :])


def batch_loss_changes(plan: NetPlan, k: int, j: int, column: np.ndarray) -> np.ndarray:
    """:func:`loss_changes` with batch norm downstream: every perturbation runs the whole batch forward."""
    blocks, base_z = plan.blocks, plan.blocks[k].cache["z"]
    out = np.empty(len(column))
    width = max(b.affine.W.shape[1] for b in blocks)
    step = max(1, CHUNK_ELEMENTS // (column.shape[1] * width))
    base_total = np.sum(plan.base_losses)
    for start in range(0, len(column), step):
        part = column[start : start + step]
        nxt = blocks[k + 1]
        shift = (part - base_z[:, j])[:, :, None] * nxt.affine.W[j]
        out[start : start + step] = np.sum(forward_batch(plan, k + 1, nxt.cache["a"][None] + shift), axis=-1)
    return out - base_total


def loss_changes(plan: NetPlan, k: int, j: int, column: np.ndarray) -> np.ndarray:
    """``sum_n loss_n - sum_n base_loss_n`` for each of ``P`` new versions of block ``k``'s output column ``j``.

    ``column`` is ``(P, N)``. Returns shape ``(P,)``, in float64. Without batch norm downstream only the samples
    whose entry changed are run forward, from a rank-one update of the next block's pre-activation.
    """
    if needs_every_sample(plan, k):
        return batch_loss_changes(plan, k, j, column)
    blocks, base_zT = plan.blocks, plan.blocks[k].cache["zT"]
    variant, sample = np.nonzero(column != base_zT[j])
    changes = np.empty(len(variant))
    step = max(1, CHUNK_ELEMENTS // max(b.affine.W.shape[1] for b in blocks))
    for start in range(0, len(variant), step):
        v, n = variant[start : start + step], sample[start : start + step]
        new = column[v, n]
        if k == len(blocks) - 1:
            scores = base_zT[:, n]
            scores[j] = new
            losses = per_sample_loss(scores, plan.labels[n], plan.delta)
        else:
            nxt = blocks[k + 1]
            pre = nxt.cache["aT"][:, n] + nxt.affine.W[j][:, None] * (new - base_zT[j, n])
            losses = forward_rows(plan, k + 1, pre, n)
        changes[start : start + step] = losses - plan.base_losses[n]
    return np.bincount(variant, weights=changes, minlength=len(column))


def realized_steps(values: np.ndarray, h: float, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``values + h`` and ``values - h`` as stored in ``values``' dtype (what the loop writes into the array)."""
    plus = (values + h).astype(values.dtype)
    minus = (values - h).astype(values.dtype)
    vanished = plus == minus
    if np.any(vanished):
        idx = tuple(int(i) for i in np.argwhere(vanished)[0])
        raise ValueError(
            f"numerical_gradient: the step h={h} vanishes in {values.dtype} at {key}{list(idx)} = "
            f"{values[idx]}; use a larger h or a wider dtype"
        )
    return plus, minus


def column_variants(block: Block, j: int, plus: dict[str, np.ndarray], minus: dict[str, np.ndarray]) -> np.ndarray:
    """Block output column ``j`` under each perturbation, stacked ``(P, N)`` in the order of :func:`variant_slices`.

    ``plus[role]``/``minus[role]`` hold every element's perturbed value. Rows: ``W[i, j] + h`` for the active
    inputs ``i`` (those not zero in every sample), then ``- h``; ``b[j] +- h``; with batch norm ``gamma[j] +- h``
    and ``beta[j] +- h``.
    """
    cache, W, b, bn = block.cache, block.affine.W, block.affine.b, block.batchnorm
    active, xw = cache["active"], cache["xw"][:, j]
    weights = np.concatenate([plus["W"][active, j], minus["W"][active, j]])
    shift = (weights - np.concatenate([W[active, j], W[active, j]]))[:, None]
    pre_w = (xw + shift * np.concatenate([cache["xT"], cache["xT"]])) + b[j]
    pre_b = xw + np.array([[plus["b"][j]], [minus["b"][j]]])
    pre = np.concatenate([pre_w, pre_b])
    held = block.mask()
    mask = None if held is None else held[:, j]
    if bn is None:
        return block.finish(pre, mask)
    gamma, beta, a = bn.gamma[j], bn.beta[j], cache["a"][:, j]
    rows = [block.normalize(pre, gamma, beta, axis=-1)]
    for g, bt in (
        (plus["gamma"][j], beta),
        (minus["gamma"][j], beta),
        (gamma, plus["beta"][j]),
        (gamma, minus["beta"][j]),
    ):
        rows.append(block.normalize(a[None], g, bt, axis=-1))
    return block.finish(np.concatenate(rows), mask)


def block_gradient(plan: NetPlan, k: int, h: float) -> dict[str, np.ndarray]:
    """Central differences of every parameter of block ``k``, keyed by parameter name."""
    block = plan.blocks[k]
    arrays = {"W": block.affine.W, "b": block.affine.b}
    if block.batchnorm is not None:
        arrays.update(gamma=block.batchnorm.gamma, beta=block.batchnorm.beta)
    plus, minus = {}, {}
    for role, values in arrays.items():
        plus[role], minus[role] = realized_steps(values, h, block.keys[role])
    diffs = {role: np.zeros(values.shape) for role, values in arrays.items()}
    active = block.cache["active"]
    n_active = len(active)
    for j in range(block.affine.W.shape[1]):
        change = loss_changes(plan, k, j, column_variants(block, j, plus, minus))
        diffs["W"][active, j] = change[:n_active] - change[n_active : 2 * n_active]
        for pair, role in enumerate(("b", "gamma", "beta")[: len(arrays) - 1]):
            diffs[role][j] = change[2 * n_active + 2 * pair] - change[2 * n_active + 2 * pair + 1]
    n = len(block.cache["x"])
    grads = {}
    for role, values in arrays.items():
        p64, m64 = plus[role].astype(np.float64), minus[role].astype(np.float64)
        grad = diffs[role] / n / (p64 - m64)
        if role == "W" and plan.weight_decay_lambda:
            grad += 0.5 * plan.weight_decay_lambda * (p64 * p64 - m64 * m64) / (p64 - m64)
        grads[block.keys[role]] = grad.astype(values.dtype, copy=False)
    return grads


#: ``method`` values of the nets' ``numerical_gradient``: by columns (this module) or the book's loop.
NUMERICAL_GRADIENT_METHODS = ("fast", "loop")


def check_method(method: str) -> None:
    """Raise ``ValueError`` unless ``method`` is ``"fast"`` or ``"loop"``."""
    if method not in NUMERICAL_GRADIENT_METHODS:
        raise ValueError(f"method must be one of {NUMERICAL_GRADIENT_METHODS}, got {method!r}")


def fast_numerical_gradient(net: Any, x: np.ndarray, t: np.ndarray, h: float, loss: float) -> dict[str, np.ndarray]:
    """The book's element-by-element central differences of ``net``'s loss, by columns (see the module docstring).

    Args:
        net: a ``TwoLayerNet`` or ``MultiLayerNet(Extend)`` whose layers hold the state of ``loss`` (dropout masks
            drawn and held, batch norm in training mode with its running statistics held).
        x, t: the batch, shapes ``(N, ...)`` and ``(N,)`` or ``(N, C)``.
        h: the step.
        loss: ``net``'s loss of this batch in that state, computed by the caller through the net's own layers; the
            forward pass here must reproduce it, or the net is not one this function understands.

    Returns:
        ``{key: gradient}`` for every key of ``net.params``, each of that parameter's shape and dtype.
    """
    plan = plan_of(net)
    n_classes = plan.blocks[-1].affine.W.shape[1]
    plan.labels = labels_as_indices(t, (len(x), n_classes))
    cross_entropy = forward_base(plan, x)
    decay = 0.5 * plan.weight_decay_lambda * sum(float(np.sum(b.affine.W**2)) for b in plan.blocks)
    reproduced = cross_entropy + decay
    dtype = np.result_type(*(b.affine.W for b in plan.blocks))
    if abs(reproduced - loss) > 64 * np.finfo(dtype).eps * max(1.0, abs(loss)):
        raise RuntimeError(
            f"fast numerical gradient reproduced loss {reproduced!r}, but the net computes {loss!r}; use method='loop'"
        )
    grads: dict[str, np.ndarray] = {}
    for k in range(len(plan.blocks)):
        grads.update(block_gradient(plan, k, h))
    return {key: grads[key] for key in net.params}
