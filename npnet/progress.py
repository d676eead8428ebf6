"""A dependency-free progress bar that draws itself only on a terminal.

On a terminal it redraws one line in place (``\\r``); anywhere else (CI logs, pipes, files) it writes nothing, so
that callers' own line-by-line reports stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``with ProgressBar(total, "npnet") as bar: bar.update(k)`` draws ``label [#####.....] k/total``."""

    def __init__(
        self, total: int, label: str = "", stream: TextIO | None = None, width: int = 30, enabled: bool | None = None
    ) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        is_tty = getattr(self.stream, "isatty", lambda: False)()
        self.enabled = is_tty if enabled is None else enabled
        self.count = 0
        self._last_draw = 0.0

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` and redraw at most ten times a second."""
        self.count = min(self.count + n, self.total)
        now = time.monotonic()
        if self.enabled and (now - self._last_draw > 0.1 or self.count == self.total):
            self._last_draw = now
            filled = self.width * self.count // self.total
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.count}/{self.total}")
            self.stream.flush()

    def clear(self) -> None:
        """Erase the bar's line so that a report line can be printed in its place."""
        if self.enabled:
            self.stream.write("\r" + " " * (len(self.label) + self.width + 2 * len(str(self.total)) + 6) + "\r")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()
