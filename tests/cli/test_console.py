"""Progress output: a tqdm bar on a terminal only, plain report lines in logs and CI."""

from __future__ import annotations

import io

import pytest

from npnet_cli.console import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_lines_above_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    with Progress(10, "training", stream=stream) as progress:
        progress.update(4)
        progress.line("epoch 1")
    assert "training:" in stream.getvalue() and "/10 [" in stream.getvalue()  # tqdm redraws at most 10 times a second
    assert capsys.readouterr().out == "epoch 1\n"


@pytest.mark.parametrize(("stream", "ci"), [(io.StringIO(), None), (Terminal(), "true")], ids=["pipe", "CI"])
def test_logs_and_ci_get_plain_lines_only(
    stream: io.StringIO, ci: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with Progress(10, "training", stream=stream) as progress:
        progress.update(4)
        progress.line("epoch 1")
    assert stream.getvalue() == ""
    assert capsys.readouterr().out == "epoch 1\n"
