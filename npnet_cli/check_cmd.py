"""``npnet check PATH``: check a book-style ``common/`` folder (or one .py file) against PyTorch, name by name.

PATH is imported as the book's own scripts import ``common``: the folder as a package of its own name, with its
parent on ``sys.path`` (and, when the folder is not called ``common``, also under the name ``common``, so that the
book's ``from common.layers import *`` finds it). The known files of the book's ``common/`` in it are imported;
every class and function carrying one of the book's names (``npnet check --list``) is built small and checked with
``npnet.testing`` against its PyTorch twin. It all runs in a child process, each component under a time limit, so
that the code checked cannot break, hang or print over the checker.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from npnet_cli import argtypes
from npnet_cli.book_names import (
    BOOK_FILES,
    FAILING,
    NOT_FOUND,
    RAISED,
    SKIPPED,
    TARGETS,
    TARGETS_BY_NAME,
    Row,
    build,
    run_check,
)
from npnet_cli.isolated import SetupFailed, run_isolated

#: The checker's own heavy imports, done in the child before the user's code and outside its time limits.
PRELOAD = ("npnet.testing", "oracle.testing")

EPILOG = """\
examples:
  npnet check ~/deep-learning-from-scratch/common          # the whole folder
  npnet check my_layers.py --json report.json             # one file
  npnet check --list                                      # the names it looks for

verdicts: match; match under convention (the book and PyTorch differ by definition, and the check used the
book's); MISMATCH (with the slip named where it has a known signature); raised; not found; not checked.
exit status: 0 when nothing mismatches or raises, 1 otherwise, 2 when PATH cannot be imported.
"""


def register(commands: Any) -> None:
    p = commands.add_parser(
        "check",
        help="check a book-style common/ folder or .py file against PyTorch",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", nargs="?", type=Path, help="a folder laid out like the book's common/, or a .py file")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the table as JSON")
    p.add_argument("--list", action="store_true", help="print the names looked for and exit")
    p.add_argument(
        "--timeout",
        type=argtypes.positive_float,
        default=60.0,
        help="seconds per component (default 60; the first optimizer also pays torch's one-time import, about 1 s)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the drawn inputs and weights (default 0)")
    p.set_defaults(run=run)


# --- the child's side: import once, then one job per book name -------------------------------------------------

_MODULES: dict[str, ModuleType] = {}
_IMPORT_ERRORS: dict[str, str] = {}


def import_user_code(path: str) -> None:
    """Import PATH as the book's scripts would; remember each known file's module or its import error."""
    target = Path(path).resolve()
    if target.is_dir():
        package = _import_package(target)
        for file_name in BOOK_FILES:
            if (target / file_name).is_file():
                _import_one(file_name, lambda f=file_name: importlib.import_module(f"{package}.{f[:-3]}"))
    else:
        for folder in (str(target.parent.parent), str(target.parent)):
            sys.path.insert(0, folder)
        spec = importlib.util.spec_from_file_location(target.stem, target)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {target}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[target.stem] = module
        spec.loader.exec_module(module)
        _MODULES[target.name] = module


def _import_package(folder: Path) -> str:
    sys.path.insert(0, str(folder.parent))
    name = folder.name
    package = importlib.import_module(name)
    locations = [str(Path(p).resolve()) for p in getattr(package, "__path__", [])]
    if str(folder) not in locations:
        raise ImportError(
            f"the name {name!r} is already taken by {getattr(package, '__file__', None) or locations}; "
            f"rename the folder (the book's is called common)"
        )
    if name != "common":
        sys.modules["common"] = package
    return name


def _import_one(file_name: str, importer: Any) -> None:
    try:
        _MODULES[file_name] = importer()
    except BaseException as error:  # a file that fails to import is a verdict on its names, not the end
        _IMPORT_ERRORS[file_name] = " ".join(f"{type(error).__name__}: {error}".split())


def find(name: str, home: str) -> tuple[str, Any] | None:
    """The file and object that hold ``name``: the book's home file first, then the other files imported.

    A name the file imports from elsewhere (``from common.layers import *``) is labelled with its origin.
    """
    for file_name in [home, *sorted(f for f in _MODULES if f != home)]:
        module = _MODULES.get(file_name)
        obj = getattr(module, name, None) if module is not None else None
        if obj is not None and (inspect.isclass(obj) or callable(obj)):
            origin = getattr(obj, "__module__", None)
            if module is not None and origin not in (None, module.__name__):
                return f"{file_name} (from {origin})", obj
            return file_name, obj
    return None


def check_one(name: str, path: str, seed: int) -> dict[str, Any]:
    """The job run in the child for one book name: find it, build it small, check it; a :class:`Row` as a dict."""
    target = TARGETS_BY_NAME[name]
    found = find(name, target.home)
    if found is None:
        if target.home in _IMPORT_ERRORS:
            return Row(name, RAISED, kind=target.kind, where=target.home, note=_IMPORT_ERRORS[target.home]).as_dict()
        return Row(name, NOT_FOUND, kind=target.kind).as_dict()
    where, obj = found
    if target.kind == "trainer":
        return Row(name, SKIPPED, target.kind, where, note="no reference check for the Trainer").as_dict()
    if inspect.isclass(obj):
        try:
            obj = build(target, obj, np.random.default_rng(seed))
        except Exception as error:
            note = " ".join(f"{type(error).__name__} building it: {error}".split())
            return Row(name, RAISED, target.kind, where, note=note).as_dict()
    row = run_check(target, obj, seed)
    row.where = where
    return row.as_dict()


# --- the parent's side ---------------------------------------------------------------------------------------


def print_list() -> None:
    print(f"{'name':<22} {'book file':<26} check")
    for t in TARGETS:
        print(
            f"{t.name:<22} {t.home:<26} check_{t.kind}(..., {t.like!r})"
            if t.kind != "trainer"
            else f"{t.name:<22} {t.home:<26} (found, not checked)"
        )


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"


def print_table(rows: list[Row]) -> None:
    """One line per component; its conventions and warnings on the lines below it."""
    print(f"{'component':<20} {'file':<40} {'verdict':<22} {'max abs':>9} {'max rel':>9}  {'bound':<24} note")
    for r in rows:
        print(
            f"{r.component:<20} {r.where or '-':<40} {r.verdict:<22} {cell(r.max_abs):>9} {cell(r.max_rel):>9}  "
            f"{r.bound or '-':<24} {r.note}".rstrip()
        )
        for convention in filter(None, r.convention.split("; ")):
            print(f"{'':<20} convention: {convention}")
        for warning in r.warnings:
            print(f"{'':<20} warning: {warning}")


def warm_up_twin_device() -> None:
    """Create the twins' device context in the child before any component's limit starts: on a GPU
    (``$NPNET_ORACLE_DEVICE=cuda``) the first tensor takes a second or more, which a short ``--timeout`` would
    otherwise charge to the first component. A device torch refuses is left for the components to report."""
    import torch

    from oracle.convert import default_device

    try:
        torch.zeros(1, device=default_device())
    except (ValueError, RuntimeError):
        pass


def run(args: argparse.Namespace) -> int:
    if args.list:
        print_list()
        return 0
    if args.path is None:
        raise ValueError("check: expected PATH, a folder laid out like the book's common/ or a .py file")
    path = args.path
    if not (path.is_dir() or (path.is_file() and path.suffix == ".py")):
        raise ValueError(f"check: expected a folder or a .py file, got {path}")
    if path.is_dir() and not any((path / f).is_file() for f in BOOK_FILES):
        raise ValueError(f"check: {path} holds none of the book's files ({', '.join(BOOK_FILES)})")
    names = [t.name for t in TARGETS]
    rows: list[Row] = []
    try:
        outcomes = run_isolated(
            import_user_code,
            check_one,
            names,
            (str(path),),
            args.timeout,
            (str(path), args.seed),
            PRELOAD,
            warm_up_twin_device,
        )
        for outcome in outcomes:
            if outcome.error is not None:
                rows.append(Row(outcome.name, RAISED, kind=TARGETS_BY_NAME[outcome.name].kind, note=outcome.error))
            else:
                rows.append(Row(**outcome.value))
    except SetupFailed as error:
        print(f"npnet: error: cannot import {path}: {error}", file=sys.stderr)
        return 2
    print_table(rows)
    if args.json is not None:
        args.json.write_text(json.dumps({"path": str(path), "rows": [r.as_dict() for r in rows]}, indent=2) + "\n")
    failing = [r.component for r in rows if r.verdict in FAILING]
    checked = sum(r.verdict not in (NOT_FOUND, SKIPPED) for r in rows)
    if failing:
        print(f"{len(failing)} of {checked} components found fail: {', '.join(failing)}")
        return 1
    print(f"all {checked} components found match")
    return 0
