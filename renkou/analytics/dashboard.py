"""The statistics on the home page (:mod:`renkou.core.dashboard`).

- 主要指标: the unit's population at the end, births, crude birth rate, sex ratio at
  birth and rate of natural increase of the last complete month, quarter, half-year or
  year (a switch; the quarter first), each with its change against the same period a
  year before (同比) — in points for rates (千分点 for ‰), a plain difference for counts,
  never a ratio of rates — and a small chart of births and the birth rate over the
  periods before it; how fresh the figures are (when they were computed, and how many
  ledger events were recorded since);
- 各单位主要指标: the same figures for the units below (the statistics summary).

Everything is read from the computed indicators (:mod:`renkou.analytics.store`; one
connection, a few small queries), never recomputed. "Complete" means the period was
over both today and on the day the figures were computed: a period that ended after the
last refresh is named in a note instead. The unit is the user's own (the top of the
tree for a superuser).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core.dashboard import Chart, ChartSeries, DashboardRequest, Figure, Link, Panel, PanelSpec
from renkou.orgunits.models import OrgLevel, OrgUnit

from . import reports, services, store
from .figures import Cell, change_cell
from .periods import period_display, year_before
from .permissions import REFRESH_STATISTICS
from .schema import TOTAL_ROW

__all__ = ["KEY_CODES", "PANELS", "statistics_panels"]

#: The key figures, in the order shown.
KEY_CODES = ("POP", "BIRTHS", "CBR", "SRB", "RNI")
#: The figures of the units below.
UNIT_CODES = ("POP", "BIRTHS", "CBR", "SRB", "RNI")
#: Period kinds of the switch, and how many periods of each the chart shows.
SERIES_LENGTH = {"month": 12, "quarter": 8, "half": 6, "year": 6}
DEFAULT_KIND = "quarter"
#: The units below are listed down to villages, as the statistics pages drill down.
DEEPEST_LEVEL = OrgLevel.VILLAGE


def _kind_labels() -> dict[str, str]:
    return {"month": _("Month"), "quarter": _("Quarter"), "half": _("Half-year"),
            "year": _("Year")}


def _totals(con, org_codes: list[str], labels: list[str], codes: tuple[str, ...]
            ) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Total rows (no disaggregation) of these units, periods and indicators, by
    ``(org_code, period, indicator)``: one query."""
    if not org_codes or not labels:
        return {}
    marks = lambda items: ", ".join("?" for _i in items)  # noqa: E731
    found = store.rows(
        con, "SELECT org_code, period, indicator, value, numerator, denominator, ci_low, "
             f"ci_high, flag FROM indicator_values WHERE org_code IN ({marks(org_codes)}) "
             f"AND period IN ({marks(labels)}) AND indicator IN ({marks(codes)}) AND {TOTAL_ROW}",
        [*org_codes, *labels, *codes])
    return {(r["org_code"], r["period"], r["indicator"]): r for r in found}


def _home_unit(user, con) -> tuple[str, str, int] | None:
    """``(code, name, level)`` of the unit the page is about: the user's own, or for a
    user bound to none (a superuser) the top unit of the indicators."""
    org = getattr(user, "org", None)
    if org is not None:
        return org.code, org.name, org.level
    found = con.execute("SELECT code, name, level FROM org_units ORDER BY level, code LIMIT 1"
                        ).fetchone()
    return (found[0], found[1], int(found[2])) if found else None


def _periods(con, kind: str, today: dt.date, computed: dt.date, n: int) -> tuple[list[str], str]:
    """The last ``n`` complete periods of ``kind``, newest first, and the label of a newer
    one that is over today but ended after the figures were computed ("" if none)."""
    over = con.execute('SELECT period, "end" FROM periods WHERE kind = ? AND "end" < ? '
                       'ORDER BY "end" DESC LIMIT ?', [kind, today, n + 1]).fetchall()
    complete = [label for label, end in over if end <= computed]
    stale = over[0][0] if over and over[0][1] > computed else ""
    return complete[:n], stale


def _figure(code: str, current: Cell, before: Cell, url: str) -> Figure:
    info = reports.indicator_info(code)
    change = change_cell(current, before)
    return Figure(
        label=info.name, value=current.display, unit=current.unit_text,
        change="" if change.missing else change.display,
        change_unit="" if change.missing else change.unit_text,
        compared_with=_("a year before: %(value)s") % {"value": before.display},
        note=current.small_note, muted=current.small, url=url)


def _cell(rows: dict, org: str, period: str, code: str) -> Cell:
    info = reports.indicator_info(code)
    return Cell.of(rows.get((org, period, code)), info.unit, info.small_below)


def _freshness(info: dict[str, str]) -> list[str]:
    """When the figures were computed, and how many ledger events came after them."""
    at = (info.get("computed_at") or "")[:16].replace("T", " ")
    if not at:
        return []
    notes = [_("Statistics computed %(at)s.") % {"at": at}]
    last = info.get("ledger_last_event_id")
    since = services.events_since(int(last)) if last else None
    if since:
        notes.append(_("%(n)s ledger events have been recorded since; the next refresh "
                       "includes them.") % {"n": f"{since:,}"})
    elif since == 0:
        notes.append(_("The ledger has not changed since."))
    return notes


def statistics_panels(request: DashboardRequest) -> list[Panel]:
    """The key figures of the user's unit and those of the units below it."""
    kind = request.params.get("period", DEFAULT_KIND)
    if kind not in SERIES_LENGTH:
        kind = DEFAULT_KIND
    switch = [Link(label, "?" + urlencode({"period": k}), current=k == kind)
              for k, label in _kind_labels().items()]
    links = [Link(_("Statistics"), reverse("analytics:overview"))]
    try:
        con = store.connect()
    except store.NoIndicators as missing:
        return [Panel("key-figures", _("Key figures"), links=links, notes=[
            (_("The statistics were computed by an older version of renkou and must be "
               "computed again.") if isinstance(missing, store.OutdatedIndicators)
             else _("No statistics have been computed yet."))
            + " " + (_("Refresh them from the statistics page.")
                     if has_capability(request.user, REFRESH_STATISTICS)
                     else _("The county office refreshes them."))])]
    try:
        info = store.refresh_info(con)
        computed = dt.date.fromisoformat(info["today"]) if info.get("today") else request.today
        unit = _home_unit(request.user, con)
        labels, stale = _periods(con, kind, request.today, computed, SERIES_LENGTH[kind])
        if unit is None or not labels:
            return [Panel("key-figures", _("Key figures"), switch=switch, links=links,
                          notes=[_("No complete period of this kind in the statistics yet."),
                                 *_freshness(info)])]
        code, name, level = unit
        current, before = labels[0], year_before(labels[0])
        children: list[tuple[str, str]] = []
        if level < DEEPEST_LEVEL:
            children = list(OrgUnit.objects.visible_to(request.user).filter(parent__code=code)
                            .order_by("code").values_list("code", "name"))
        rows = _totals(con, [code, *(c for c, _n in children)], [*labels, before],
                       tuple(sorted(set(KEY_CODES) | set(UNIT_CODES))))
    finally:
        con.close()
    overview = reverse("analytics:overview") + "?" + urlencode({"org": code, "period": current})
    figures = [_figure(c, _cell(rows, code, current, c), _cell(rows, code, before, c), overview)
               for c in KEY_CODES]
    series = list(reversed(labels))
    births, cbr = reports.indicator_info("BIRTHS"), reports.indicator_info("CBR")
    chart = Chart(
        title=_("Births and the crude birth rate by %(kind)s") % {"kind": _kind_labels()[kind]},
        categories=series,
        series=[ChartSeries(births.name, [_cell(rows, code, p, "BIRTHS").value for p in series]),
                ChartSeries(cbr.name, [_cell(rows, code, p, "CBR").value for p in series],
                            kind="line", axis=1)],
        axes=(births.name, "‰"))
    notes = [_("%(unit)s, %(period)s, against the same period a year before (%(before)s); "
               "changes in rates are in points.") % {
                 "unit": name, "period": period_display(current),
                 "before": period_display(before)}, *_freshness(info)]
    if stale:
        notes.append(_("%(period)s ended after the last refresh: refresh the statistics to "
                       "see it.") % {"period": period_display(stale)})
    panels = [Panel("key-figures", _("Key figures"), subtitle=period_display(current),
                    figures=figures, switch=switch, chart=chart, notes=notes,
                    links=[Link(_("All tables of this period"), overview)],
                    template="analytics/dashboard_refresh.html"
                    if has_capability(request.user, REFRESH_STATISTICS) else "")]
    if children:
        panels.append(Panel(
            "units", _("Key figures of the units below"), subtitle=period_display(current),
            template="analytics/dashboard_units.html",
            data={"columns": [reports.indicator_info(c).name for c in UNIT_CODES],
                  "rows": [{"name": child_name,
                            "url": reverse("analytics:overview") + "?"
                            + urlencode({"org": child, "period": current}),
                            "cells": [_cell(rows, child, current, c) for c in UNIT_CODES]}
                           for child, child_name in children]}))
    return panels


PANELS = (PanelSpec(Capability.VIEW_AGGREGATES, statistics_panels),)
