"""The pytest plugin (``pytest11`` entry point ``npnet``): the ``npnet_parity`` fixture and the parity table.

``npnet_parity.layer(...)``, ``.function(...)``, ``.net(...)``, ``.optimizer(...)`` are
:func:`oracle.testing.check_layer` and friends; each records its report's rows on the test's
``user_properties`` (under ``"npnet_parity"``) and raises :class:`~oracle.report.ParityError` on a mismatch.
The rows travel to the controller on each test report (so pytest-xdist workers' rows arrive too), where
``--npnet-parity-report`` prints them as a table in the terminal summary and ``--npnet-parity-json FILE`` writes
them. This module imports neither torch nor the oracle until a check runs, so it loads in torch-free
environments (where using the fixture fails with one line naming the ``oracle`` extra).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

PROPERTY = "npnet_parity"
COLUMNS = ("test", "component", "quantity", "max_abs", "max_rel", "bound", "margin", "verdict", "warnings")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("npnet", "npnet parity checks")
    group.addoption(
        "--npnet-parity-report",
        action="store_true",
        default=False,
        help="print a table of every npnet_parity comparison in the terminal summary",
    )
    group.addoption(
        "--npnet-parity-json", metavar="FILE", default=None, help="write every npnet_parity comparison to FILE as JSON"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ParityRows(config), "npnet-parity-rows")


class Parity:
    """The ``npnet_parity`` fixture: the four checks, each recording its rows on the running test."""

    def __init__(self, node: pytest.Item) -> None:
        self.node = node

    def _record(self, report: Any) -> Any:
        rows = [{"test": self.node.nodeid, **row} for row in report.rows()]
        self.node.user_properties.append((PROPERTY, rows))
        if not report.passed:
            from npnet.testing import ParityError

            raise ParityError(report)
        return report

    def layer(self, layer: Any, like: str, inputs: Any = None, **kwargs: Any) -> Any:
        """:func:`oracle.testing.check_layer`; returns the report, raises ParityError on a mismatch."""
        from npnet.testing import check_layer

        return self._record(check_layer(layer, like, inputs, raise_on_failure=False, **kwargs))

    def function(self, fn: Any, like: str, inputs: Any = None, **kwargs: Any) -> Any:
        """:func:`oracle.testing.check_function`."""
        from npnet.testing import check_function

        return self._record(check_function(fn, like, inputs, raise_on_failure=False, **kwargs))

    def net(self, net: Any, x: Any, t: Any, like: str | None = None, **kwargs: Any) -> Any:
        """:func:`oracle.testing.check_net`."""
        from npnet.testing import check_net

        return self._record(check_net(net, x, t, like, raise_on_failure=False, **kwargs))

    def optimizer(self, optimizer: Any, like: str, steps: int = 50, **kwargs: Any) -> Any:
        """:func:`oracle.testing.check_optimizer`."""
        from npnet.testing import check_optimizer

        return self._record(check_optimizer(optimizer, like, steps, raise_on_failure=False, **kwargs))


@pytest.fixture
def npnet_parity(request: pytest.FixtureRequest) -> Parity:
    """Check your layer, function, net or optimizer against PyTorch: ``npnet_parity.layer(MyAffine(W, b),
    "Affine")``."""
    return Parity(request.node)


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return "inf" if math.isinf(x) else f"{x:.2e}"
    return str(x)


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The parity table as text lines: one row per compared quantity."""
    cells = [list(COLUMNS)]
    for row in rows:
        bound = f"{row['rtol']:.1e}/{row['atol']:.1e}"
        values = {**row, "bound": bound, "test": row["test"].split("::")[-1]}
        cells.append([_fmt(values[c]) for c in COLUMNS])
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    return ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]


class ParityRows:
    """Gathers the rows each test recorded (on xdist's controller they arrive with the workers' reports) and
    prints or writes them at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rows: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            for name, value in report.user_properties:
                if name == PROPERTY and isinstance(value, list):
                    self.rows.extend(value)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workerinput"):  # an xdist worker: the controller reports
            return
        if self.config.getoption("npnet_parity_report"):
            terminalreporter.section("npnet parity")
            if not self.rows:
                terminalreporter.write_line("no npnet_parity checks ran")
            for line in table(self.rows):
                terminalreporter.write_line(line)
        path = self.config.getoption("npnet_parity_json")
        if path:
            Path(path).write_text(json.dumps(self.rows, indent=1, default=str) + "\n")
            terminalreporter.write_line(f"npnet parity: {len(self.rows)} rows written to {path}")
