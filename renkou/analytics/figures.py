"""One figure as the statistics pages and files show it (:class:`Cell`): its value
formatted to its unit's decimals ("—" when missing, never 0, never "−0.00"), its
numerator and denominator, its 95% interval, the small-number flag and whether its
period was over when it was computed; and the change between two
periods (:func:`change_cell`), in points for rates, never a ratio of rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .labels import change_unit_label, unit_label

__all__ = ["Cell", "change_cell"]


@dataclass
class Cell:
    """One figure in a table. ``value`` is ``None`` when missing (shown "—")."""

    value: float | None = None
    unit: str = ""
    numerator: float | None = None
    denominator: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    flag: str = ""
    change: bool = False  # a change between periods (in points for rates)
    small_below: int | None = None

    @classmethod
    def of(cls, row: dict[str, Any] | None, unit: str, small_below: int | None = None) -> Cell:
        if row is None:
            return cls(unit=unit, flag="missing")
        return cls(value=row["value"], unit=unit, numerator=row["numerator"],
                   denominator=row["denominator"], ci_low=row["ci_low"], ci_high=row["ci_high"],
                   flag=row["flag"] or "", small_below=small_below)

    @property
    def missing(self) -> bool:
        return self.value is None

    @property
    def small(self) -> bool:
        return "small_number" in self.flag.split(",")

    @property
    def incomplete(self) -> bool:
        """The period was not over when the figures were computed (a partial figure)."""
        return "incomplete" in self.flag.split(",")

    @property
    def is_rate(self) -> bool:
        return self.unit not in ("persons", "")

    @property
    def decimals(self) -> int:
        return {"persons": 0, "‰": 2, "%": 2, "per_woman": 2, "ratio": 1, "years": 2}.get(
            self.unit, 2)

    def rounded(self, number: float) -> float:
        """``number`` as displayed: rounded to the unit's decimals (never −0)."""
        return round(number, self.decimals) + 0.0

    def format_number(self, number: float | None) -> str:
        if number is None:
            return "—"
        shown = self.rounded(number)
        text = f"{shown:.{self.decimals}f}"
        if text.startswith("-") and float(text) == 0:
            text = text[1:]  # never "−0.00"
        if self.change and float(text) > 0:
            text = "+" + text
        return text

    @property
    def display(self) -> str:
        """The figure as shown: "—" when missing, signed for a change."""
        return self.format_number(self.value)

    @property
    def unit_text(self) -> str:
        return change_unit_label(self.unit) if self.change else unit_label(self.unit)

    @property
    def interval(self) -> str:
        """"95% CI 98.1–131.4", or "" without an interval."""
        if self.ci_low is None or self.ci_high is None:
            return ""
        return _("95%% CI %(low)s–%(high)s") % {"low": self.format_number(self.ci_low),
                                                "high": self.format_number(self.ci_high)}

    @property
    def small_note(self) -> str:
        """The note shown with a small-number figure: "n<1000, 95% CI …"."""
        if not self.small:
            return ""
        size = f"n<{self.small_below}" if self.small_below else _("small number")
        return ", ".join(p for p in (size, self.interval) if p)

    @property
    def fraction(self) -> str:
        """"numerator / denominator" of a rate, or ""."""
        if not self.is_rate or self.change or (self.numerator is None and self.denominator is None):
            return ""

        def plain(x: float | None) -> str:
            if x is None:
                return "—"
            return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"

        return f"{plain(self.numerator)} / {plain(self.denominator)}"


def change_cell(current: Cell, previous: Cell) -> Cell:
    """Current minus previous (points for rates, a plain difference for counts), computed
    from the two figures as displayed (rounded), so the three numbers on a page add up;
    missing when either is missing. Never a ratio of rates. Incomplete when either is."""
    flag = "incomplete" if current.incomplete or previous.incomplete else ""
    if current.value is None or previous.value is None:
        return Cell(unit=current.unit, change=True, flag=",".join(f for f in ("missing", flag) if f))
    value = current.rounded(current.rounded(current.value) - previous.rounded(previous.value))
    return Cell(value=value, unit=current.unit, change=True, flag=flag)

