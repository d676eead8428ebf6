"""The rows of the bad-input table that go through the PyTorch twins (``tests/error_cases.py``, ``torch=True``)."""

from __future__ import annotations

import re

import pytest

from tests.error_cases import CASES, Case


@pytest.mark.parametrize("case", [c for c in CASES if c.torch], ids=lambda c: c.id)
def test_bad_input_to_a_twin_gets_the_documented_error(case: Case) -> None:
    with pytest.raises(case.error, match=re.escape(case.message)):
        case.call()
