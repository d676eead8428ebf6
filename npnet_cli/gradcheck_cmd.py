"""``npnet gradcheck``: backprop against the numerical gradient, for every element of every parameter of a net.

The net is one of npnet's (``--net``) or a user's class in the book's interface (``--module PATH --class NAME``:
``params``, ``loss``, ``gradient`` and ``numerical_gradient``). Each side is the net's own: ``gradient(x, t)`` and
``numerical_gradient(x, t)`` on the first ``--batch`` MNIST training images. Per parameter the table shows the
book's measure (mean absolute difference), the largest relative difference, and how many elements miss the
bound of the tolerance table, ``|backprop - numerical| <= atol + rtol * |numerical|``.

A central difference ``(L(p + h) - L(p - h)) / 2h`` is not a derivative where a ReLU input crosses zero between
``p - h`` and ``p + h``: the loss has a kink there, and the quotient mixes the two slopes. An element that misses
the bound is re-evaluated at ``p - h``, ``p`` and ``p + h`` with every ReLU input recorded; where some ReLU
changes side, the element straddles a kink and is counted apart (``kinks``), not as a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import inspect
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from npnet.gradient import H
from npnet.layers import BatchNormalization
from npnet.nets import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet
from npnet.tolerances import tolerance
from npnet_cli import argtypes, data

#: The book's ``delta`` inside the log of the cross-entropy error.
BOOK_DELTA = 1e-7
NETS = ("two-layer", "multi-layer", "multi-layer-extend")
#: Seconds per parameter element per sample of the element-by-element loop, measured on one busy CPU core with
#: the default two-layer net (39,760 elements, batch 3, about 11 s): the help's estimate.
LOOP_SECONDS_PER_ELEMENT = 2.8e-4

EPILOG = f"""\
examples:
  npnet gradcheck                                   # TwoLayerNet 784-50-10, 3 MNIST images, every element
  npnet gradcheck --net multi-layer-extend --hidden 20,20 --batchnorm --dropout 0.3 --weight-decay 0.1
  npnet gradcheck --module ch05/two_layer_net.py --class TwoLayerNet --hidden 10

time: npnet's nets compute the numerical gradient by --method fast (default: the same central differences,
column by column from one forward pass; well under a second for the default net). --method loop is the book's
element-by-element loop, two forward passes per parameter element: about {LOOP_SECONDS_PER_ELEMENT * 1e3:.1f} ms per
element at batch 3 on one CPU core, about 10 s for the default net and 30 s for --net multi-layer --hidden 100,100.
A --module net uses its own numerical_gradient (the book's is the loop).
exit status: 0 when every element is within the bound or straddles a ReLU kink, 1 otherwise.
"""


def widths(text: str) -> list[int]:
    """Comma-separated positive layer widths, e.g. ``50`` or ``100,100``."""
    try:
        return [argtypes.positive_int(part) for part in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}") from None


def register(commands: Any) -> None:
    p = commands.add_parser(
        "gradcheck",
        help="backprop against numerical gradients, every parameter of a net",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--net", choices=NETS, default="two-layer", help="npnet's net to check (default two-layer)")
    p.add_argument("--module", type=Path, default=None, help="a .py file holding your own net (with --class)")
    p.add_argument("--class", dest="class_name", default=None, help="the net's class name in --module")
    p.add_argument("--hidden", type=widths, default=None, help="hidden widths, e.g. 50 or 20,20")
    p.add_argument("--batchnorm", action="store_true", help="batch normalization (multi-layer-extend)")
    p.add_argument("--dropout", type=argtypes.fraction, default=0.0, help="dropout ratio (multi-layer-extend)")
    p.add_argument("--weight-decay", type=argtypes.non_negative_float, default=0.0, help="L2 strength lambda")
    p.add_argument("--activation", choices=["relu", "sigmoid"], default="relu")
    p.add_argument("--batch", type=argtypes.positive_int, default=3, help="MNIST images (default 3, as the book)")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and dropout masks (default 0)")
    p.add_argument("--step", type=argtypes.positive_float, default=H, help=f"central-difference step (default {H})")
    p.add_argument(
        "--book-delta",
        action="store_true",
        help="keep the book's 1e-7 in the loss (its backward is the gradient of the delta-free loss; npnet nets)",
    )
    p.add_argument(
        "--method", choices=["fast", "loop"], default="fast", help="npnet nets' numerical gradient (default fast)"
    )
    p.add_argument("--data-dir", default=None, help="folder with the four MNIST files (default: shipped copy)")
    p.set_defaults(run=run)


@dataclass(frozen=True)
class ParamCheck:
    """The comparison of one parameter's backprop and numerical gradients."""

    name: str
    shape: tuple[int, ...]
    mean_abs_diff: float
    max_rel_diff: float
    """Largest ``|b - n| / (|b| + |n|)`` over the elements not at a kink whose ``|b| + |n|`` exceeds ``atol``."""
    misses: int
    """Elements beyond the bound that do not straddle a kink: failures."""
    kinks: int
    """Elements beyond the bound whose central difference straddles a ReLU kink."""

    @property
    def ok(self) -> bool:
        return self.misses == 0


def hidden_sizes(args: argparse.Namespace) -> list[int]:
    if args.hidden is not None:
        return list(args.hidden)
    return [50] if args.net == "two-layer" and args.module is None else [100, 100]


def npnet_net(args: argparse.Namespace, input_size: int, output_size: int) -> Any:
    """One of npnet's nets, as the flags describe it (refusing flags the net does not have)."""
    hidden = hidden_sizes(args)
    delta = 1e-7 if args.book_delta else 0.0
    common: dict[str, Any] = {"rng": args.seed, "dtype": args.dtype, "loss_delta": delta}
    if args.net == "two-layer":
        if len(hidden) != 1 or args.batchnorm or args.dropout or args.weight_decay:
            raise ValueError(
                "--net two-layer takes one --hidden width and no --batchnorm/--dropout/--weight-decay; "
                "use --net multi-layer-extend for those"
            )
        return TwoLayerNet(input_size, hidden[0], output_size, activation=args.activation, **common)
    if args.net == "multi-layer":
        if args.batchnorm or args.dropout:
            raise ValueError("--net multi-layer has no --batchnorm/--dropout; use --net multi-layer-extend")
        return MultiLayerNet(
            input_size, hidden, output_size, args.activation, weight_decay_lambda=args.weight_decay, **common
        )
    return MultiLayerNetExtend(
        input_size,
        hidden,
        output_size,
        args.activation,
        weight_decay_lambda=args.weight_decay,
        use_dropout=args.dropout > 0,
        dropout_ration=args.dropout if args.dropout > 0 else 0.5,
        use_batchnorm=args.batchnorm,
        **common,
    )


def load_user_class(path: Path, class_name: str) -> Any:
    """``class_name`` from the file ``path``, imported with its folder and that folder's parent on ``sys.path``
    (as the book's scripts find ``common``)."""
    path = path.resolve()
    if not path.is_file() or path.suffix != ".py":
        raise ValueError(f"--module: expected a .py file, got {path}")
    for folder in (str(path.parent.parent), str(path.parent)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"npnet_user_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls):
        found = sorted(n for n, v in vars(module).items() if inspect.isclass(v) and v.__module__ == module.__name__)
        raise ValueError(f"--class: {path.name} has no class {class_name!r}; its classes: {', '.join(found) or 'none'}")
    return cls


#: Flags a --module net takes through the book's constructor keywords: flag -> (keyword, value from args, set?).
USER_FLAGS: dict[str, tuple[str, Callable[[argparse.Namespace], Any], Callable[[argparse.Namespace], bool]]] = {
    "--activation": ("activation", lambda a: a.activation, lambda a: a.activation != "relu"),
    "--weight-decay": ("weight_decay_lambda", lambda a: a.weight_decay, lambda a: a.weight_decay > 0),
    "--batchnorm": ("use_batchnorm", lambda a: a.batchnorm, lambda a: a.batchnorm),
    "--dropout": ("dropout_ration", lambda a: a.dropout, lambda a: a.dropout > 0),
}


def user_net(cls: Any, args: argparse.Namespace, input_size: int, output_size: int) -> Any:
    """An instance of the user's class, built with the book's constructor arguments (``input_size``,
    ``hidden_size`` or ``hidden_size_list``, ``output_size``, and the keywords of the flags given). A flag whose
    keyword the constructor lacks is refused by name rather than ignored."""
    parameters = inspect.signature(cls).parameters
    if args.dtype != "float64":
        raise ValueError("--dtype: a --module net keeps the dtype its own code gives it (the book's: float64)")
    hidden = hidden_sizes(args)
    kwargs: dict[str, Any] = {}
    if "input_size" in parameters:
        kwargs["input_size"], kwargs["output_size"] = input_size, output_size
    if "hidden_size_list" in parameters:
        kwargs["hidden_size_list"] = hidden
    elif "hidden_size" in parameters:
        kwargs["hidden_size"] = hidden[0]
    for flag, (keyword, value, given) in USER_FLAGS.items():
        if given(args):
            if keyword not in parameters:
                raise ValueError(f"{flag}: {cls.__name__}'s constructor has no {keyword} parameter")
            kwargs[keyword] = value(args)
    if args.dropout > 0:
        kwargs["use_dropout"] = True
    np.random.seed(args.seed)  # noqa: NPY002 - the book's nets draw their weights from the global generator
    return cls(**kwargs)


def relu_layers(net: Any) -> list[Any]:
    """The ReLU layers of a net in the book's layout (``net.layers``, an ordered dict of layer objects)."""
    layers = getattr(net, "layers", None)
    values = layers.values() if isinstance(layers, dict) else (layers or [])
    return [layer for layer in values if "relu" in type(layer).__name__.lower()]


@contextlib.contextmanager
def recording_relu_sides(net: Any) -> Iterator[list[np.ndarray]]:
    """Within the block, every ReLU forward appends ``x > 0`` of its input to the yielded list."""
    record: list[np.ndarray] = []
    layers = relu_layers(net)
    for layer in layers:
        original = layer.forward

        def forward(x: Any, *rest: Any, _original: Any = original, **kw: Any) -> Any:
            record.append(np.asarray(x) > 0)
            return _original(x, *rest, **kw)

        layer.forward = forward
    try:
        yield record
    finally:
        for layer in layers:
            del layer.forward  # the instance attribute goes; the class's method shows through again


def loss_of(net: Any) -> Callable[[np.ndarray, np.ndarray], Any]:
    """The function the net's numerical gradient differentiates: the training-mode loss where there is one."""
    if "train_flg" in inspect.signature(net.loss).parameters:
        return lambda x, t: net.loss(x, t, train_flg=True)
    return net.loss


def holding(net: Any) -> contextlib.AbstractContextManager[Any]:
    """npnet's ``holding_state`` (dropout masks and running statistics frozen) where the net has it."""
    hold = getattr(net, "holding_state", None)
    return hold() if hold is not None else contextlib.nullcontext()


def straddles_kink(net: Any, param: np.ndarray, index: tuple[int, ...], h: float, x: Any, t: Any) -> bool:
    """Whether some ReLU input changes side between ``param[index] - h`` and ``+ h`` (the others as they are)."""
    loss = loss_of(net)
    original = param[index]
    sides = []
    with recording_relu_sides(net) as record:
        for value in (original - h, original, original + h):
            param[index] = value
            record.clear()
            loss(x, t)
            sides.append(list(record))
    param[index] = original
    base = sides[1]
    return any(
        len(other) != len(base) or any(not np.array_equal(a, b) for a, b in zip(other, base, strict=True))
        for other in (sides[0], sides[2])
    )


def compare_parameter(
    net: Any,
    key: str,
    grads: tuple[np.ndarray, np.ndarray],
    bound: tuple[float, float],
    h: float,
    data: tuple[Any, Any],
) -> ParamCheck:
    """Compare one parameter's gradients element by element; misses are tested for a kink before they count."""
    b, n = (np.asarray(g, dtype=np.float64) for g in grads)
    if b.shape != n.shape:
        raise ValueError(f"gradient {key!r}: backprop has shape {b.shape}, numerical {n.shape}")
    rtol, atol = bound
    diff = np.abs(b - n)
    beyond = ~(diff <= atol + rtol * np.abs(n))  # NaN counts as beyond
    at_kink = np.zeros(b.shape, dtype=bool)
    if np.any(beyond) and relu_layers(net):
        with holding(net):
            for index in zip(*np.nonzero(beyond), strict=True):
                at_kink[index] = straddles_kink(net, net.params[key], index, h, *data)
    scale = np.abs(b) + np.abs(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(at_kink | (scale <= atol), 0.0, diff / scale)  # round-off-sized pairs have no digits
    return ParamCheck(
        name=key,
        shape=b.shape,
        mean_abs_diff=float(np.mean(diff)),
        max_rel_diff=float(np.max(relative, initial=0.0)),
        misses=int(np.sum(beyond & ~at_kink)),
        kinks=int(np.sum(at_kink)),
    )


def numerical_gradient_of(net: Any, x: Any, t: Any, h: float, method: str) -> dict[str, np.ndarray]:
    """The net's own numerical gradient, at step ``h`` and by ``method`` where it takes them."""
    parameters = inspect.signature(net.numerical_gradient).parameters
    kwargs: dict[str, Any] = {}
    if "h" in parameters:
        kwargs["h"] = h
    if "method" in parameters:
        kwargs["method"] = method
    return net.numerical_gradient(x, t, **kwargs)


def check_net(
    net: Any, x: Any, t: Any, h: float, bound: tuple[float, float], method: str = "fast"
) -> tuple[list[ParamCheck], str]:
    """Backprop against numerical gradient for every key of ``net.params``; and the convention that explains the
    misses, if one does ('' otherwise).

    The book's loss is ``-mean(log(y_t + delta))`` but its backward is the gradient of the loss without ``delta``,
    so the two sides differ by about ``delta / y_t``, which shows where ``y_t`` is small (saturated softmax after
    batch norm). Where the plain comparison misses, it is repeated against the gradient of the loss with ``delta``
    (the net's own backward with the last layer's output gradient rescaled by ``y_t / (y_t + delta)``); if that
    passes, the misses were the convention, not a slip.
    """
    keys = list(net.params)
    backprop = net.gradient(x, t)  # first: its training forward draws the dropout masks the numerical side holds
    numerical = numerical_gradient_of(net, x, t, h, method)
    for name, grads in (("gradient", backprop), ("numerical_gradient", numerical)):
        missing = [k for k in keys if k not in grads]
        if missing:
            raise ValueError(f"{name}(x, t) returned no entry for {', '.join(missing)} (params has {keys})")
    checks = [compare_parameter(net, k, (backprop[k], numerical[k]), bound, h, (x, t)) for k in keys]
    delta = loss_delta(net)
    if all(c.ok for c in checks) or delta == 0:
        return checks, ""
    with_delta = gradient_with_delta(net, x, t, delta)
    again = [compare_parameter(net, k, (with_delta[k], numerical[k]), bound, h, (x, t)) for k in keys]
    if not all(c.ok for c in again):
        return checks, ""
    return again, (
        f"the loss has the book's delta {delta:g} inside the log and backprop differentiates the loss without it; "
        f"against the gradient of the loss with delta (the net's own backward, output gradient rescaled by "
        f"y_t / (y_t + delta)) every element is within the bound"
    )


def last_layer(net: Any) -> Any:
    return getattr(net, "lastLayer", None) or getattr(net, "last_layer", None)


def loss_delta(net: Any) -> float:
    """The ``delta`` of the net's softmax-with-loss layer: its ``delta`` attribute, else the book's 1e-7 for a layer
    that keeps ``y`` and ``t`` (the book's), else 0."""
    layer = last_layer(net)
    if layer is None or not hasattr(layer, "backward"):
        return 0.0
    return float(getattr(layer, "delta", BOOK_DELTA))


def gradient_with_delta(net: Any, x: Any, t: Any, delta: float) -> dict[str, np.ndarray]:
    """``net.gradient(x, t)`` with the last layer's ``dx`` multiplied row by row by ``y_t / (y_t + delta)``: the
    gradient of ``-mean(log(y_t + delta))``, through the net's own layers (dropout masks and statistics held)."""
    layer = last_layer(net)
    original = layer.backward

    def backward(dout: Any = 1) -> Any:
        dx = original(dout)
        y, labels = np.asarray(layer.y), np.asarray(layer.t)
        index = labels.argmax(axis=1) if labels.ndim == 2 else labels.astype(int)
        y_t = y[np.arange(y.shape[0]), index]
        return dx * (y_t / (y_t + delta))[:, None]

    layer.backward = backward
    try:
        with holding(net):
            return net.gradient(x, t)
    finally:
        del layer.backward


def describe(args: argparse.Namespace, net: Any) -> str:
    sizes = "-".join(str(np.shape(net.params[k])[0]) for k in net.params if k.startswith("W"))
    sizes += f"-{np.shape(net.params[[k for k in net.params if k.startswith('W')][-1]])[-1]}"
    name = args.class_name if args.module is not None else type(net).__name__
    extras = [args.activation]
    extras += ["batch norm"] if args.batchnorm else []
    extras += [f"dropout {args.dropout}"] if args.dropout else []
    extras += [f"weight decay {args.weight_decay}"] if args.weight_decay else []
    loss = "the book's delta 1e-7 in the loss" if args.book_delta else "exact loss (delta 0)"
    if args.module is not None:
        loss = "the net's own loss"
    return f"{name} {sizes} ({', '.join(extras)}, {args.dtype}), {loss}"


def print_table(checks: list[ParamCheck], bound: tuple[float, float]) -> None:
    print(f"{'param':<8} {'shape':<12} {'mean |diff|':>12} {'max rel':>10} {'misses':>7} {'kinks':>6}  verdict")
    for c in checks:
        verdict = "ok" if c.ok else "FAIL"
        shape = "x".join(map(str, c.shape)) or "scalar"
        print(
            f"{c.name:<8} {shape:<12} {c.mean_abs_diff:12.3e} {c.max_rel_diff:10.3e} {c.misses:7d} {c.kinks:6d}  "
            f"{verdict}"
        )
    rtol, atol = bound
    print(f"bound: |backprop - numerical| <= {atol:g} + {rtol:g} * |numerical| (the tolerance table, 'numerical')")


def run(args: argparse.Namespace) -> int:
    if (args.module is None) != (args.class_name is None):
        raise ValueError("--module and --class go together: --module PATH --class NAME")
    if args.batchnorm and args.batch < 2 and not BatchNormalization.allow_single_sample:
        raise ValueError(
            "--batch: batch norm in training mode needs at least 2 samples (a batch of one normalizes to beta and "
            "every other gradient is 0, which is why torch refuses it), got 1"
        )
    (x_train, t_train), _ = data.mnist(args)
    x, t = x_train[: args.batch].astype(args.dtype), t_train[: args.batch]
    if args.module is not None:
        net = user_net(load_user_class(args.module, args.class_name), args, x.shape[1], 10)
    else:
        net = npnet_net(args, x.shape[1], 10)
    bound = tolerance(args.dtype, "numerical")
    size = sum(int(np.size(p)) for p in net.params.values())
    print(f"{describe(args, net)}: {size} parameter elements, batch {args.batch}, step {args.step:g}", flush=True)
    started = time.perf_counter()
    checks, convention = check_net(net, x, t, args.step, bound, args.method)
    print_table(checks, bound)
    if convention:
        print(f"convention: {convention}")
    failed = [c.name for c in checks if not c.ok]
    kinks = sum(c.kinks for c in checks)
    if kinks:
        print(f"{kinks} element(s) straddle a ReLU kink: their central difference is not a derivative, not counted")
    seconds = time.perf_counter() - started
    if failed:
        print(f"FAIL: {', '.join(failed)} beyond the bound ({seconds:.1f} s)")
        return 1
    print(f"every element of every parameter within the bound ({seconds:.1f} s)")
    if args.dtype == "float32":
        print("float32: the loss's own round-off (about 1e-3 here) limits this check to gross slips; use float64")
    return 0
