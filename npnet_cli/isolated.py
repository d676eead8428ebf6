"""Run a list of named jobs in a child process, each under a time limit, so that the code they run cannot break,
hang or print over the caller.

The child (``multiprocessing``'s *spawn*, a fresh interpreter) runs ``setup(*setup_args)`` once and then
``job(name, *job_args)`` for each name, sending every result back through a pipe; its stdout and stderr go to a
log file, not the terminal. The parent waits for each result at most ``limit`` seconds. A job that runs past its
limit, or takes the child down with it (``os._exit``, a crash), becomes an :class:`Outcome` with ``error`` set,
the child is killed, and a fresh child carries on with the jobs left. ``setup`` failing ends the run with
:class:`SetupFailed`, whose message is one line.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

#: Seconds the child may take to import the checker's own heavy modules (torch on a busy machine).
PRELOAD_LIMIT = 300.0


class SetupFailed(Exception):
    """``setup`` raised, timed out or killed the child; the message is one line."""


@dataclass(frozen=True)
class Outcome:
    """What one job gave back: its ``value``, or ``error`` (one line) when it timed out or killed its process."""

    name: str
    value: Any = None
    error: str | None = None


def one_line(error: BaseException) -> str:
    """``Type: message`` on a single line."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def child_main(
    conn: Connection,
    setup: Callable[..., Any],
    job: Callable[..., Any],
    names: Sequence[str],
    setup_args: tuple[Any, ...],
    job_args: tuple[Any, ...],
    log_path: str,
    preload: Sequence[str] = (),
    warmup: Callable[[], Any] | None = None,
) -> None:
    """The child's side: silence stdout/stderr into the log, import ``preload``, run ``warmup``, set up, then run
    and report each job in turn."""
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(log, 1)
    os.dup2(log, 2)
    for stream in (sys.stdout, sys.stderr):  # line by line, so output before a hard exit reaches the log
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    for module in preload:
        importlib.import_module(module)
    if warmup is not None:
        warmup()
    conn.send(("preloaded", None))
    try:
        setup(*setup_args)
    except BaseException as error:  # whatever the import raises is reported
        conn.send(("setup_failed", one_line(error)))
        return
    conn.send(("ready", None))
    for name in names:
        conn.send(("start", name))
        try:
            conn.send(("done", (name, job(name, *job_args))))
        except BaseException as error:  # a job's own failure is its outcome
            conn.send(("failed", (name, one_line(error))))
    conn.send(("finished", None))


def log_tail(path: str) -> str:
    """The last non-empty line of the child's log (a traceback's last line names the error), or ''."""
    try:
        lines = [line for line in Path(path).read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def run_isolated(
    setup: Callable[..., Any],
    job: Callable[..., Any],
    names: Sequence[str],
    setup_args: tuple[Any, ...] = (),
    limit: float = 30.0,
    job_args: tuple[Any, ...] = (),
    preload: Sequence[str] = (),
    warmup: Callable[[], Any] | None = None,
) -> Iterator[Outcome]:
    """Yield one :class:`Outcome` per name, in order, each job run in a child process under ``limit`` seconds.

    ``setup``, ``job`` and ``warmup`` must be importable module-level functions (the child is a fresh interpreter).
    The modules named in ``preload`` (heavy imports of the checker's own, such as torch) are imported first, then
    ``warmup()`` runs (the checker's own one-time costs, such as a GPU context), both under :data:`PRELOAD_LIMIT`
    rather than ``limit``.
    Raises :class:`SetupFailed` when ``setup`` fails in the first child.
    """
    context = multiprocessing.get_context("spawn")
    remaining = list(names)
    with tempfile.TemporaryDirectory(prefix="npnet-check-") as tmp:
        log_path = os.path.join(tmp, "child.log")
        while remaining:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=child_main,
                args=(sender, setup, job, remaining, setup_args, job_args, log_path, preload, warmup),
                daemon=True,
            )
            process.start()
            sender.close()
            try:
                yield from _collect(receiver, process, remaining, limit, log_path)
            finally:
                receiver.close()
                if process.is_alive():
                    process.kill()
                process.join()


def _collect(
    receiver: Connection,
    process: Any,
    remaining: list[str],
    limit: float,
    log_path: str,
) -> Iterator[Outcome]:
    """Read one child's messages; on a timeout or a dead child, record the job it was on and return."""
    current: str | None = None
    preloaded = False
    while True:
        message = _receive(receiver, limit if preloaded else max(limit, PRELOAD_LIMIT))
        if message is None or message[0] == "setup_failed":
            reason = _why_stopped(message, process, limit, log_path)
            if current is None:
                raise SetupFailed(reason)
            remaining.remove(current)
            yield Outcome(current, error=reason)
            return
        kind, payload = message
        preloaded = True
        if kind == "start":
            current = payload
        elif kind == "done":
            name, value = payload
            remaining.remove(name)
            current = None
            yield Outcome(name, value=value)
        elif kind == "failed":
            name, line = payload
            remaining.remove(name)
            current = None
            yield Outcome(name, error=line)
        elif kind == "finished":
            return


def _receive(receiver: Connection, limit: float) -> tuple[str, Any] | None:
    try:
        if receiver.poll(limit):
            return receiver.recv()
    except (EOFError, OSError):
        pass
    return None


def _why_stopped(message: tuple[str, Any] | None, process: Any, limit: float, log_path: str) -> str:
    if message is not None:
        return str(message[1])
    process.join(0.5)
    if process.is_alive():
        return f"timed out after {limit:g} s (killed)"
    tail = log_tail(log_path)
    return f"the process exited with status {process.exitcode}" + (f" (its last output: {tail})" if tail else "")
