"""``npnet train`` end to end on a short run: the table's npnet and torch columns agree, and bad input is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from npnet.datasets import load_mnist
from npnet.nets import TwoLayerNet
from npnet.rng import as_generator
from npnet.train import minibatch_schedule
from npnet_cli.main import main

#: Round-off drift of the weights after 700 float64 SGD steps (the trajectory tests hold 1e-10 after 150).
WEIGHT_GAP = 1e-10


def epoch_rows(out: str) -> list[list[str]]:
    """The table's rows: ``epoch iter | train test | train test | gap`` split on ``|`` and spaces."""
    rows = []
    for line in out.splitlines():
        parts = [p.split() for p in line.split("|")]
        if len(parts) == 4 and parts[0] and parts[0][0].isdigit():
            rows.append([cell for part in parts for cell in part])
    return rows


def test_train_prints_both_sides_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--iters", "700", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    rows = epoch_rows(out)
    assert [row[:2] for row in rows] == [["0", "0"], ["1", "600"]]
    for _, _, np_train, np_test, torch_train, torch_test, gap in rows:
        assert (np_train, np_test) == (torch_train, torch_test)
        assert float(gap) < WEIGHT_GAP
    assert float(rows[-1][3]) > 0.85  # one epoch of the book's SGD reaches about 0.9 test accuracy


def test_train_without_oracle_matches_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    """The first report follows the book: after one SGD step (lr 0.1) on the first mini-batch, the accuracy of the
    seeded net, recomputed here step by step."""
    assert main(["train", "--iters", "1", "--no-oracle", "--seed", "4"]) == 0
    rows = epoch_rows(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0][4:] == ["-", "-", "-"]
    (x_train, t_train), (x_test, t_test) = load_mnist()
    gen = as_generator(4)
    net = TwoLayerNet(784, 50, 10, rng=gen)
    (batch,) = minibatch_schedule(len(x_train), 100, 1, gen)
    grads = net.gradient(x_train[batch], t_train[batch])
    for key, grad in grads.items():
        net.params[key] -= 0.1 * grad
    assert float(rows[0][2]) == pytest.approx(net.accuracy(x_train, t_train), abs=5e-5)
    assert float(rows[0][3]) == pytest.approx(net.accuracy(x_test, t_test), abs=5e-5)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--iters", "0"], "--iters: expected a positive integer, got 0"),
        (["--batch-size", "ten"], "--batch-size: expected a positive integer, got 'ten'"),
        (["--lr", "-0.1"], "--lr: expected a finite number > 0, got -0.1"),
        (["--lr", "nan"], "--lr: expected a finite number > 0, got nan"),
        (["--activation", "tanh"], "--activation: invalid choice: 'tanh'"),
    ],
)
def test_bad_arguments_are_refused(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_data_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--iters", "1", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("npnet: error: MNIST file train-images-idx3-ubyte.gz") and str(tmp_path) in err
    assert "Traceback" not in err


def test_unknown_device_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--iters", "1", "--device", "gpu0"]) == 1
    assert "expected a torch device such as 'cpu' or 'cuda', got 'gpu0'" in capsys.readouterr().err
