"""Standard statistical tables (统计报表) read from the computed indicators.

Pure functions over ``<RENKOU_ANALYTICS_DIR>/indicators.duckdb`` (table
``indicator_values``, :mod:`renkou.analytics.schema`): they pick, pivot and format
what ``renkou analytics refresh`` computed and never recompute a statistic. Pages,
file exports and the CLI all build on :func:`org_report` (the tables, laid out in
:mod:`renkou.analytics.tables`), :func:`child_headlines` (the drill-down) and
:func:`chart_data`; every figure is a :class:`renkou.analytics.figures.Cell`, named and
unit-labelled by :func:`indicator_info`.

Conventions (DESIGN.md §4):

- every table shows the current period, the previous period of the same kind and
  the change between them — in 千分点 (points per thousand) for ‰ rates, 百分点
  (percentage points) for % rates, a plain difference for counts and other units,
  never a ratio of rates;
- a missing value stays missing (shown "—"), never 0;
- a rate carries its numerator, denominator and interval, and a rate from a small
  number (e.g. a sex ratio at birth from fewer than 1,000 births) carries the
  ``small_number`` flag so it is shown greyed with its interval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .catalogue import catalogue_labels, default_catalogue_path
from .figures import Cell
from .labels import IndicatorInfo, label_indicator
from .periods import previous_period
from .store import connect, refresh_info
from .store import rows as _rows
from .tables import AGE_GROUPS, BIRTH_ORDERS, IndicatorLookup, OrgReport, standard_tables

__all__ = ["HEADLINE_CODES", "ChildHeadline", "catalogue", "chart_data", "child_headlines",
           "headline_columns", "indicator_info", "org_report", "report_rows"]

#: The figures shown for each child unit in the drill-down list.
HEADLINE_CODES: tuple[str, ...] = ("POP", "BIRTHS", "DEATHS", "CBR", "CDR", "RNI", "TFR", "SRB")


# --------------------------------------------------------------------------- indicator names

def _catalogue_path() -> Path:
    """The catalogue whose names and units label the figures: the engine's
    (:func:`renkou.analytics.catalogue.default_catalogue_path`)."""
    return default_catalogue_path()


def catalogue() -> dict[str, dict[str, Any]]:
    """The engine's indicator catalogue as ``{code: {zh, en, unit, small}}``
    (:func:`renkou.analytics.catalogue.catalogue_labels`); empty when the file is absent
    or unreadable (the fallback names are used then)."""
    return catalogue_labels(_catalogue_path())


def indicator_info(code: str) -> IndicatorInfo:
    """Name (in the active language) and unit of an indicator."""
    return label_indicator(code, catalogue().get(code, {}))


# --------------------------------------------------------------------------- standard tables

def org_report(org_code: str, period: str, con=None) -> OrgReport:
    """The standard tables of one org unit for ``period`` and the period before it,
    from one query."""
    previous = previous_period(period)
    own = con is None
    con = con or connect()
    try:
        rows = _rows(con, "SELECT * FROM indicator_values WHERE org_code = ? AND period IN (?, ?)",
                     [org_code, period, previous])
        refresh = refresh_info(con)
    finally:
        if own:
            con.close()
    lookup = IndicatorLookup(rows, indicator_info)
    name = next((r["org_name"] for r in rows), org_code)
    return OrgReport(org_code=org_code, org_name=name, period=period, previous=previous,
                     tables=standard_tables(lookup, (period, previous)), refresh=refresh)


def report_rows(org_code: str, period: str, con=None) -> list[dict[str, Any]]:
    """Every indicator row of one org unit for the period and the one before (for the
    numerators and denominators sheet of the exports)."""
    own = con is None
    con = con or connect()
    try:
        return _rows(con, "SELECT * FROM indicator_values WHERE org_code = ? AND period IN (?, ?) "
                          "ORDER BY period DESC, indicator, sex, age_group, birth_order, "
                          "urban_rural", [org_code, period, previous_period(period)])
    finally:
        if own:
            con.close()


# --------------------------------------------------------------------------- drill-down

@dataclass
class ChildHeadline:
    code: str
    name: str
    cells: dict[str, Cell]

    @property
    def ordered(self) -> list[Cell]:
        """The cells in :data:`HEADLINE_CODES` order."""
        return [self.cells[code] for code in HEADLINE_CODES]


def child_headlines(children: Sequence[tuple[str, str]], period: str,
                    con=None) -> list[ChildHeadline]:
    """Headline figures (:data:`HEADLINE_CODES`, totals) of the given child units
    ``(code, name)`` for ``period``, from one query; missing figures stay missing."""
    if not children:
        return []
    own = con is None
    con = con or connect()
    codes = [c for c, _name in children]
    try:
        marks = ", ".join("?" for _c in codes)
        ind = ", ".join("?" for _c in HEADLINE_CODES)
        rows = _rows(con, f"SELECT * FROM indicator_values WHERE period = ? AND org_code IN ({marks}) "
                          f"AND indicator IN ({ind}) AND sex = '' AND age_group = '' "
                          "AND birth_order = '' AND urban_rural = ''",
                     [period, *codes, *HEADLINE_CODES])
    finally:
        if own:
            con.close()
    by_org: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_org.setdefault(row["org_code"], {})[row["indicator"]] = row
    infos = {code: indicator_info(code) for code in HEADLINE_CODES}
    return [ChildHeadline(code=code, name=name,
                          cells={ind: Cell.of(by_org.get(code, {}).get(ind), infos[ind].unit,
                                              infos[ind].small_below)
                                 for ind in HEADLINE_CODES})
            for code, name in children]


def headline_columns() -> list[tuple[str, str]]:
    return [(code, indicator_info(code).name) for code in HEADLINE_CODES]


# --------------------------------------------------------------------------- charts

def _number(x: Any) -> float | None:
    return None if x is None else float(x)


def chart_data(org_code: str, period: str, con=None) -> dict[str, Any]:
    """Data for the page's charts, JSON-ready: population pyramid, trends of CBR, CDR
    and TFR over the calendar years, SRB by birth order with its interval, births by
    month."""
    own = con is None
    con = con or connect()
    try:
        this = _rows(con, "SELECT period_start, period_end FROM indicator_values "
                          "WHERE org_code = ? AND period = ? LIMIT 1", [org_code, period])
        pyramid = _rows(con, "SELECT sex, age_group, value FROM indicator_values WHERE org_code = ? "
                             "AND period = ? AND indicator = 'POP' AND sex IN ('M', 'F') "
                             "AND age_group <> '' AND birth_order = '' AND urban_rural = ''",
                        [org_code, period])
        trends = _rows(con, "SELECT period, indicator, value FROM indicator_values "
                            "WHERE org_code = ? AND period_kind = 'year' "
                            "AND indicator IN ('CBR', 'CDR', 'TFR') AND sex = '' "
                            "AND age_group = '' AND birth_order = '' AND urban_rural = '' "
                            "ORDER BY period", [org_code])
        srb = _rows(con, "SELECT birth_order, value, ci_low, ci_high, numerator, denominator, flag "
                         "FROM indicator_values WHERE org_code = ? AND period = ? "
                         "AND indicator = 'SRB' AND sex = '' AND age_group = '' "
                         "AND urban_rural = ''", [org_code, period])
        months: list[dict[str, Any]] = []
        if this:
            start, end = this[0]["period_start"], this[0]["period_end"]
            if (end - start).days < 80:  # a month: show the twelve months up to it
                start = dt.date(end.year - 1, end.month, 1) + dt.timedelta(days=31)
                start = start.replace(day=1)
            months = _rows(con, "SELECT period, value FROM indicator_values WHERE org_code = ? "
                                "AND period_kind = 'month' AND indicator = 'BIRTHS' AND sex = '' "
                                "AND age_group = '' AND birth_order = '' AND urban_rural = '' "
                                "AND period_start >= ? AND period_end <= ? ORDER BY period_start",
                           [org_code, start, end])
    finally:
        if own:
            con.close()
    by_sex = {(r["sex"], r["age_group"]): _number(r["value"]) for r in pyramid}
    years = sorted({r["period"] for r in trends})
    trend = {(r["period"], r["indicator"]): _number(r["value"]) for r in trends}
    by_order = {r["birth_order"]: r for r in srb}
    order_labels = {"": _("All births"), "1": _("First births"), "2": _("Second births"),
                    "3+": _("Third and higher births")}
    return {
        "labels": {
            "male": _("Male"), "female": _("Female"), "population": _("Population"),
            "cbr": indicator_info("CBR").name, "cdr": indicator_info("CDR").name,
            "tfr": indicator_info("TFR").name, "srb": indicator_info("SRB").name,
            "interval": _("95% CI"), "births": indicator_info("BIRTHS").name,
            "normal_range": _("Normal range 103–107"), "small": _("n<1000"),
            "permille": "‰", "per_woman": _("per woman"),
        },
        "pyramid": {
            "ages": list(AGE_GROUPS),
            "male": [by_sex.get(("M", a)) for a in AGE_GROUPS],
            "female": [by_sex.get(("F", a)) for a in AGE_GROUPS],
        } if pyramid else None,
        "trends": {
            "periods": years,
            "CBR": [trend.get((y, "CBR")) for y in years],
            "CDR": [trend.get((y, "CDR")) for y in years],
            "TFR": [trend.get((y, "TFR")) for y in years],
        } if years else None,
        "srb": {
            "orders": [order_labels[o] for o in ("", *BIRTH_ORDERS) if o in by_order],
            "values": [_number(by_order[o]["value"]) for o in ("", *BIRTH_ORDERS) if o in by_order],
            "low": [_number(by_order[o]["ci_low"]) for o in ("", *BIRTH_ORDERS) if o in by_order],
            "high": [_number(by_order[o]["ci_high"]) for o in ("", *BIRTH_ORDERS) if o in by_order],
            "births": [_number((by_order[o]["numerator"] or 0) + (by_order[o]["denominator"] or 0))
                       if by_order[o]["numerator"] is not None else None
                       for o in ("", *BIRTH_ORDERS) if o in by_order],
            "small": ["small_number" in (by_order[o]["flag"] or "")
                      for o in ("", *BIRTH_ORDERS) if o in by_order],
        } if by_order else None,
        "months": {
            "periods": [r["period"] for r in months],
            "values": [_number(r["value"]) for r in months],
        } if months else None,
    }
