"""The standard statistical tables of one org unit (统计报表), laid out from its rows of
``indicator_values``: population by sex and age, population change, births by order and
sex, fertility, marriage, age structure and life expectancy, and migrants (流动人口) where
the unit has any. Each shows the current period, the previous period of the same kind
and the change between them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .figures import Cell, change_cell
from .labels import IndicatorInfo, division_name, place_label, service_label, unit_label
from .periods import parse_period, period_display
from .schema import DIMENSION_COLUMNS

__all__ = ["AGE_GROUPS", "ASFR_AGE_GROUPS", "BIRTH_ORDERS", "IndicatorLookup", "OrgReport",
           "Table", "TableRow", "services_table", "standard_tables"]

AGE_GROUPS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 85, 5)) + ("85+",)
ASFR_AGE_GROUPS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(15, 50, 5))
BIRTH_ORDERS: tuple[str, ...] = ("1", "2", "3+")
DISAGGREGATIONS: tuple[str, ...] = DIMENSION_COLUMNS


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
    #: when the figures were computed and from which ledger state (``store.refresh_info``)
    refresh: dict[str, str] = field(default_factory=dict)

    @property
    def computed_at(self) -> str:
        """"2026-11-16 09:30", or "" for a file that does not say."""
        return self.refresh.get("computed_at", "")[:16].replace("T", " ")

    @property
    def ledger_last_event_id(self) -> int | None:
        value = self.refresh.get("ledger_last_event_id")
        return int(value) if value else None

    @property
    def incomplete(self) -> bool:
        """The period was not over on the day the figures were computed."""
        today = self.refresh.get("today")
        end = parse_period(self.period).end
        return bool(today) and end is not None and end > dt.date.fromisoformat(str(today))

    @property
    def provenance(self) -> str:
        """"Computed 2026-11-16 09:30, from the ledger up to event #123." for the files,
        and the partial-period warning when the period was not over."""
        parts = []
        if self.computed_at:
            text = _("Computed %(at)s") % {"at": self.computed_at}
            if self.ledger_last_event_id is not None:
                text += _(", from the ledger up to event #%(last)s") % {
                    "last": self.ledger_last_event_id}
            parts.append(text + "。")
        if self.incomplete:
            parts.append(_("The period was not over: its figures are partial (*) and the "
                           "population at its end is not published."))
        return " ".join(parts)

    @property
    def period_display(self) -> str:
        return period_display(self.period)

    @property
    def previous_display(self) -> str:
        return period_display(self.previous)



def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["period"], row["indicator"], *(row[d] or "" for d in DISAGGREGATIONS))



class IndicatorLookup:
    """Rows of one org unit keyed by (period, indicator, and the value of each
    disaggregation column: sex, age_group, birth_order, urban_rural and the places of
    migrant figures); ``info`` gives an indicator's name and unit."""

    def __init__(self, rows: Iterable[dict[str, Any]], info: Callable[[str], IndicatorInfo]):
        self.rows = {_key(r): r for r in rows}
        self.info = info

    def get(self, period: str, code: str, **disaggregation: str) -> dict[str, Any] | None:
        return self.rows.get((period, code, *(disaggregation.get(d, "") for d in DISAGGREGATIONS)))

    def values_of(self, code: str, dimension: str) -> list[str]:
        """The values of ``dimension`` that rows of ``code`` have (e.g. the origin
        provinces of the inflow migrants), in order."""
        at = 2 + DISAGGREGATIONS.index(dimension)
        return sorted({key[at] for key in self.rows if key[1] == code and key[at]})

    def cell(self, period: str, code: str, **disaggregation: str) -> Cell:
        info = self.info(code)
        return Cell.of(self.get(period, code, **disaggregation), info.unit, info.small_below)

    def count_sum(self, period: str, code: str, keys: Sequence[dict[str, str]]) -> Cell:
        """A count's total from its complete breakdown, when the engine wrote no total row
        (counts only, and only when every part is present)."""
        found = [self.get(period, code, **k) for k in keys]
        parts = [p for p in found if p is not None and p["value"] is not None]
        if len(parts) < len(found):
            return Cell(unit="persons", flag="missing")
        return Cell(value=sum(p["value"] for p in parts), unit="persons")


def _three(lookup: IndicatorLookup, report: tuple[str, str], code: str, **disaggregation: str) -> list[Cell]:
    current, previous = (lookup.cell(p, code, **disaggregation) for p in report)
    return [current, previous, change_cell(current, previous)]


def _long_table(key: str, title: str, lookup: IndicatorLookup, periods: tuple[str, str],
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


def _stock_table(lookup: IndicatorLookup, periods: tuple[str, str]) -> Table:
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


def _births_table(lookup: IndicatorLookup, periods: tuple[str, str]) -> Table:
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


#: The rows of the migrants table: (indicator, the place breakdown under it or "").
MIGRANT_LINES = (("MIG_IN_STOCK", "origin"), ("MIG_IN_ARRIVALS", ""), ("MIG_IN_SHARE", ""),
                 ("MIG_OUT_STOCK", "destination"), ("MIG_OUT_DEPARTURES", ""),
                 ("MIG_OUT_SHARE", ""))


def _migrants_table(lookup: IndicatorLookup, periods: tuple[str, str]) -> Table | None:
    """(g) Migrants (流动人口): inflow and outflow stock, arrivals and departures and their
    share of the population, the stock by province and county of origin (inflow) or
    destination (outflow), places with migrants in either period only. ``None`` when
    the unit had no migrant in either period (no table)."""

    def nonzero(code: str, **place: str) -> bool:
        return any((lookup.get(p, code, **place) or {}).get("value") for p in periods)

    if not any(nonzero(code) for code, _place in MIGRANT_LINES):
        return None
    lines: list[tuple[str, str, dict[str, str], int]] = []
    for code, place in MIGRANT_LINES:
        lines.append((lookup.info(code).name, code, {}, 0))
        if not place:
            continue
        for province in lookup.values_of(code, f"{place}_province"):
            if not nonzero(code, **{f"{place}_province": province}):
                continue
            lines.append((place_label(province), code, {f"{place}_province": province}, 1))
            prefix = division_name(province)
            for county in lookup.values_of(code, f"{place}_county"):
                if county[:2] != province or not nonzero(code, **{f"{place}_county": county}):
                    continue
                name = division_name(county).removeprefix(prefix)
                lines.append((f"{county} {name}".strip(), code, {f"{place}_county": county}, 2))
    table = _long_table("migrants", _("Migrants"), lookup, periods, lines)
    table.note = _("Inflow migrants live here with their hukou elsewhere, outflow migrants are "
                   "registered here and live elsewhere, at the end of the period, in their "
                   "managing unit; by the province and county of their hukou place (inflow) "
                   "or residence (outflow). Arrivals and departures are the spells begun in "
                   "the period.")
    return table


#: The rows of the services table: (indicator, whether its by-service rows follow it).
SERVICE_LINES = (("SVC_SERVED", True), ("SVC_ENCOUNTERS", True), ("SVC_REQUESTS", False),
                 ("SVC_COVERAGE", True), ("SVC_WAIT", False), ("PPC_AT_RISK", False),
                 ("PPC_REFERRED", False), ("SVC_MIGRANTS_SERVED", False))


def services_table(lookup: IndicatorLookup, periods: tuple[str, str]) -> Table | None:
    """(h) Voluntary health services (服务记录): people served and encounters by service,
    requests and how many were served, waiting time, the pre-pregnancy check's shares at
    risk and referred, migrants served at their residence. ``None`` when the unit recorded
    no service or request in either period (no table)."""
    def nonzero(code: str, **by: str) -> bool:
        return any((lookup.get(p, code, **by) or {}).get("value") for p in periods)

    if not any(nonzero(code) for code in ("SVC_ENCOUNTERS", "SVC_REQUESTS")):
        return None
    lines: list[tuple[str, str, dict[str, str], int]] = []
    for code, by_service in SERVICE_LINES:
        lines.append((lookup.info(code).name, code, {}, 0))
        if by_service:
            lines += [(service_label(s), code, {"service": s}, 1)
                      for s in lookup.values_of(code, "service") if nonzero(code, service=s)]
    table = _long_table("services", _("Health services"), lookup, periods, lines)
    table.note = _("Services people asked for, recorded with their consent. Coverage is the "
                   "requests served among the requests made, never a target population; the "
                   "shares at risk and referred count only people who agreed to use in "
                   "anonymous statistics.")
    return table


def standard_tables(lookup: IndicatorLookup, periods: tuple[str, str]) -> list[Table]:
    """The six standard tables for the periods (current, previous), and the migrants and
    services tables when the unit had migrants or services."""

    def line(code: str, level: int = 0, label: str = "", **disaggregation: str):
        return (label or lookup.info(code).name, code, disaggregation, level)

    change_lines = [line("POP", label=_("Population at the end of the period")),
                    line("BIRTHS"), line("DEATHS"), line("MOVES_IN"), line("MOVES_OUT"),
                    line("CBR"), line("CDR"), line("RNI"), line("MIG_in"), line("MIG_out")]
    change = _long_table("change", _("Population change"), lookup, periods, change_lines)
    # natural increase (births − deaths) as a count, next to its rate RNI
    natural = []
    for period in periods:
        b, d = lookup.cell(period, "BIRTHS"), lookup.cell(period, "DEATHS")
        natural.append(Cell(unit="persons") if b.value is None or d.value is None
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
    tables = [_stock_table(lookup, periods), change, _births_table(lookup, periods),
              fertility, marriage, structure]
    optional = (_migrants_table(lookup, periods), services_table(lookup, periods))
    return tables + [t for t in optional if t is not None]

