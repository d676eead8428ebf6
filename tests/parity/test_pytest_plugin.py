"""The pytest plugin, run with pytester: a user's test file with a book-style Affine and its one-line check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import numpy as np


class MyAffine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class ForgetfulAffine(MyAffine):
    def backward(self, dout):
        super().backward(dout)
        return dout @ self.W.T  # not reshaped back to x's shape


rng = np.random.default_rng(0)
W, b = rng.standard_normal((6, 3)), rng.standard_normal(3)


def test_my_affine(npnet_parity):
    npnet_parity.layer(MyAffine(W, b), "Affine")


def test_forgetful_affine(npnet_parity):
    npnet_parity.layer(ForgetfulAffine(W, b), "Affine")
"""


def run(pytester: pytest.Pytester, *args: str, subprocess: bool = False) -> pytest.RunResult:
    pytester.makepyfile(test_user=USER_TESTS)
    # The user's own ini: with a --basetemp inside this repository (tox), pytest would otherwise find this
    # project's pyproject.toml above the user's folder and take its addopts (-n auto) as the user's.
    pytester.makeini("[pytest]\n")
    flags = ("-p", "no:cacheprovider", "--npnet-parity-report", "--npnet-parity-json", "parity.json", *args)
    return pytester.runpytest_subprocess(*flags) if subprocess else pytester.runpytest(*flags)


def check_outcome(result: pytest.RunResult, pytester: pytest.Pytester) -> None:
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*ParityError*ForgetfulAffine as Affine: parity FAILED*", "*hint: dx is not reshaped*"]
    )
    result.stdout.fnmatch_lines(["*npnet parity*", "test*component*quantity*max_abs*max_rel*bound*margin*verdict*"])
    result.stdout.fnmatch_lines(["test_my_affine*MyAffine as Affine*dW*pass*"])
    result.stdout.fnmatch_lines(["test_forgetful_affine*ForgetfulAffine as Affine*d(input 0) ?4-D x?*FAIL*"])
    rows = json.loads(Path(pytester.path, "parity.json").read_text())
    tests = {row["test"].split("::")[-1] for row in rows}
    assert tests == {"test_my_affine", "test_forgetful_affine"}
    assert any(row["verdict"] == "FAIL" and "not reshaped" in row["diagnosis"] for row in rows)


def test_plugin_passes_the_right_layer_fails_the_wrong_one_and_lists_both(pytester: pytest.Pytester) -> None:
    check_outcome(run(pytester, "-p", "no:xdist"), pytester)


def test_plugin_gathers_rows_from_xdist_workers(pytester: pytest.Pytester) -> None:
    """Under xdist the controller runs no test: every row in its table and JSON travelled from a worker. One
    worker proves that as well as two (the rows ride on each test's report), and starts torch once, not twice."""
    result = run(pytester, "-n", "1", subprocess=True)
    result.stdout.fnmatch_lines(["*1 worker*"])
    check_outcome(result, pytester)


def test_plugin_and_front_load_without_torch(pytester: pytest.Pytester) -> None:
    """Where torch is missing the plugin still loads, and npnet.testing fails with one line naming the extra."""
    script = pytester.makepyfile(
        blocked="""
import sys
sys.modules["torch"] = None  # as if torch were not installed
import oracle.pytest_plugin  # noqa: F401
try:
    import npnet.testing  # noqa: F401
except ImportError as error:
    print("ImportError:", error)
"""
    )
    result = pytester.run(sys_executable(), str(script))
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["ImportError: npnet.testing needs PyTorch: pip install 'npnet?oracle?'*"])


def sys_executable() -> str:
    import sys

    return sys.executable
