"""Reporting periods, once: their labels, how to read and write them, the periods a
ledger covers, and which one a page opens on.

Labels: ``2024`` (year), ``2024Q3``, ``2024H1``, ``2024-05`` and ``SY2024`` (统计年度,
the statistical year named by the year it ends in: with the default start month 10,
2023-10-01 … 2024-09-30).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from renkou.core import clock

__all__ = ["PERIOD_KINDS", "Period", "PeriodError", "build_periods", "default_period",
           "label_parts", "month_end", "month_index", "month_start", "parse_period",
           "period_display", "previous_period", "stat_year_start_month", "year_before"]

PERIOD_KINDS = ("month", "quarter", "half", "year", "stat_year")


class PeriodError(ValueError):
    """A period that cannot be read; the message says how to write one."""


@dataclass(frozen=True)
class Period:
    """A reporting period: ``label`` as in ``indicator_values.period``; ``end`` inclusive."""

    label: str
    kind: str
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def display(self) -> str:
        return period_display(self.label)


def month_index(day: dt.date) -> int:
    """Months since year 0: year × 12 + month − 1."""
    return day.year * 12 + day.month - 1


def month_start(k: int) -> dt.date:
    """The first day of month number ``k`` (:func:`month_index`)."""
    return dt.date(k // 12, k % 12 + 1, 1)


def month_end(k: int) -> dt.date:
    """The last day of month number ``k``."""
    return month_start(k + 1) - dt.timedelta(days=1)


def stat_year_start_month() -> int:
    """First month of the statistical year (settings, default 10: 1 October – 30 September)."""
    return int(getattr(settings, "RENKOU_STAT_YEAR_START_MONTH", 10) or 10)


def build_periods(first: dt.date, today: dt.date, sy_start: int | None = None) -> list[Period]:
    """Every period that starts on or after the first day of ``first``'s month and no later
    than ``today`` (the current, incomplete period included), in order of kind and start."""
    sy_start = sy_start or stat_year_start_month()
    k0, k1 = month_index(first), month_index(max(today, first))
    out: list[Period] = []
    for k in range(k0, k1 + 1):
        y, m = divmod(k, 12)
        m += 1
        out.append(Period(f"{y}-{m:02d}", "month", month_start(k), month_end(k)))
        if m in (1, 4, 7, 10):
            out.append(Period(f"{y}Q{(m - 1) // 3 + 1}", "quarter", month_start(k), month_end(k + 2)))
        if m in (1, 7):
            out.append(Period(f"{y}H{1 if m == 1 else 2}", "half", month_start(k), month_end(k + 5)))
        if m == 1:
            out.append(Period(f"{y}", "year", month_start(k), month_end(k + 11)))
        if m == sy_start:
            # SY named by the year it ends in: SY2024 = 2023-10-01 … 2024-09-30
            label_year = y + 1 if sy_start > 1 else y
            out.append(Period(f"SY{label_year}", "stat_year", month_start(k), month_end(k + 11)))
    out.sort(key=lambda p: (PERIOD_KINDS.index(p.kind), p.start or dt.date.min))
    return out


_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})H([12])$"), "half"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^SY(\d{4})$"), "stat_year"),
)


def parse_period(text: str | Period) -> Period:
    """Read a period label (case and surrounding spaces do not matter) into a
    :class:`Period` with its first and last day. Raises :class:`PeriodError` with a
    message saying how to write one."""
    if isinstance(text, Period):
        return text
    value = (text or "").strip().upper()
    for pattern, kind in _PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group(1))
        if not 1900 <= year <= 2200:
            break
        k_year = year * 12
        if kind == "year":
            return Period(str(year), kind, dt.date(year, 1, 1), dt.date(year, 12, 31))
        if kind == "quarter":
            q = int(match.group(2))
            return Period(f"{year}Q{q}", kind, month_start(k_year + 3 * q - 3),
                          month_end(k_year + 3 * q - 1))
        if kind == "half":
            h = int(match.group(2))
            return Period(f"{year}H{h}", kind, month_start(k_year + 6 * h - 6),
                          month_end(k_year + 6 * h - 1))
        if kind == "month":
            month = int(match.group(2))
            if not 1 <= month <= 12:
                break
            return Period(f"{year}-{month:02d}", kind, month_start(k_year + month - 1),
                          month_end(k_year + month - 1))
        start_month = stat_year_start_month()
        if start_month == 1:
            return Period(f"SY{year}", kind, dt.date(year, 1, 1), dt.date(year, 12, 31))
        return Period(f"SY{year}", kind, dt.date(year - 1, start_month, 1),
                      month_end(k_year + start_month - 2))
    raise PeriodError(
        _("cannot read the period '%(text)s'; write a year (2024), a quarter (2024Q3), a "
          "half-year (2024H1), a month (2024-05) or a statistical year (SY2024)")
        % {"text": text})


def label_parts(label: str) -> tuple[str, int, int]:
    """``(kind, year, part)`` of a period label: '2024' → ('year', 2024, 0),
    '2024Q3' → ('quarter', 2024, 3), '2024H1' → ('half', 2024, 1), '2024-05' →
    ('month', 2024, 5), 'SY2024' → ('stat_year', 2024, 0). ValueError otherwise."""
    period = parse_period(label)
    year = int(period.label[2:6] if period.kind == "stat_year" else period.label[:4])
    part = {"quarter": lambda: int(period.label[5]), "half": lambda: int(period.label[5]),
            "month": lambda: int(period.label[5:7])}.get(period.kind, lambda: 0)()
    return period.kind, year, part


def previous_period(label: str) -> str:
    """The period of the same kind just before: 2024 → 2023, 2024Q1 → 2023Q4,
    2024H1 → 2023H2, 2024-01 → 2023-12, SY2024 → SY2023."""
    kind, year, part = label_parts(label)
    if kind == "year":
        return str(year - 1)
    if kind == "stat_year":
        return f"SY{year - 1}"
    if kind == "quarter":
        return f"{year}Q{part - 1}" if part > 1 else f"{year - 1}Q4"
    if kind == "half":
        return f"{year}H1" if part == 2 else f"{year - 1}H2"
    return f"{year}-{part - 1:02d}" if part > 1 else f"{year - 1}-12"


def year_before(label: str) -> str:
    """The same period a year before: 2024Q3 → 2023Q3, 2024-05 → 2023-05, 2024H1 →
    2023H1, 2024 → 2023, SY2024 → SY2023 (what a change "on the same period of last
    year", 同比, is measured against)."""
    kind, year, part = label_parts(label)
    if kind == "year":
        return str(year - 1)
    if kind == "stat_year":
        return f"SY{year - 1}"
    if kind == "month":
        return f"{year - 1}-{part:02d}"
    return f"{year - 1}{'Q' if kind == 'quarter' else 'H'}{part}"


def period_display(label: str) -> str:
    """A period label written out for people: '2024年第3季度', '统计年度2024'…"""
    try:
        kind, year, part = label_parts(label)
    except ValueError:
        return label
    if kind == "year":
        return pgettext("period", "%(year)s") % {"year": year}
    if kind == "quarter":
        return _("%(year)s Q%(quarter)s") % {"year": year, "quarter": part}
    if kind == "half":
        return (_("%(year)s first half") if part == 1 else _("%(year)s second half")) % {"year": year}
    if kind == "month":
        return _("%(year)s-%(month)02d") % {"year": year, "month": part}
    return _("statistical year %(year)s") % {"year": year}


def default_period(periods: Sequence[Period], today: dt.date | None = None) -> str | None:
    """The latest complete calendar year (ended before ``today``); else the latest year;
    else the newest period of any kind."""
    today = today or clock.today()
    years = [p for p in periods if p.kind == "year"]
    complete = [p for p in years if p.end is not None and p.end < today]
    for candidates in (complete, years, list(periods)):
        if candidates:
            return max(candidates, key=lambda p: (p.end or dt.date.min, p.label)).label
    return None
