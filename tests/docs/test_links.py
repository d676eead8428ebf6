"""Every relative link and image in ``README.md`` and ``docs/*.md`` points at a file that git tracks and that the
source distribution ships, so that a fresh clone (or an sdist) renders every page whole.

Absolute URLs and in-page anchors (``#section``) are not checked; a link's own ``#anchor`` or ``?query`` is
dropped before the file is looked up.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: ``[text](target)`` and ``![alt](target "title")``; reference-style links are not used in these docs.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_SRC = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"")


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def relative_targets(page: Path) -> list[tuple[str, Path]]:
    """``(as written, resolved path relative to the repository root)`` of every relative link on ``page``."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)  # code blocks are not links
    found = []
    for target in [*LINK.findall(text), *HTML_SRC.findall(text)]:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        path = target.split("#")[0].split("?")[0]
        found.append((target, (page.parent / path).resolve().relative_to(ROOT)))
    return found


def git_tracked() -> set[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked-files check needs one (the sdist check below still runs)")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return set(out.decode().split("\0")) - {""}


def tracked_or_folder(path: Path, tracked: set[str]) -> bool:
    name = path.as_posix()
    return name in tracked or any(t.startswith(name.rstrip("/") + "/") for t in tracked)


def test_the_pages_have_links_to_check() -> None:
    """The parser finds the experiments' figures, so an empty result below means no broken link, not no parse."""
    targets = {t for _, t in relative_targets(ROOT / "docs" / "experiments.md")}
    assert Path("docs/figures/optimizers.png") in targets


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_is_tracked_by_git(page: Path) -> None:
    tracked = git_tracked()
    broken = [written for written, path in relative_targets(page) if not tracked_or_folder(path, tracked)]
    assert not broken, f"{page.name} links to files git does not track: {broken}"


def test_every_relative_link_ships_in_the_source_distribution(tmp_path: Path) -> None:
    """setuptools' own list of the sdist's files (``SOURCES.txt`` of ``egg_info``, MANIFEST.in applied)."""
    pytest.importorskip("setuptools", reason="the sdist's file list comes from setuptools, the build backend")
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "egg_info", "--egg-base", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    shipped = set((next(tmp_path.glob("*.egg-info")) / "SOURCES.txt").read_text().split())
    missing = [
        f"{page.relative_to(ROOT)} -> {written}"
        for page in pages()
        for written, path in relative_targets(page)
        if not tracked_or_folder(path, shipped)
    ]
    assert not missing, f"links to files the sdist leaves out: {missing}"
