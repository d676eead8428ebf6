"""The table of bad inputs and what each gets: the tests run every row, and ``docs/errors.md`` is rendered from it.

Each :class:`Case` is one bad input: ``given`` (what the user wrote, for the doc), ``call`` (a function doing it),
the exception type and a literal fragment of its message. ``tests/npnet/test_errors.py`` runs the NumPy-only rows,
``tests/parity/test_errors_oracle.py`` the rows that need PyTorch (``torch=True``), and a test checks that
``docs/errors.md`` is exactly :func:`render` of this table, so a doc row without a test cannot exist.

Regenerate the doc after editing the table: ``python -m tests.error_cases > docs/errors.md``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from npnet import functions as F
from npnet import layers as L
from npnet import optim
from npnet.nets import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet
from npnet.search import SearchSpace, Trial, TrialResult, best_trials, random_search, sample_trials
from npnet.train import Trainer, train_network

#: The file layout of ``npnet.serialization`` (spelled out: the table must import on older code too).
VERSION_KEY, CONFIG_KEY = "__npnet_format__", "__npnet_config__"


@dataclass(frozen=True)
class Case:
    """One bad input: where it goes (``area``), what the user wrote (``given``), and the error it must raise."""

    id: str
    area: str
    given: str
    call: Callable[[], Any]
    error: type[Exception]
    message: str
    torch: bool = False


@contextmanager
def _tmp_file(name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        yield Path(d) / name


def _net() -> TwoLayerNet:
    return TwoLayerNet(4, 3, 2, rng=0)


def _assign(key: str, value: Any) -> Callable[[], None]:
    def call() -> None:
        _net().params[key] = value

    return call


def _delete_w1() -> None:
    del _net().params["W1"]


def _load_into(net: Any, arrays: dict[str, Any], raw: bool = False) -> Callable[[], None]:
    """Save ``net`` (or ``arrays`` alone with ``raw``), overwrite some arrays with ``arrays``, load into ``net``."""

    def call() -> None:
        with _tmp_file("p.npz") as path:
            net.save_params(path)
            with np.load(path, allow_pickle=False) as data:
                stored = {k: data[k] for k in data.files}
            np.savez(path, **(arrays if raw else {**stored, **arrays}))
            net.load_params(path)

    return call


def _load_other_shape() -> None:
    with _tmp_file("p.npz") as path:
        TwoLayerNet(5, 3, 2, rng=0).save_params(path)
        _net().load_params(path)


def _load_not_npz() -> None:
    with _tmp_file("p.npz") as path:
        path.write_text("not an archive")
        _net().load_params(path)


def _update(opt: optim.Optimizer, params: dict[str, Any], grads: dict[str, Any]) -> Callable[[], None]:
    return lambda: opt.update(params, grads)


def _bn_net() -> MultiLayerNetExtend:
    return MultiLayerNetExtend(3, [4], 2, use_batchnorm=True, rng=0)


def _data(t_train: Any, n: int = 6) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).standard_normal((n, 4))
    return x, t_train, x, np.zeros(n, dtype=np.int64)


def _twin_accuracy() -> None:
    from oracle.nets import twin_of

    twin_of(_net()).accuracy(np.ones((2, 4)), np.array([5, 7]))


def _twin_loss(t: Any) -> Callable[[], None]:
    def call() -> None:
        from oracle.nets import twin_of

        twin_of(_net()).loss(np.ones((2, 4)), t)

    return call


def _twin_sgd_training_nan_lr() -> None:
    from oracle.nets import twin_of
    from oracle.train import sgd_training

    sgd_training(twin_of(_net()), *_data(np.zeros(6, np.int64)), np.zeros((1, 2), np.int64), learning_rate=np.nan)


def _twin_trainer() -> None:
    from oracle.nets import twin_of
    from oracle.train import Trainer as TwinTrainer

    TwinTrainer(twin_of(_net()), *_data(np.array([0, 1, 2, 0, 1, 0])), verbose=False)


def _result(acc: float) -> TrialResult:
    return TrialResult(Trial(0, 0.01, 1e-6, 0), (acc,), (acc,))


class CommandError(Exception):
    """What a failed ``npnet`` command showed: its exit status and the last line it wrote to stderr."""


def _npnet(*argv: str) -> Callable[[], None]:
    """Run ``npnet ARGV`` in-process; a non-zero exit becomes :class:`CommandError` ``"exit N: <stderr line>"``."""

    def call() -> None:
        import contextlib
        import io

        from npnet_cli.main import main

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                status = main(list(argv))
            except SystemExit as stop:  # argparse refuses a flag with exit status 2
                status = int(stop.code or 0)
        if status != 0:
            last = err.getvalue().strip().splitlines()[-1:] or [""]
            raise CommandError(f"exit {status}: {last[0]}")

    return call


def _cli_cases() -> list[Case]:
    """The command line's refusals (run with the whole suite: the CLI needs the oracle and experiments extras)."""
    rows = [
        ("cli-seed", "npnet train --seed -1", "exit 2: npnet train: error: argument --seed: expected an integer >= 0"),
        ("cli-device-no-oracle", "npnet train --device cuda --no-oracle", "exit 1: npnet: error: --device cuda:"),
        ("cli-device-mps", "npnet train --device mps", "exit 1: npnet: error: --device mps:"),
        ("cli-device-bogus", "npnet train --device potato", "exit 1: npnet: error: --device potato:"),
        ("cli-plot-folder", "npnet train --plot /nonexistent/x.png", "exit 2: npnet train: error: argument --plot:"),
        ("cli-save-suffix", "npnet train --save net.txt", "exit 2: npnet train: error: argument --save: expected"),
        (
            "cli-gradcheck-bn-one",
            "npnet gradcheck --net multi-layer-extend --batchnorm --batch 1",
            "exit 1: npnet: error: --batch: batch norm in training mode needs at least 2 samples",
        ),
    ]
    return [
        Case(id_, "cli", f"`{given}`", _npnet(*given.split()[1:]), CommandError, message, torch=True)
        for id_, given, message in rows
    ]


def _nan_grad_cases() -> list[Case]:
    cases = []
    for name, cls in optim.OPTIMIZERS.items():
        cases.append(
            Case(
                f"nan-gradient-{name}",
                "optimizers",
                f"`{cls.__name__}().update({{'w': np.zeros(2)}}, {{'w': np.array([nan, 0.0])}})`",
                _update(cls(), {"w": np.zeros(2)}, {"w": np.array([np.nan, 0.0])}),
                ValueError,
                "grads['w'] holds nan or inf",
            )
        )
    return cases


CASES: list[Case] = [
    # 1. live parameters
    Case(
        "params-shape",
        "parameters",
        "`net.params['W1'] = np.ones((5, 3))` on `TwoLayerNet(4, 3, 2)`",
        _assign("W1", np.ones((5, 3))),
        ValueError,
        "params['W1']: expected shape (4, 3), got (5, 3)",
    ),
    Case(
        "params-dtype",
        "parameters",
        "`net.params['W1'] = np.ones((4, 3), np.float32)` on a float64 net",
        _assign("W1", np.ones((4, 3), np.float32)),
        TypeError,
        "expected dtype float64 (the network's), got float32",
    ),
    Case(
        "params-nan",
        "parameters",
        "`net.params['b1'] = np.array([0, nan, 0])`",
        _assign("b1", np.array([0.0, np.nan, 0.0])),
        ValueError,
        "params['b1'] holds non-finite values",
    ),
    Case(
        "params-list",
        "parameters",
        "`net.params['b1'] = [0, 0, 0]` (not an array)",
        _assign("b1", [0.0, 0.0, 0.0]),
        TypeError,
        "params['b1'] must be a numpy.ndarray",
    ),
    Case(
        "params-add",
        "parameters",
        "`net.params['W3'] = np.ones((2, 2))` (a key the net does not have)",
        _assign("W3", np.ones((2, 2))),
        KeyError,
        "keys are fixed",
    ),
    Case(
        "params-delete",
        "parameters",
        "`del net.params['W1']`",
        _delete_w1,
        TypeError,
        "params entries cannot be deleted ('W1')",
    ),
    # 3. saves
    Case(
        "load-other-shape",
        "saves",
        "`TwoLayerNet(4, 3, 2).load_params(f)` of a file saved by `TwoLayerNet(5, 3, 2)`",
        _load_other_shape,
        ValueError,
        "saved from a network of another shape",
    ),
    Case(
        "load-nan",
        "saves",
        "`load_params` of a file whose `W1` holds nan",
        _load_into(_net(), {"W1": np.full((4, 3), np.nan)}),
        ValueError,
        "array 'W1' holds non-finite values",
    ),
    Case(
        "load-overflow",
        "saves",
        "`load_params` of 1e300 into a float32 net",
        _load_into(TwoLayerNet(4, 3, 2, rng=0, dtype=np.float32), {"b2": np.full(2, 1e300)}),
        ValueError,
        "array 'b2' overflows float32",
    ),
    Case(
        "load-no-running-stats",
        "saves",
        "batch-norm net `load_params` of a parameters-only (format 0) file",
        _load_into(_bn_net(), {k: v for k, v in _bn_net().params.items()}, raw=True),
        ValueError,
        "missing ['running_mean1', 'running_var1']",
    ),
    Case(
        "load-complex",
        "saves",
        "`load_params` of a file whose `W2` is complex",
        _load_into(_net(), {"W2": np.ones((3, 2), complex)}),
        ValueError,
        "array 'W2' has dtype complex128",
    ),
    Case(
        "load-future-version",
        "saves",
        "`load_params` of a file of format version 99",
        _load_into(_net(), {VERSION_KEY: np.array(99)}),
        ValueError,
        "format version 99; this npnet reads 1 and 0",
    ),
    Case(
        "load-not-npz",
        "saves",
        "`load_params` of a file that is not an `.npz`",
        _load_not_npz,
        ValueError,
        "not a readable .npz file",
    ),
    Case(
        "load-no-config",
        "saves",
        "`load_params` of a file whose configuration entry was removed",
        _load_into(_net(), {**{k: v for k, v in _net().params.items()}, VERSION_KEY: np.array(1)}, raw=True),
        ValueError,
        f"no entry {CONFIG_KEY!r}",
    ),
    # 4. labels
    Case(
        "accuracy-labels-too-large",
        "labels",
        "`TwoLayerNet(4, 3, 2).accuracy(x, [5, 7])`",
        lambda: _net().accuracy(np.ones((2, 4)), np.array([5, 7])),
        ValueError,
        "index labels must lie in [0, 2); got 5",
    ),
    Case(
        "accuracy-one-hot-width",
        "labels",
        "`TwoLayerNet(4, 3, 2).accuracy(x, one_hot_of_width_3)`",
        lambda: _net().accuracy(np.ones((2, 4)), np.eye(3)[:2]),
        ValueError,
        "labels must be one-hot with shape (2, 2)",
    ),
    Case(
        "accuracy-negative-labels",
        "labels",
        "`MultiLayerNet(4, [3], 2).accuracy(x, [-1, 0])`",
        lambda: MultiLayerNet(4, [3], 2, rng=0).accuracy(np.ones((2, 4)), np.array([-1, 0])),
        ValueError,
        "index labels must lie in [0, 2); got -1",
    ),
    Case(
        "accuracy-fractional-labels",
        "labels",
        "`MultiLayerNetExtend(4, [3], 2).accuracy(x, [0.5, 1.0])`",
        lambda: MultiLayerNetExtend(4, [3], 2, rng=0).accuracy(np.ones((2, 4)), np.array([0.5, 1.0])),
        ValueError,
        "index labels must be whole numbers",
    ),
    Case(
        "labels-complex",
        "labels",
        "`net.loss(x, np.array([0j, 1j]))`",
        lambda: _net().loss(np.ones((2, 4)), np.array([0j, 1j])),
        TypeError,
        "labels must be a real numeric array",
    ),
    Case(
        "trainer-labels",
        "labels",
        "`Trainer(TwoLayerNet(4, 3, 2), x, [0, 1, 2, ...], ...)`",
        lambda: Trainer(_net(), *_data(np.array([0, 1, 2, 0, 1, 0])), verbose=False),
        ValueError,
        "train set labels: index labels must lie in [0, 2); got 2",
    ),
    Case(
        "search-labels",
        "labels",
        "`random_search(x, [-1, 0, 1, ...])`",
        lambda: random_search(np.ones((10, 4)), np.array([-1, 0, 1, 0, 1, 0, 1, 0, 1, 0]), n_trials=1),
        ValueError,
        "search labels: index labels must lie in [0, 2); got -1",
    ),
    Case(
        "twin-accuracy-labels",
        "labels",
        "`oracle.nets.twin_of(net).accuracy(x, [5, 7])`",
        _twin_accuracy,
        ValueError,
        "index labels must lie in [0, 2); got 5",
        torch=True,
    ),
    Case(
        "twin-loss-labels-too-large",
        "labels",
        "`oracle.nets.twin_of(net).loss(x, [5, 7])`",
        _twin_loss(np.array([5, 7])),
        ValueError,
        "index labels must lie in [0, 2); got 5",
        torch=True,
    ),
    Case(
        "twin-loss-fractional-labels",
        "labels",
        "`oracle.nets.twin_of(net).loss(x, [0.5, 1.0])`",
        _twin_loss(np.array([0.5, 1.0])),
        ValueError,
        "index labels must be whole numbers",
        torch=True,
    ),
    Case(
        "twin-trainer-labels",
        "labels",
        "`oracle.train.Trainer(twin, x, [0, 1, 2, ...], ...)` for 2 classes",
        _twin_trainer,
        ValueError,
        "train set labels: index labels must lie in [0, 2); got 2",
        torch=True,
    ),
    # 5. functions
    Case(
        "cross-entropy-not-probabilities",
        "functions",
        "`cross_entropy_error([[5., 2.]], [0])`",
        lambda: F.cross_entropy_error(np.array([[5.0, 2.0]]), np.array([0])),
        ValueError,
        "y must be probabilities in [0, 1] (softmax output), got 5.0 at (0, 0)",
    ),
    Case(
        "cross-entropy-negative",
        "functions",
        "`cross_entropy_error([[-0.5, 1.5]], [1])`",
        lambda: F.cross_entropy_error(np.array([[-0.5, 1.5]]), np.array([1])),
        ValueError,
        "y must be probabilities in [0, 1] (softmax output), got -0.5",
    ),
    Case(
        "sum-squared-error-complex",
        "functions",
        "`sum_squared_error(np.ones(2), np.array([1j, 1j]))`",
        lambda: F.sum_squared_error(np.ones(2), np.array([1j, 1j])),
        TypeError,
        "t must be a real numeric array",
    ),
    Case(
        "softmax-complex",
        "functions",
        "`softmax(np.array([1j, 2.0]))`",
        lambda: F.softmax(np.array([1j, 2.0])),
        TypeError,
        "x must be a real numeric array",
    ),
    Case(
        "relu-complex",
        "functions",
        "`relu(np.array([1j]))`",
        lambda: F.relu(np.array([1j])),
        TypeError,
        "x must be a real numeric array",
    ),
    Case(
        "affine-complex",
        "functions",
        "`TwoLayerNet(4, 3, 2).predict(np.ones((1, 4), complex))`",
        lambda: _net().predict(np.ones((1, 4), complex)),
        TypeError,
        "Affine input x must be a real numeric array",
    ),
    # 5. settings
    Case(
        "weight-decay-nan",
        "settings",
        "`MultiLayerNetExtend(4, [3], 2, weight_decay_lambda=nan)`",
        lambda: MultiLayerNetExtend(4, [3], 2, weight_decay_lambda=np.nan),
        ValueError,
        "weight_decay_lambda must be a finite number in [0, inf], got nan",
    ),
    Case(
        "weight-init-nan",
        "settings",
        "`TwoLayerNet(4, 3, 2, weight_init_std=nan)`",
        lambda: TwoLayerNet(4, 3, 2, weight_init_std=np.nan),
        ValueError,
        "weight_init_std must be a finite number",
    ),
    Case(
        "weight-init-negative",
        "settings",
        "`MultiLayerNet(4, [3], 2, weight_init_std=-1.0)`",
        lambda: MultiLayerNet(4, [3], 2, weight_init_std=-1.0),
        ValueError,
        "weight_init_std must be a finite number",
    ),
    Case(
        "loss-delta-negative",
        "settings",
        "`TwoLayerNet(4, 3, 2, loss_delta=-1)`",
        lambda: TwoLayerNet(4, 3, 2, loss_delta=-1),
        ValueError,
        "loss_delta must be a finite number in [0, inf]",
    ),
    Case(
        "batchnorm-eps-negative",
        "settings",
        "`BatchNormalization(np.ones(3), np.zeros(3), eps=-1)`",
        lambda: L.BatchNormalization(np.ones(3), np.zeros(3), eps=-1),
        ValueError,
        "BatchNormalization eps must be a finite number in (0, inf]",
    ),
    Case(
        "adam-eps-zero",
        "settings",
        "`Adam(eps=0)`",
        lambda: optim.Adam(eps=0),
        ValueError,
        "eps must be a finite number in (0, inf], got 0",
    ),
    Case(
        "adagrad-eps-zero",
        "settings",
        "`AdaGrad(eps=0)`",
        lambda: optim.AdaGrad(eps=0),
        ValueError,
        "eps must be a finite number in (0, inf], got 0",
    ),
    Case(
        "rmsprop-eps-nan",
        "settings",
        "`RMSprop(eps=nan)`",
        lambda: optim.RMSprop(eps=np.nan),
        ValueError,
        "eps must be a finite number in (0, inf]",
    ),
    Case(
        "sgd-lr-negative",
        "settings",
        "`SGD(lr=-0.1)`",
        lambda: optim.SGD(lr=-0.1),
        ValueError,
        "lr must be a finite number in [0, inf], got -0.1",
    ),
    Case(
        "train-network-lr-negative",
        "settings",
        "`train_network(net, ..., learning_rate=-1)`",
        lambda: train_network(_net(), *_data(np.zeros(6, np.int64)), iters_num=1, learning_rate=-1, verbose=False),
        ValueError,
        "learning_rate must be a finite number in [0, inf], got -1",
    ),
    Case(
        "train-network-lr-nan",
        "settings",
        "`train_network(net, ..., learning_rate=nan)`",
        lambda: train_network(_net(), *_data(np.zeros(6, np.int64)), iters_num=1, learning_rate=np.nan, verbose=False),
        ValueError,
        "learning_rate must be a finite number in [0, inf], got nan",
    ),
    Case(
        "twin-sgd-training-lr-nan",
        "settings",
        "`oracle.train.sgd_training(twin, ..., learning_rate=nan)`",
        _twin_sgd_training_nan_lr,
        ValueError,
        "learning_rate must be a finite number in [0, inf], got nan",
        torch=True,
    ),
    Case(
        "float16-net",
        "settings",
        "`TwoLayerNet(4, 3, 2, dtype=np.float16)`",
        lambda: TwoLayerNet(4, 3, 2, dtype=np.float16),
        ValueError,
        "float64 or float32; got float16",
    ),
    Case(
        "float16-optimizer",
        "settings",
        "`Adam().update({'w': np.zeros(2, np.float16)}, ...)`",
        _update(optim.Adam(), {"w": np.zeros(2, np.float16)}, {"w": np.ones(2)}),
        TypeError,
        "(float64 or float32, updated in place) or a real number, got float16 array",
    ),
    Case(
        "batchnorm-batch-of-one",
        "settings",
        "batch-norm net `gradient(x[:1], t[:1])` (training on one sample)",
        lambda: _bn_net().gradient(np.ones((1, 3)), np.array([0])),
        ValueError,
        "BatchNormalization in training mode needs more than 1 sample",
    ),
    Case(
        "best-trials-negative",
        "settings",
        "`best_trials(results, -1)`",
        lambda: best_trials([_result(0.5), _result(0.6)], -1),
        ValueError,
        "k must be a positive int, got -1",
    ),
    Case(
        "best-trials-zero",
        "settings",
        "`best_trials(results, 0)`",
        lambda: best_trials([_result(0.5)], 0),
        ValueError,
        "k must be a positive int, got 0",
    ),
    Case(
        "count-bool",
        "settings",
        "`Trainer(net, ..., epochs=True)` (a bool is not a count)",
        lambda: Trainer(_net(), *_data(np.zeros(6, np.int64)), epochs=True, verbose=False),
        ValueError,
        "epochs must be a positive int, got True",
    ),
    Case(
        "batch-size-bool",
        "settings",
        "`train_network(net, ..., batch_size=True)`",
        lambda: train_network(_net(), *_data(np.zeros(6, np.int64)), iters_num=1, batch_size=True, verbose=False),
        ValueError,
        "batch_size must be a positive int, got True",
    ),
    Case(
        "trials-bool",
        "settings",
        "`sample_trials(True)`",
        lambda: sample_trials(True),
        ValueError,
        "the number of trials must be a positive int, got True",
    ),
    Case(
        "size-bool",
        "settings",
        "`TwoLayerNet(True, 3, 2)`",
        lambda: TwoLayerNet(True, 3, 2),
        ValueError,
        "input_size must be a positive int, got True",
    ),
    Case(
        "search-space-nan",
        "settings",
        "`SearchSpace(lr_exponents=(nan, -2))`",
        lambda: SearchSpace(lr_exponents=(np.nan, -2.0)),
        ValueError,
        "lr_exponents must be a finite number",
    ),
    *_nan_grad_cases(),
    Case(
        "inf-gradient-adam",
        "optimizers",
        "`Adam().update({'w': np.zeros(2)}, {'w': np.array([inf, 0.0])})`",
        _update(optim.Adam(), {"w": np.zeros(2)}, {"w": np.array([np.inf, 0.0])}),
        ValueError,
        "grads['w'] holds nan or inf",
    ),
    *_cli_cases(),
]

AREAS = {
    "parameters": "Live parameters (`net.params`)",
    "saves": "Saved files (`save_params` / `load_params`)",
    "labels": "Labels (`loss`, `accuracy`, `Trainer`, the search, the twins)",
    "functions": "Functions and layers",
    "settings": "Settings",
    "optimizers": "Gradients given to the optimizers",
    "cli": "The command line (exit status and the one line on stderr; Ctrl-C: one line, exit 130)",
}

HEADER = """# Bad inputs and what they get

Every bad input npnet refuses, with the exception and (part of) its message. Generated from the table the tests run
(`tests/error_cases.py`): each row below is a test, and a test fails if this file and the table differ.
Regenerate with `python -m tests.error_cases > docs/errors.md`.
"""


def render() -> str:
    """``docs/errors.md``: one section per area, one row per case."""
    lines = [HEADER.rstrip("\n")]
    for area, title in AREAS.items():
        lines += ["", f"## {title}", "", "| Case | Bad input | What you get |", "|---|---|---|"]
        for case in CASES:
            if case.area == area:
                message = case.message.replace("|", "\\|")
                lines.append(f"| `{case.id}` | {case.given} | `{case.error.__name__}`: {message} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
