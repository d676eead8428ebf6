"""Every NumPy-only row of the bad-input table (``tests/error_cases.py``) raises what ``docs/errors.md`` says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.error_cases import CASES, Case, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


@pytest.mark.parametrize("case", [c for c in CASES if not c.torch], ids=lambda c: c.id)
def test_bad_input_gets_the_documented_error(case: Case) -> None:
    with pytest.raises(case.error, match=re.escape(case.message)):
        case.call()


def test_every_case_has_a_unique_id() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_errors_doc_is_the_table() -> None:
    """A row in the doc without a case in the table (so without a test), or the reverse, fails here."""
    assert DOC.read_text(encoding="utf-8") == render(), "regenerate: python -m tests.error_cases > docs/errors.md"
