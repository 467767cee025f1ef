"""Standard statistical tables (统计报表) read from the computed indicators.

Pure functions over ``<RENKOU_ANALYTICS_DIR>/indicators.duckdb`` (table
``indicator_values``, :mod:`renkou.analytics.schema`): they pick, pivot and format
what ``renkou analytics refresh`` computed and never recompute a statistic. Pages,
file exports and the CLI all build on :func:`org_report`.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from .periods import period_display, previous_period
from .store import connect
from .store import rows as _rows

__all__ = [
    "AGE_GROUPS", "ASFR_AGE_GROUPS", "BIRTH_ORDERS", "Cell", "IndicatorInfo", "OrgReport",
    "Table", "TableRow", "catalogue", "chart_data", "child_headlines", "indicator_info",
    "org_report",
]

AGE_GROUPS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 85, 5)) + ("85+",)
ASFR_AGE_GROUPS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(15, 50, 5))
BIRTH_ORDERS: tuple[str, ...] = ("1", "2", "3+")
DISAGGREGATIONS: tuple[str, ...] = ("sex", "age_group", "birth_order", "urban_rural")
COLUMNS = ("org_code", "org_name", "level", "org_path", "period", "period_kind",
           "period_start", "period_end", "indicator", "sex", "age_group", "birth_order",
           "urban_rural", "value", "numerator", "denominator", "ci_low", "ci_high", "flag")

#: The figures shown for each child unit in the drill-down list.
HEADLINE_CODES: tuple[str, ...] = ("POP", "BIRTHS", "DEATHS", "CBR", "CDR", "RNI", "TFR", "SRB")


# --------------------------------------------------------------------------- catalogue

@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    name: str
    unit: str  # '‰', '%', 'ratio', 'per_woman', 'years', 'persons'
    small_below: int | None = None  # the count below which a value is flagged small

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)


#: Names and units used until (or where) the engine's catalogue.yaml says otherwise.
FALLBACK_CATALOGUE: dict[str, tuple[Promise, str]] = {
    "POP": (gettext_lazy("Population"), "persons"),
    "BIRTHS": (gettext_lazy("Births"), "persons"),
    "DEATHS": (gettext_lazy("Deaths"), "persons"),
    "MOVES_IN": (gettext_lazy("Moves in"), "persons"),
    "MOVES_OUT": (gettext_lazy("Moves out"), "persons"),
    "MARRIAGES": (gettext_lazy("Marriages"), "persons"),
    "DIVORCES": (gettext_lazy("Divorces"), "persons"),
    "CBR": (gettext_lazy("Crude birth rate"), "‰"),
    "CDR": (gettext_lazy("Crude death rate"), "‰"),
    "RNI": (gettext_lazy("Rate of natural increase"), "‰"),
    "GFR": (gettext_lazy("General fertility rate"), "‰"),
    "ASFR": (gettext_lazy("Age-specific fertility rate"), "‰"),
    "TFR": (gettext_lazy("Total fertility rate"), "per_woman"),
    "SRB": (gettext_lazy("Sex ratio at birth"), "ratio"),
    "ORD_1": (gettext_lazy("First births share"), "%"),
    "ORD_2": (gettext_lazy("Second births share"), "%"),
    "ORD_3": (gettext_lazy("Third and higher births share"), "%"),
    "MAC": (gettext_lazy("Mean age of mothers at birth"), "years"),
    "e0": (gettext_lazy("Life expectancy at birth"), "years"),
    "OLD65": (gettext_lazy("Share aged 65 and over"), "%"),
    "DEP": (gettext_lazy("Dependency ratio"), "%"),
    "MIG_in": (gettext_lazy("Move-in rate"), "‰"),
    "MIG_out": (gettext_lazy("Move-out rate"), "‰"),
}

_UNIT_ALIASES = {"permille": "‰", "per_mille": "‰", "per_1000": "‰", "‰": "‰",
                 "percent": "%", "pct": "%", "%": "%", "per woman": "per_woman",
                 "per_woman": "per_woman", "ratio": "ratio", "years": "years", "year": "years",
                 "persons": "persons", "count": "persons", "people": "persons",
                 "events": "persons"}


def unit_label(unit: str) -> str:
    """How a unit is written after a number."""
    return {"‰": "‰", "%": "%", "per_woman": _("per woman"), "years": _("years"),
            "ratio": "", "persons": ""}.get(unit, "")


def change_unit_label(unit: str) -> str:
    """The unit of a change between periods: 千分点 for ‰, 百分点 for %."""
    if unit == "‰":
        return _("per-mille points")
    if unit == "%":
        return _("percentage points")
    return unit_label(unit)


def _catalogue_path() -> Path:
    """The catalogue the engine uses: ``RENKOU_INDICATOR_CATALOGUE`` (setting or
    environment), else the one shipped with the package."""
    import os

    configured = getattr(settings, "RENKOU_INDICATOR_CATALOGUE", None) or os.environ.get(
        "RENKOU_INDICATOR_CATALOGUE")
    return Path(configured) if configured else Path(__file__).resolve().parent / "catalogue.yaml"


@lru_cache(maxsize=4)
def _read_catalogue(path: str, mtime: float) -> dict[str, dict[str, Any]]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    if isinstance(data, dict) and isinstance(data.get("indicators"), (list, dict)):
        data = data["indicators"]
    entries: Iterable[tuple[str | None, Any]]
    if isinstance(data, dict):
        entries = data.items()
    elif isinstance(data, list):
        entries = ((None, e) for e in data)
    else:
        return {}
    result: dict[str, dict[str, Any]] = {}
    for key, entry in entries:
        if not isinstance(entry, dict):
            continue
        code = str(entry.get("code") or key or "")
        if not code:
            continue
        name = entry.get("name")
        zh = entry.get("name_zh") or entry.get("zh") or (name.get("zh") or name.get("zh-hans")
                                                          if isinstance(name, dict) else None)
        en = entry.get("name_en") or entry.get("en") or (name.get("en")
                                                          if isinstance(name, dict) else name)
        unit = _UNIT_ALIASES.get(str(entry.get("unit", "")).strip().lower(), "")
        small = entry.get("small_number")
        result[code] = {"zh": str(zh or ""), "en": str(en or ""), "unit": unit,
                        "small": int(small) if isinstance(small, (int, float)) else None}
    return result


def catalogue() -> dict[str, dict[str, Any]]:
    """The engine's indicator catalogue (``catalogue.yaml``) as ``{code: {zh, en, unit}}``;
    empty when the file is absent or unreadable (the fallback names are used then)."""
    path = _catalogue_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    return _read_catalogue(str(path), mtime)


def indicator_info(code: str) -> IndicatorInfo:
    """Name (in the active language) and unit of an indicator."""
    entry = catalogue().get(code, {})
    fallback_name, fallback_unit = FALLBACK_CATALOGUE.get(code, (code, ""))
    chinese = (get_language() or "").lower().startswith("zh")
    name = entry.get("zh" if chinese else "en") or str(fallback_name)
    name = name[:1].upper() + name[1:]
    small = entry.get("small") or (1000 if code == "SRB" else None)
    return IndicatorInfo(code=code, name=name, unit=entry.get("unit") or fallback_unit,
                         small_below=small)


# --------------------------------------------------------------------------- cells and tables

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
    def is_rate(self) -> bool:
        return self.unit not in ("persons", "")

    @property
    def decimals(self) -> int:
        return {"persons": 0, "‰": 2, "%": 2, "per_woman": 2, "ratio": 1, "years": 2}.get(
            self.unit, 2)

    def format_number(self, number: float | None) -> str:
        if number is None:
            return "—"
        text = f"{number:.{self.decimals}f}"
        if self.change and number > 0:
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
    """Current minus previous (points for rates, a plain difference for counts); missing
    when either is missing. Never a ratio of rates."""
    if current.value is None or previous.value is None:
        return Cell(unit=current.unit, change=True, flag="missing")
    return Cell(value=current.value - previous.value, unit=current.unit, change=True)


@dataclass
class TableRow:
    label: str
    cells: list[Cell]
    code: str = ""
    level: int = 0  # indentation: 0 a main row, 1 a breakdown


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[TableRow] = field(default_factory=list)
    note: str = ""


@dataclass
class OrgReport:
    org_code: str
    org_name: str
    period: str
    previous: str
    tables: list[Table]

    @property
    def period_display(self) -> str:
        return period_display(self.period)

    @property
    def previous_display(self) -> str:
        return period_display(self.previous)


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["period"], row["indicator"], *(row[d] or "" for d in DISAGGREGATIONS))


class _Lookup:
    """Rows of one org unit keyed by (period, indicator, sex, age_group, birth_order,
    urban_rural)."""

    def __init__(self, rows: Iterable[dict[str, Any]]):
        self.rows = {_key(r): r for r in rows}

    def get(self, period: str, code: str, sex: str = "", age_group: str = "",
            birth_order: str = "", urban_rural: str = "") -> dict[str, Any] | None:
        return self.rows.get((period, code, sex, age_group, birth_order, urban_rural))

    def cell(self, period: str, code: str, **disaggregation: str) -> Cell:
        info = indicator_info(code)
        return Cell.of(self.get(period, code, **disaggregation), info.unit, info.small_below)

    def count_sum(self, period: str, code: str, keys: Sequence[dict[str, str]]) -> Cell:
        """A count's total from its complete breakdown, when the engine wrote no total row
        (counts only, and only when every part is present)."""
        parts = [self.get(period, code, **k) for k in keys]
        if any(p is None or p["value"] is None for p in parts):
            return Cell(unit="persons", flag="missing")
        return Cell(value=sum(p["value"] for p in parts), unit="persons")


def _three(lookup: _Lookup, report: tuple[str, str], code: str, **disaggregation: str) -> list[Cell]:
    current, previous = (lookup.cell(p, code, **disaggregation) for p in report)
    return [current, previous, change_cell(current, previous)]


def _long_table(key: str, title: str, lookup: _Lookup, periods: tuple[str, str],
                lines: Sequence[tuple[str, str, dict[str, str], int]]) -> Table:
    """A table with one row per indicator: current, previous, change."""
    table = Table(key=key, title=title, columns=[_("Indicator"), _("This period"),
                                                 _("Previous period"),
                                                 pgettext("between periods", "Change")])
    for label, code, disaggregation, level in lines:
        cells = _three(lookup, periods, code, **disaggregation)
        unit = unit_label(cells[0].unit)
        table.rows.append(TableRow(label=f"{label} ({unit})" if unit else label, code=code,
                                   level=level, cells=cells))
    return table


def _stock_table(lookup: _Lookup, periods: tuple[str, str]) -> Table:
    """(a) Population at the end of the period by sex and 5-year age group."""
    current, previous = periods
    table = Table(key="stock", title=_("Population by sex and age"),
                  columns=[_("Age group"), _("Male"), _("Female"), _("Total"),
                           _("Previous period total"), pgettext("between periods", "Change")],
                  note=_("Population at the end of the period."))

    def pop(period: str, sex: str, age: str) -> Cell:
        cell = lookup.cell(period, "POP", sex=sex, age_group=age)
        if cell.missing:
            if age and not sex:
                cell = lookup.count_sum(period, "POP", [{"sex": s, "age_group": age} for s in "MF"])
            elif sex and not age:
                cell = lookup.count_sum(period, "POP", [{"sex": sex, "age_group": a}
                                                        for a in AGE_GROUPS])
        return cell

    for age in (*AGE_GROUPS, ""):
        total, before = pop(current, "", age), pop(previous, "", age)
        table.rows.append(TableRow(
            label=age or _("Total"), code="POP", level=0 if not age else 1,
            cells=[pop(current, "M", age), pop(current, "F", age), total, before,
                   change_cell(total, before)]))
    return table


def _births_table(lookup: _Lookup, periods: tuple[str, str]) -> Table:
    """(c) Births by order and sex, the order's share and the sex ratio at birth."""
    current, previous = periods
    table = Table(key="births", title=_("Births by order and sex"),
                  columns=[_("Birth order"), _("Male"), _("Female"), _("Total"),
                           _("Previous period total"), _("Share of births"),
                           _("Sex ratio at birth"), _("Previous period"),
                           pgettext("between periods", "Change")],
                  note=_("Sex ratio at birth: male births per 100 female births, with its "
                         "95% CI; greyed when computed from fewer than 1,000 births."))
    share_codes = {"1": "ORD_1", "2": "ORD_2", "3+": "ORD_3", "": ""}
    labels = {"1": _("First births"), "2": _("Second births"), "3+": _("Third and higher births"),
              "": _("All births")}
    for order in (*BIRTH_ORDERS, ""):
        srb_now = lookup.cell(current, "SRB", birth_order=order)
        srb_before = lookup.cell(previous, "SRB", birth_order=order)

        def births(period: str, sex: str, srb: Cell, order: str = order) -> Cell:
            cell = lookup.cell(period, "BIRTHS", sex=sex, birth_order=order)
            if cell.missing and sex and srb.numerator is not None and srb.denominator is not None:
                # the sex ratio's numerator and denominator are the male and female births
                cell = Cell(value=srb.numerator if sex == "M" else srb.denominator,
                            unit="persons")
            return cell

        total = lookup.cell(current, "BIRTHS", birth_order=order)
        share = (lookup.cell(current, share_codes[order]) if share_codes[order]
                 else Cell(value=100.0, unit="%") if not total.missing else Cell(unit="%"))
        table.rows.append(TableRow(
            label=labels[order], code="SRB", level=0 if not order else 1,
            cells=[births(current, "M", srb_now), births(current, "F", srb_now), total,
                   lookup.cell(previous, "BIRTHS", birth_order=order), share,
                   srb_now, srb_before, change_cell(srb_now, srb_before)]))
    return table


def _tables(lookup: _Lookup, periods: tuple[str, str]) -> list[Table]:
    def line(code: str, level: int = 0, label: str = "", **disaggregation: str):
        return (label or indicator_info(code).name, code, disaggregation, level)

    change_lines = [line("POP", label=_("Population at the end of the period")),
                    line("BIRTHS"), line("DEATHS"), line("MOVES_IN"), line("MOVES_OUT"),
                    line("CBR"), line("CDR"), line("RNI"), line("MIG_in"), line("MIG_out")]
    change = _long_table("change", _("Population change"), lookup, periods, change_lines)
    # natural increase (births − deaths) as a count, next to its rate RNI
    natural = []
    for period in periods:
        b, d = lookup.cell(period, "BIRTHS"), lookup.cell(period, "DEATHS")
        natural.append(Cell(unit="persons") if b.missing or d.missing
                       else Cell(value=b.value - d.value, unit="persons"))
    change.rows.insert(5, TableRow(label=_("Natural increase"), code="", cells=[
        *natural, change_cell(*natural)]))
    change.note = _("Rates per 1,000 of the mid-period population (mean of the populations at "
                    "the start and end of the period); natural increase = births − deaths.")

    fertility_lines = [line("GFR"), line("TFR"), line("MAC")] + [
        line("ASFR", level=1, label=_("ASFR %(age)s") % {"age": age}, age_group=age)
        for age in ASFR_AGE_GROUPS]
    fertility = _long_table("fertility", _("Fertility"), lookup, periods, fertility_lines)
    fertility.note = _("Total fertility rate = 5 × the sum of the age-specific rates "
                       "over ages 15–49.")

    marriage = _long_table("marriage", _("Marriage"), lookup, periods,
                           [line("MARRIAGES"), line("DIVORCES")])
    structure = _long_table("structure", _("Age structure and life expectancy"), lookup,
                            periods, [line("OLD65"), line("DEP"), line("e0")])
    return [_stock_table(lookup, periods), change, _births_table(lookup, periods),
            fertility, marriage, structure]


def org_report(org_code: str, period: str, con=None) -> OrgReport:
    """The standard tables of one org unit for ``period`` and the period before it,
    from one query."""
    previous = previous_period(period)
    own = con is None
    con = con or connect()
    try:
        rows = _rows(con, "SELECT * FROM indicator_values WHERE org_code = ? AND period IN (?, ?)",
                     [org_code, period, previous])
    finally:
        if own:
            con.close()
    lookup = _Lookup(rows)
    name = next((r["org_name"] for r in rows), org_code)
    return OrgReport(org_code=org_code, org_name=name, period=period, previous=previous,
                     tables=_tables(lookup, (period, previous)))


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
