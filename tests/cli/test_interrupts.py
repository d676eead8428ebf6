"""Ctrl-C and output files: one line and exit status 130 wherever it lands, never a half-written file, and an output
path that cannot be written refused before any training."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from npnet.train import Trainer
from npnet_cli import train_outputs
from npnet_cli.main import main
from npnet_cli.outputs import write_atomically

TINY = ["--train-size", "500", "--batch-size", "50", "--eval-samples", "100", "--hidden", "20"]


def test_ctrl_c_during_training_is_one_line_and_status_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_step = Trainer.train_step

    def step_then_interrupt(self: Trainer) -> object:
        if self.current_iter == 7:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(Trainer, "train_step", step_then_interrupt)
    assert main(["train", *TINY, "--iters", "30", "--no-oracle"]) == 130
    err = capsys.readouterr().err
    assert err == "npnet: interrupted while training: step 8 of 30 (Ctrl-C); no partial file was written\n"


def test_ctrl_c_while_the_figure_is_written_keeps_the_old_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plot = tmp_path / "curves.png"
    plot.write_bytes(b"the old figure")

    def half_a_figure(record: object, path: Path, title: str) -> None:
        path.write_bytes(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(train_outputs, "draw", half_a_figure)
    assert main(["train", *TINY, "--iters", "3", "--no-oracle", "--plot", str(plot)]) == 130
    assert capsys.readouterr().err == f"npnet: interrupted while writing {plot} (Ctrl-C); no partial file was written\n"
    assert plot.read_bytes() == b"the old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # the temporary file is gone


def test_write_atomically_replaces_only_a_complete_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, lambda tmp: (tmp.write_text("{"), (_ for _ in ()).throw(OSError("disk full"))))
    assert list(tmp_path.iterdir()) == []  # no file at all: neither a partial target nor the temporary
    write_atomically(target, lambda tmp: tmp.write_text("{}"))
    assert target.read_text() == "{}"
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--plot", "{tmp}"], "--plot: expected a file name ending in .png or .svg or .pdf"),
        (["train", "--plot", "{tmp}/sub.png/"], "--plot: '{tmp}/sub.png/' is a folder"),
        (["train", "--save", "{tmp}/missing/net.npz"], "--save: folder '{tmp}/missing' does not exist"),
        (["experiment", "optimizers", "--out", "{tmp}/a-file"], "--out: '{tmp}/a-file' is a file; expected a folder"),
        (["experiment", "overfit", "--seed", "-3"], "--seed: expected an integer >= 0, got -3"),
    ],
)
def test_output_paths_are_checked_before_any_work(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    (tmp_path / "sub.png").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        main([a.format(tmp=tmp_path) for a in argv])
    assert exit_info.value.code == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err


def test_a_real_sigint_ends_the_process_with_one_line(tmp_path: Path) -> None:
    """The real thing: SIGINT to a running ``npnet train`` process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "npnet_cli", "train", *TINY, "--iters", "100000", "--no-oracle"]
    argv += ["--save", str(tmp_path / "net.npz")]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None
        header = proc.stdout.readline()
        while not proc.stdout.readline().startswith("    1"):  # the first report after step 0: training is under way
            pass
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert "TwoLayerNet" in header
    assert proc.returncode == 130
    assert err.startswith("npnet: interrupted while training: step ") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_an_experiment_refuses_a_device_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    monkeypatch.setattr(Trainer, "train_step", lambda self: pytest.fail("a step ran before --device was checked"))
    assert main(["experiment", "optimizers", "--iters", "2", "--device", "meta", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("npnet: error: --device meta: ") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
