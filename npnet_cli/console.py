"""What the commands print while they work: report lines on stdout and, on a terminal, a tqdm progress bar.

On a terminal (stderr a TTY and no ``CI`` environment variable) a tqdm bar counts the steps on stderr and report
lines are printed above it. Anywhere else (logs, pipes, CI) there is no bar, only the report lines, each flushed.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


def interactive(stream: TextIO) -> bool:
    """Whether to draw a bar on ``stream``: a terminal, and not a CI job."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


class Progress:
    """``with Progress(total, "training") as progress: progress.update(); progress.line("epoch 1 ...")``."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.bar: Any = None
        if interactive(self.stream):
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, file=self.stream, leave=False, dynamic_ncols=True, unit="step")

    def update(self, n: int = 1) -> None:
        """Advance the bar by ``n`` steps (nothing without a bar)."""
        if self.bar is not None:
            self.bar.update(n)

    def line(self, text: str) -> None:
        """Print a report line on stdout, above the bar if there is one."""
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
            sys.stdout.flush()
        else:
            print(text, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
