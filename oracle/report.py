"""What a parity check found: :class:`Report` (one row per compared quantity) and :class:`ParityError`.

A report names the component checked (``"MyAffine as Affine"``), every quantity compared (``forward``,
``d(input 0)``, ``dW``, ``running_var``, ``W1 after step 3``) with its largest absolute and relative difference,
its bound ``(rtol, atol)`` and margin (bound over difference at the tightest element: ``>= 1`` passes), the
warnings (an input or ``dout`` written into), the conventions used where the book and PyTorch differ, what was
drawn (shapes, dtypes), what was skipped and why, and a diagnosis per failed quantity. ``rows()`` gives one flat
dict per quantity, ready for a table (the CLI and the pytest plugin print them); ``to_dict()`` gives it all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from npnet.compare import Comparison

#: The hint of a mismatch with no known signature.
UNKNOWN_SLIP = "no known slip has this signature; compare the formula term by term with the reference"


@dataclass
class Report:
    """The outcome of one check (see the module docstring). ``passed`` is what the check asserts."""

    component: str
    like: str
    comparisons: list[Comparison] = field(default_factory=list)
    diagnoses: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    conventions: list[str] = field(default_factory=list)
    drawn: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    strict: bool = False

    @property
    def failures(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.passed]

    @property
    def passed(self) -> bool:
        return not self.failures and not (self.strict and self.warnings)

    @property
    def margin(self) -> float:
        """The smallest margin over every quantity (``inf`` when all agree exactly)."""
        return min((c.margin for c in self.comparisons), default=math.inf)

    def add(self, comparison: Comparison, diagnosis: str | None = None) -> Comparison:
        self.comparisons.append(comparison)
        if not comparison.passed:
            self.diagnoses[comparison.quantity] = diagnosis or UNKNOWN_SLIP
        return comparison

    def merge(self, other: Report) -> None:
        """Fold another report (e.g. the same check in another dtype) into this one."""
        self.comparisons += other.comparisons
        self.diagnoses.update(other.diagnoses)
        for mine, theirs in (
            (self.warnings, other.warnings),
            (self.conventions, other.conventions),
            (self.drawn, other.drawn),
            (self.skipped, other.skipped),
        ):
            mine.extend(x for x in theirs if x not in mine)

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per compared quantity: the columns of a parity table."""
        return [
            {
                "component": self.component,
                "quantity": c.quantity,
                "dtype": c.dtype,
                "shape": list(c.shape),
                "max_abs": c.max_abs,
                "max_rel": c.max_rel,
                "rtol": c.rtol,
                "atol": c.atol,
                "margin": c.margin,
                "verdict": "pass" if c.passed else "FAIL",
                "diagnosis": self.diagnoses.get(c.quantity, ""),
                "warnings": "; ".join(self.warnings),
                "conventions": "; ".join(self.conventions),
                "drawn": "; ".join(self.drawn),
            }
            for c in self.comparisons
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "like": self.like,
            "passed": self.passed,
            "margin": self.margin,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "diagnoses": dict(self.diagnoses),
            "warnings": list(self.warnings),
            "conventions": list(self.conventions),
            "drawn": list(self.drawn),
            "skipped": list(self.skipped),
        }

    def summary(self) -> str:
        """Several lines: the verdict, each failure with its diagnosis, warnings, conventions, what was drawn."""
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"{self.component}: parity {verdict} ({len(self.comparisons)} quantities compared)"]
        for c in self.failures:
            lines.append(f"  {c.message}")
            lines.append(f"    hint: {self.diagnoses.get(c.quantity, UNKNOWN_SLIP)}")
        for label, items in (
            ("warning", self.warnings),
            ("convention", self.conventions),
            ("drawn", self.drawn),
            ("skipped", self.skipped),
        ):
            lines += [f"  {label}: {item}" for item in items]
        if self.strict and self.warnings:
            lines.append("  strict=True: the warnings above fail the check")
        return "\n".join(lines)


class ParityError(AssertionError):
    """A parity check failed; ``report`` holds everything that was compared."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.summary())
        self.report = report
