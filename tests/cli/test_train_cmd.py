"""``npnet train`` end to end on short runs: every net and optimizer, the table's npnet and torch columns agree, and
bad flags are refused by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from npnet.datasets import load_mnist
from npnet.nets import TwoLayerNet
from npnet.rng import as_generator
from npnet.train import minibatch_schedule
from npnet_cli.main import main
from tests.tolerances import tolerance

#: Round-off drift of the weights over a float64 training run: the trajectory bound of the tolerance table.
WEIGHT_GAP = tolerance("float64", "trajectory")[1]
#: A tiny budget: 500 training samples in batches of 50 (10 steps an epoch), accuracy on 200 samples.
TINY = ["--train-size", "500", "--batch-size", "50", "--eval-samples", "200"]


def epoch_rows(out: str) -> list[list[str]]:
    """The table's rows: ``epoch iter | train test | train test | gap`` split on ``|`` and spaces."""
    rows = []
    for line in out.splitlines():
        parts = [p.split() for p in line.split("|")]
        if len(parts) in (4, 5) and parts[0] and parts[0][0].isdigit():
            rows.append([cell for part in parts for cell in part])
    return rows


def test_train_prints_both_sides_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--iters", "601", "--seed", "1"]) == 0  # one step past the epoch's 600: its row
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
    "argv",
    [
        ["--net", "two-layer", "--hidden", "20", "--optimizer", "momentum", "--lr", "0.05", "--activation", "sigmoid"],
        [
            "--net",
            "multi-layer",
            "--hidden",
            "30,20",
            "--optimizer",
            "adagrad",
            "--weight-decay",
            "0.01",
            "--init",
            "he",
        ],
        ["--net", "multi-layer", "--hidden", "30,20,10", "--optimizer", "nesterov", "--init", "0.05"],
        ["--net", "multi-layer-extend", "--hidden", "30,20", "--batchnorm", "--dropout", "0.3", "--optimizer", "adam"],
        [
            "--net",
            "multi-layer-extend",
            "--hidden",
            "20",
            "--dropout",
            "0.5",
            "--optimizer",
            "rmsprop",
            "--init",
            "xavier",
        ],
    ],
    ids=[
        "two-layer-momentum",
        "multi-layer-adagrad-decay",
        "multi-layer-nesterov",
        "extend-bn-dropout-adam",
        "extend-rmsprop",
    ],
)
def test_every_net_and_optimizer_trains_in_lockstep_with_its_twin(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", *argv, *TINY, "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    rows = epoch_rows(out)
    assert [row[:2] for row in rows] == [["0", "0"], ["1", "10"], ["2", "20"]]
    for _, _, np_train, np_test, torch_train, torch_test, gap in rows:
        assert (np_train, np_test) == (torch_train, torch_test)
        assert float(gap) < WEIGHT_GAP
    assert "final test accuracy: npnet" in out and "torch twin" in out


def test_iters_runs_exactly_that_many_steps(tmp_path: Path) -> None:
    history = tmp_path / "h.json"
    assert main(["train", *TINY, "--iters", "23", "--no-oracle", "--json", str(history)]) == 0
    saved = json.loads(history.read_text())
    assert len(saved["npnet"]["train_loss"]) == 23
    assert [r["iteration"] for r in saved["npnet"]["reports"]] == [0, 10, 20]
    assert saved["twin"] is None and saved["weight_gap"]["npnet_vs_twin"] is None


def test_float32_prints_the_float64_yardstick(capsys: pytest.CaptureFixture[str]) -> None:
    """In float32 the twin gap is round-off of float32's size, and the float32-vs-float64 drift beside it says so."""
    assert main(["train", *TINY, "--epochs", "2", "--dtype", "float32", "--hidden", "30"]) == 0
    out = capsys.readouterr().out
    assert "f32 vs f64 npnet" in out
    rows = epoch_rows(out)
    assert len(rows) == 2 and all(len(row) == 8 for row in rows)
    for row in rows:
        twin_gap, reference = float(row[6]), float(row[7])
        assert 0 < twin_gap < 1e-3 and 0 < reference < 1e-3  # float32 round-off, far from float64's 1e-16
    assert "npnet float32 vs npnet float64 on the same batches" in out


def test_plot_save_json_and_evaluate_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The saved net, read back by ``npnet evaluate``, has the test accuracy training ended with: weights and
    batch-norm running statistics both came back (without the statistics, test-mode scores change)."""
    plot, save, history = tmp_path / "c.png", tmp_path / "net.npz", tmp_path / "h.json"
    argv = ["train", "--net", "multi-layer-extend", "--hidden", "30,20", "--batchnorm", *TINY, "--epochs", "2"]
    assert main([*argv, "--plot", str(plot), "--save", str(save), "--json", str(history)]) == 0
    out = capsys.readouterr().out
    final = re.search(r"final test accuracy: npnet (\S+), torch twin (\S+)", out)
    assert final is not None
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads(history.read_text())
    assert saved["npnet"]["final_test_acc"] == pytest.approx(float(final[1]), abs=5e-5)
    assert len(saved["weight_gap"]["iterations"]) == len(saved["weight_gap"]["npnet_vs_twin"]) > 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "h.json", "net.npz"]  # no temporary left over

    assert main(["evaluate", str(save)]) == 0
    out = capsys.readouterr().out
    assert "MultiLayerNetExtend 784-30-20-10 (float64)" in out
    evaluated = re.search(r"test accuracy: npnet (\S+), torch twin (\S+)", out)
    assert evaluated is not None and evaluated.groups() == final.groups()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--iters", "0"], "--iters: expected a positive integer, got 0"),
        (["--batch-size", "ten"], "--batch-size: expected a positive integer, got 'ten'"),
        (["--lr", "-0.1"], "--lr: expected a finite number > 0, got -0.1"),
        (["--lr", "nan"], "--lr: expected a finite number > 0, got nan"),
        (["--activation", "tanh"], "--activation: invalid choice: 'tanh'"),
        (["--seed", "-1"], "--seed: expected an integer >= 0, got -1"),
        (["--hidden", "100,,10"], "--hidden: expected widths such as 100,100,100, got '100,,10'"),
        (["--hidden", "100,0"], "--hidden: expected widths >= 1"),
        (["--init", "lecun"], "--init: expected std, xavier, he or a number > 0, got 'lecun'"),
        (["--dropout", "1"], "--dropout: expected a number in [0, 1), got 1"),
        (["--optimizer", "lbfgs"], "--optimizer: invalid choice: 'lbfgs'"),
        (["--iters", "5", "--epochs", "1"], "--epochs: not allowed with argument --iters"),
        (["--plot", "curves.txt"], "--plot: expected a file name ending in .png or .svg or .pdf, got 'curves.txt'"),
        (["--save", "net.pkl"], "--save: expected a file name ending in .npz, got 'net.pkl'"),
        (["--json", "/no/such/folder/h.json"], "--json: folder '/no/such/folder' does not exist"),
    ],
)
def test_bad_arguments_are_refused_by_name(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--batchnorm"], "--batchnorm: --net two-layer has none; use --net multi-layer-extend"),
        (["--net", "multi-layer", "--dropout", "0.2"], "--dropout: --net multi-layer has none"),
        (["--weight-decay", "0.1"], "--weight-decay: --net two-layer has none"),
        (["--hidden", "10,10"], "--hidden: --net two-layer has one hidden layer, got 2 widths"),
        (["--init", "he"], "--init he: --net two-layer takes std or a number"),
        (["--optimizer", "adam", "--momentum", "0.5"], "--momentum: --optimizer adam takes"),
        (["--optimizer", "sgd", "--beta1", "0.5"], "--beta1: --optimizer sgd takes lr; not --beta1"),
        (["--device", "cpu", "--no-oracle"], "--device cpu: the twin's device, but --no-oracle turns the twin off"),
    ],
)
def test_flags_the_run_cannot_use_are_refused_before_training(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("npnet_cli.train_cmd.load_data", fail_if_called)
    assert main(["train", *argv]) == 1
    err = capsys.readouterr().err
    assert err == f"npnet: error: {message}" + err.removeprefix(f"npnet: error: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err


def fail_if_called(*args: object) -> None:
    raise AssertionError("training data was loaded before the flags were checked")


def test_missing_data_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--iters", "1", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"npnet: error: --data-dir {tmp_path}: MNIST file train-images-idx3-ubyte.gz")
    assert "Traceback" not in err


@pytest.mark.parametrize("device", ["mps", "meta", "xpu", "gpu0", "cuda:7"])
def test_a_device_torch_cannot_use_is_one_line_naming_the_flag(
    device: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine without that device (the CI machine has no GPU, no Mac, no XPU; meta holds no numbers)."""
    torch = pytest.importorskip("torch")
    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    monkeypatch.setattr("npnet_cli.train_cmd.load_data", fail_if_called)
    assert main(["train", "--device", device]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"npnet: error: --device {device}: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_evaluate_refuses_a_file_it_cannot_rebuild_a_net_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = tmp_path / "weights.npz"
    np.savez(stranger, W1=np.zeros((784, 3)))
    assert main(["evaluate", str(stranger), "--no-oracle"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"npnet: error: {stranger}: ") and err.count("\n") == 1
    assert main(["evaluate", str(tmp_path / "missing.npz")]) == 1
    assert capsys.readouterr().err == f"npnet: error: FILE: {tmp_path / 'missing.npz'} is not a file\n"
