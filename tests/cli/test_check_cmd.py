"""``npnet check`` end to end on a reader-style ``common/`` folder written by these tests (tests/cli/book_style.py):
clean, with planted slips, unimportable, hanging and crashing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from npnet_cli.book_names import TARGETS
from npnet_cli.main import main
from tests.cli.book_style import write_common

#: What the reader-style folder defines (it has no MultiLayerNet(Extend), mean_squared_error or Trainer).
DEFINED = {t.name for t in TARGETS} - {"MultiLayerNet", "MultiLayerNetExtend", "mean_squared_error", "Trainer"}


def table_rows(out: str) -> dict[str, list[str]]:
    """Component -> the words of its table line (lines of conventions and warnings are skipped)."""
    rows = {}
    names = {t.name for t in TARGETS}
    for line in out.splitlines():
        words = line.split()
        if words and words[0] in names:
            rows[words[0]] = words[1:]
    return rows


def test_clean_folder_matches_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_common(tmp_path / "common")
    report = tmp_path / "report.json"
    code = main(["check", str(folder), "--json", str(report)])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = table_rows(out)
    for name in DEFINED:
        assert rows[name][1] == "match", f"{name}: {rows[name]}"
    assert rows["Trainer"][:2] == ["-", "not"]
    saved = {row["component"]: row for row in json.loads(report.read_text())["rows"]}
    assert saved["Affine"]["where"] == "layers.py" and saved["Affine"]["max_abs"] < 1e-12
    assert "the book's delta" in saved["cross_entropy_error"]["convention"]


#: Two slips planted in one folder, in different components: each component's row must name its own slip.
PLANTED = {
    "Affine": ("affine-db-averaged", "off by the batch size"),
    "Sigmoid": ("sigmoid-ignores-dout", "backward ignores dout"),
}
#: An optimizer.py that does not compile: every optimizer it should define raises (not found would hide the error).
BROKEN_OPTIMIZER = "class SGD:\n    def update(self, params, grads)\n        pass\n"
OPTIMIZERS = {t.name for t in TARGETS if t.home == "optimizer.py"}


def test_planted_slips_and_a_broken_file_are_each_named_in_their_own_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One run (one child process) over a folder with two planted slips and a file that fails to import: each
    failing component gets its own row and verdict, and every other component is still checked and matches."""
    # not called common: imported under its own name too
    folder = write_common(tmp_path / "student7", *(slip for slip, _ in PLANTED.values()))
    (folder / "optimizer.py").write_text(BROKEN_OPTIMIZER)
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    for component, (_, named) in PLANTED.items():
        line = next(line for line in out.splitlines() if line.startswith(component + " "))
        assert "MISMATCH" in line and named in line, line
    rows = table_rows(out)
    for name in OPTIMIZERS:
        assert rows[name][:2] == ["optimizer.py", "raised"] and "SyntaxError" in " ".join(rows[name]), rows[name]
    failing = {name.strip() for name in out.splitlines()[-1].split(" fail: ")[1].split(",")}
    # and the reader's TwoLayerNet, built of the slipped Affine layers (its Relu and SoftmaxWithLoss are sound)
    assert failing == set(PLANTED) | OPTIMIZERS | {"TwoLayerNet"}
    for name in DEFINED - failing:
        assert rows[name][1] == "match", f"{name}: {rows[name]}"  # the rest is still checked


def test_unimportable_path_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_common(tmp_path / "common")
    (folder / "__init__.py").write_text("import numpy_that_is_not_there\n")
    assert main(["check", str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "No module named 'numpy_that_is_not_there'" in lines[0]


HOSTILE_FILE = """
import os
import time

import numpy as np


class Relu:
    def forward(self, x):
        while True:  # swallows whatever is raised to stop it: only killing its process ends it
            try:
                time.sleep(60)
            except BaseException:
                pass

    def backward(self, dout):
        return dout


class Sigmoid:
    def forward(self, x):
        print("chatter from the user's code")
        os._exit(3)

    def backward(self, dout):
        return dout


class AddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout, dout
"""


#: Seconds per component in the hostile run. The limit covers the import of the user's file and each check, not
#: the child's start (torch is imported before it). The slowest check under it here is AddLayer's, whose first
#: torch.autograd.grad imports sympy: 0.3 s on the idle 2-core machine, 1.3 s with six busy processes beside it.
HANG_LIMIT = 3


def test_hanging_and_crashing_code_cannot_take_the_checker_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "my_layers.py"
    path.write_text(HOSTILE_FILE)
    assert main(["check", str(path), "--timeout", str(HANG_LIMIT)]) == 1
    out = capsys.readouterr().out
    rows = table_rows(out)
    assert rows["Relu"][1] == "raised" and f"timed out after {HANG_LIMIT} s" in " ".join(rows["Relu"])
    assert rows["Sigmoid"][1] == "raised" and "exited with status 3" in " ".join(rows["Sigmoid"])
    assert rows["AddLayer"][:2] == ["my_layers.py", "match"]
    assert rows["Affine"][1:3] == ["not", "found"]
    # the user's print never reaches the terminal; it shows only as the crashed component's last output
    assert not any(line.startswith("chatter") for line in out.splitlines())
    assert "its last output: chatter from the user's code" in " ".join(rows["Sigmoid"])


def test_list_names_every_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--list"]) == 0
    assert set(table_rows(capsys.readouterr().out)) == {t.name for t in TARGETS}


@pytest.mark.parametrize("make", ["missing", "empty-folder", "text-file"])
def test_bad_path_is_one_clear_line(make: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "thing"
    if make == "empty-folder":
        path.mkdir()
    elif make == "text-file":
        path = tmp_path / "notes.txt"
        path.write_text("hello")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("npnet: error: check:") and str(path) in err


def test_a_folder_named_like_an_installed_package_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_common(tmp_path / "numpy")
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "the name 'numpy' is already taken" in err and "rename the folder" in err
