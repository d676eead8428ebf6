"""``npnet experiment NAME`` end to end, on tiny budgets: exit status, the PNG, finite numbers, and twins that agree.

Each run's printed tables are parsed back: every column headed ``... np - torch`` is a gap between npnet and its
PyTorch twin (float64 on both sides) and must be below 1e-10; without the oracle there must be no such column.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from npnet.datasets import load_mnist
from npnet.search import SearchSpace, random_search
from npnet_cli.main import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TWIN_TOLERANCE = 1e-10

#: Each experiment with a budget that runs in a few seconds.
TINY = {
    "optimizers": ["--iters", "12", "--print-every", "4"],
    "weight-init": ["--iters", "12", "--print-every", "4"],
    # batch 50: enough steps for the net without batch norm at W = 1 to diverge, as at the book's budget
    "batch-norm": ["--scales", "2", "--epochs", "2", "--train-size", "200", "--batch-size", "50"],
    "overfit": ["--epochs", "2", "--print-every", "1"],
    "hyperparam": ["--trials", "3", "--epochs", "2", "--best", "2", "--jobs", "1"],
}


def run_experiment(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Run the experiment, check its exit status and its PNG, and return what it printed."""
    assert main(["experiment", name, *TINY[name], *extra, "--out", str(tmp_path)]) == 0
    png = tmp_path / f"{name}.png"
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    out = capsys.readouterr().out
    assert f"figure: {png}" in out
    return out


def cells(line: str) -> list[str]:
    """A table line's cells: print_table separates columns by at least two spaces."""
    return re.split(r"\s{2,}", line.strip())


def columns(out: str, pick: str) -> dict[str, list[str]]:
    """Every printed table column whose header contains ``pick``: its values (the rows below the header with as
    many cells), by header."""
    found: dict[str, list[str]] = {}
    lines = out.splitlines()
    for i, line in enumerate(lines):
        header = cells(line)
        if len(header) < 2:  # a sentence, not a table
            continue
        for j, name in enumerate(header):
            if pick not in name:
                continue
            values = found.setdefault(name, [])
            for row in lines[i + 1 :]:
                if len(cells(row)) != len(header):
                    break
                values.append(cells(row)[j])
    return found


def assert_all_finite(out: str) -> None:
    """No NaN or infinity anywhere in what the experiment printed."""
    assert not re.search(r"\b(nan|inf)\b", out, flags=re.IGNORECASE), out


def assert_twins_agree(out: str) -> None:
    """At least one gap column, every gap a number below the tolerance."""
    gaps = columns(out, "np - torch")
    assert gaps, f"no npnet-vs-twin gap printed:\n{out}"
    for header, values in gaps.items():
        assert values, header
        assert all(float(v) < TWIN_TOLERANCE for v in values), (header, values)


@pytest.mark.parametrize("name", [name for name in TINY if name != "overfit"])  # overfit's: the test below
def test_experiment_with_its_twins(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_experiment(name, tmp_path, capsys)
    assert_all_finite(out)
    assert_twins_agree(out)


def test_weight_init_scales_and_losses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """std=0.01 keeps the loss at ln(10) (the signal dies out); He's first loss differs from it."""
    out = run_experiment("weight-init", tmp_path, capsys, "--no-oracle")
    assert_all_finite(out)
    assert not columns(out, "np - torch")
    first = {name: float(values[0]) for name, values in columns(out, "=").items()}
    np.testing.assert_allclose(first["std=0.01"], np.log(10), atol=1e-3)
    losses = dict(zip(columns(out, "init")["init"], map(float, columns(out, "final loss")["final loss"]), strict=True))
    assert set(losses) == {"std=0.01", "Xavier", "He"}
    assert abs(losses["He"] - np.log(10)) > 0.01


def test_batch_norm_scales(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--scales 2`` gives the ends of the book's range, W = 1 and W = 1e-4. At W = 1 the net without batch norm
    diverges, as in the book: a result marked in the table, not an error (its optimizer lets the NaN through)."""
    out = run_experiment("batch-norm", tmp_path, capsys, "--no-oracle")
    assert_all_finite(out)
    assert not columns(out, "np - torch")
    assert [float(w) for w in columns(out, "W")["W"]] == [1.0, 1e-4]
    assert columns(out, "note")["note"] == ["no BN diverged", "-"]


def test_overfit_npnet_numbers_do_not_depend_on_the_twin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The twins reuse npnet's dropout masks and draw nothing: npnet's accuracies are the same without them.
    (This is also overfit's run with its twins: finite numbers, twins that agree.)"""
    with_twin = run_experiment("overfit", tmp_path / "twin", capsys)
    alone = run_experiment("overfit", tmp_path / "alone", capsys, "--no-oracle")
    assert_all_finite(with_twin)
    assert_all_finite(alone)
    assert not columns(alone, "np - torch")
    assert_twins_agree(with_twin)
    for pick in ("run", "train acc", "test acc", " train", " test"):
        picked = columns(alone, pick)
        assert picked and all(picked.values()) and picked == columns(with_twin, pick), pick
    runs = columns(alone, "run")["run"]
    assert runs == ["plain", "weight decay 0.1", "dropout 0.2"]


def test_hyperparam_is_the_librarys_random_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command's split, draws and trials are ``npnet.search.random_search``'s for the same seed."""
    out = run_experiment("hyperparam", tmp_path, capsys, "--no-oracle", "--seed", "3", "--best", "3")
    assert_all_finite(out)
    assert not columns(out, "np - torch")
    (x_train, t_train), _ = load_mnist()
    results = random_search(x_train[:500], t_train[:500], 3, SearchSpace(epochs=2), 0.2, rng=3)
    expected = [
        f"trial {r.trial.index:3d} | val acc:{r.final_val_acc:.4f} | lr:{r.trial.lr:.4g}, "
        f"weight decay:{r.trial.weight_decay:.4g}"
        for r in results
    ]
    assert [line for line in out.splitlines() if line.startswith("trial ")] == expected
    ranked = [float(v) for v in columns(out, "val acc")["val acc"]]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) == 3
