"""``npnet gradcheck`` end to end: npnet's nets pass on every element, ReLU kinks are counted apart, a reader's
broken net fails on the parameter it gets wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from npnet.layers import BatchNormalization
from npnet_cli.main import main
from tests.cli.book_style import write_common


def param_rows(out: str) -> dict[str, list[str]]:
    """Parameter name -> ``[shape, mean |diff|, max rel, misses, kinks, verdict]``."""
    rows = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) == 7 and words[-1] in ("ok", "FAIL"):
            rows[words[0]] = words[1:]
    return rows


def test_every_parameter_of_the_two_layer_net_within_the_bound(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "--net", "two-layer"]) == 0
    out = capsys.readouterr().out
    assert "TwoLayerNet 784-50-10" in out and "39760 parameter elements" in out
    rows = param_rows(out)
    assert list(rows) == ["W1", "b1", "W2", "b2"]
    for name, (_, mean_abs, _, misses, kinks, verdict) in rows.items():
        assert (misses, kinks, verdict) == ("0", "0", "ok"), name
        assert float(mean_abs) < 1e-7, name  # the book's measure, far below its 1e-7-ish "correct" level


def test_book_batch_norm_case_counts_kinks_apart(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sample through batch norm: every normalized value is beta = 0, the ReLU input sits on its kink, so the
    central difference of beta2 is half the slope (the book's batch_norm_gradient_check.py shows it). npnet refuses
    a training batch of one, as torch does; the book's case needs the layer's named opt-in."""
    argv = ["gradcheck", "--net", "multi-layer-extend", "--hidden", "8,8", "--batchnorm", "--batch", "1"]
    monkeypatch.setattr(BatchNormalization, "allow_single_sample", True)
    assert main(argv) == 0
    out = capsys.readouterr().out
    rows = param_rows(out)
    assert rows["beta2"][3:] == ["0", "8", "ok"]
    assert float(rows["beta2"][1]) > 1e-3  # the mixed slopes are far from backprop: only the kink excuses them
    assert all(row[4] == "0" for name, row in rows.items() if name != "beta2")
    assert "8 element(s) straddle a ReLU kink" in out


def test_batch_norm_on_one_sample_is_refused_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["gradcheck", "--net", "multi-layer-extend", "--hidden", "8,8", "--batchnorm", "--batch", "1"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("npnet: error: --batch: batch norm in training mode needs at least 2 samples")


def test_dropout_batchnorm_and_weight_decay_together(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["gradcheck", "--net", "multi-layer-extend", "--hidden", "6,5", "--batchnorm", "--dropout", "0.3"]
    assert main([*argv, "--weight-decay", "0.1", "--method", "loop"]) == 0
    rows = param_rows(capsys.readouterr().out)
    assert set(rows) == {f"{p}{i}" for p in "Wb" for i in (1, 2, 3)} | {
        f"{p}{i}" for p in ("gamma", "beta") for i in (1, 2)
    }


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter per run: each user folder is imported as ``common`` anew."""
    return subprocess.run(
        [sys.executable, "-m", "npnet_cli", *argv], capture_output=True, text=True, timeout=300, check=False
    )


def test_readers_two_layer_net_passes(tmp_path: Path) -> None:
    folder = write_common(tmp_path / "common")
    done = run_cli("gradcheck", "--module", str(folder / "two_layer_net.py"), "--class", "TwoLayerNet", "--hidden", "4")
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(param_rows(done.stdout)) == ["W1", "b1", "W2", "b2"]


def test_readers_broken_net_fails_on_the_biases(tmp_path: Path) -> None:
    """And the book's delta, which the reader's loss has inside its log, does not excuse the slip: no convention is
    named for it."""
    folder = write_common(tmp_path / "common", "affine-db-averaged")
    done = run_cli("gradcheck", "--module", str(folder / "two_layer_net.py"), "--class", "TwoLayerNet", "--hidden", "4")
    assert done.returncode == 1, done.stdout + done.stderr
    rows = param_rows(done.stdout)
    assert rows["W1"][-1] == rows["W2"][-1] == "ok"
    assert rows["b1"][-1] == rows["b2"][-1] == "FAIL"
    assert "FAIL: b1, b2 beyond the bound" in done.stdout
    assert "convention:" not in done.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--net", "two-layer", "--batchnorm"], "--net two-layer takes one --hidden width"),
        (["--net", "multi-layer", "--dropout", "0.5"], "--net multi-layer has no --batchnorm/--dropout"),
        (["--module", "net.py"], "--module and --class go together"),
    ],
)
def test_flags_a_net_does_not_have_are_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gradcheck", *argv]) == 1
    assert message in capsys.readouterr().err


def test_float32_runs_and_says_what_it_can_catch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "--hidden", "5", "--dtype", "float32"]) == 0
    assert "limits this check to gross slips" in capsys.readouterr().out


def test_the_books_delta_is_named_not_failed(capsys: pytest.CaptureFixture[str]) -> None:
    """With the book's delta in the loss, batch norm saturates the softmax and the numerical gradient (of the loss
    with delta) leaves backprop (of the loss without) by ~delta / y_t, beyond the bound; against the gradient of
    the loss with delta every element agrees, and the output names the convention."""
    argv = ["gradcheck", "--net", "multi-layer-extend", "--hidden", "5,5", "--batchnorm", "--weight-decay", "0.1"]
    assert main([*argv, "--book-delta"]) == 0
    out = capsys.readouterr().out
    assert "convention: the loss has the book's delta 1e-07 inside the log" in out
    assert main(argv) == 0  # without the delta there is nothing to explain
    assert "convention:" not in capsys.readouterr().out
