"""Statistics services: refresh the indicators, parse periods, read indicator rows.

Pages, the CLI and exports call these; none of them recompute statistics from the
register. ``indicators.duckdb`` (see :mod:`renkou.analytics.schema`) is the only thing
they read.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from tqdm import tqdm

from renkou.core import progress as job_progress

from . import catalogue as _catalogue
from .engine import analytics_paths, compute_indicators
from .periods import PERIOD_KINDS, Period, PeriodError, parse_period
from .schema import DIMENSION_COLUMNS, ROW_FIELDS, TOTAL_ROW
from .snapshot import write_snapshot
from .store import NoIndicators, connect

__all__ = ["AnalyticsNotReady", "catalogue", "indicator_rows", "refresh"]

DIMENSION_FIELDS = DIMENSION_COLUMNS
ENGINE_STAGES = ("load", "residence", "population", "events", "migrants", "services", "measures",
                 "indicators", "life_tables", "formulas", "write")


#: Raised when no indicators have been computed yet (the store's one error for it).
AnalyticsNotReady = NoIndicators


def catalogue() -> tuple[_catalogue.Indicator, ...]:
    """The indicator catalogue in use (checked)."""
    return _catalogue.load_catalogue()


def refresh(progress: bool = False, today: dt.date | None = None) -> dict[str, Any]:
    """Write the snapshot, then compute every indicator into ``indicators.duckdb``.

    Returns timings in seconds (``snapshot``, ``compute``, ``total`` and each engine
    stage) and counts. ``progress`` draws progress bars on stderr.
    """
    indicators = catalogue()  # a broken catalogue fails before any work
    base = Path(settings.RENKOU_ANALYTICS_DIR)
    snapshot, out = analytics_paths(base)
    steps = len(ENGINE_STAGES) + 1  # the snapshot, then each stage of the engine
    job_progress.step(_("writing the snapshot of the register"), 0, steps)
    started = time.perf_counter()
    report = write_snapshot(base, progress=progress)
    snapshot_seconds = time.perf_counter() - started
    bar = tqdm(total=len(ENGINE_STAGES), desc=_("computing indicators"), unit=" stages",
               disable=not progress, file=sys.stderr)

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        if name != ENGINE_STAGES[0]:
            bar.update(1)
        job_progress.step(_("computing indicators: %(stage)s") % {"stage": name},
                          1 + ENGINE_STAGES.index(name) if name in ENGINE_STAGES else bar.n,
                          steps)

    started = time.perf_counter()
    try:
        stages = compute_indicators(snapshot, out, catalogue=indicators, today=today, step=step)
    finally:
        bar.update(bar.total - bar.n)
        bar.close()
    job_progress.step(_("indicators written"), steps, steps)
    compute_seconds = time.perf_counter() - started
    return {"snapshot": round(snapshot_seconds, 3), "compute": round(compute_seconds, 3),
            "total": round(snapshot_seconds + compute_seconds, 3), **report, **stages}


def refresh_summary(report: dict[str, Any]) -> str:
    """One sentence on what :func:`refresh` did (for the terminal and the job's page)."""
    return _(
        "snapshot of %(persons)s persons and %(events)s effective events in %(snap).1f s; "
        "%(rows)s indicator values for %(periods)s periods in %(compute).1f s "
        "(total %(total).1f s)") % {
        "persons": f"{report.get('persons', 0):,}", "events": f"{report.get('effective_events', 0):,}",
        "snap": report["snapshot"], "rows": f"{report.get('rows', 0):,}",
        "periods": report.get("periods", 0), "compute": report["compute"],
        "total": report["total"]}


def indicator_rows(period: str | Period, org_code: str | None = None, level: int | None = None,
                   indicators: list[str] | tuple[str, ...] | None = None,
                   disaggregated: bool = False) -> list[dict[str, Any]]:
    """Rows of ``indicator_values`` for one period, as dicts.

    ``org_code`` alone: that unit; with ``level``: the units of that level in its subtree;
    ``level`` alone: every unit of that level; neither: every unit. ``indicators`` limits
    the codes (catalogue order is kept). Totals only, unless ``disaggregated`` (then the
    rows also carry sex, age_group, birth_order, urban_rural and the places of migrant
    figures: origin_province, origin_county, destination_province, destination_county). Keys: org_code,
    org_name, period, indicator, value, numerator, denominator, ci_low, ci_high, flag.
    """
    p = parse_period(period)
    order = {ind.code: n for n, ind in enumerate(catalogue())}
    where = ["period = ?"]
    params: list[Any] = [p.label]
    if org_code:
        if level is None:
            where.append("org_code = ?")
            params.append(org_code)
        else:
            where.append("('/' || org_path || '/') LIKE ?")  # the code is on the unit's path
            params.append(f"%/{org_code}/%")
    if level is not None:
        where.append("level = ?")
        params.append(int(level))
    if indicators:
        where.append("indicator IN (" + ", ".join("?" for _i in indicators) + ")")
        params += list(indicators)
    if not disaggregated:
        where.append(TOTAL_ROW)
    fields = ROW_FIELDS + (DIMENSION_FIELDS if disaggregated else ())
    con = connect()
    try:
        if org_code and not con.execute("SELECT 1 FROM org_units WHERE code = ?",
                                        [org_code]).fetchone():
            raise LookupError(_("no org unit has the code %(code)s") % {"code": org_code})
        if not con.execute("SELECT 1 FROM periods WHERE period = ?", [p.label]).fetchone():
            raise PeriodError(_("no indicators for the period %(period)s: the register has no "
                                "data for it (or it has not started)") % {"period": p.label})
        cursor = con.execute(
            f"SELECT {', '.join(fields)}, org_path FROM indicator_values WHERE "
            + " AND ".join(where), params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    age_order = {label: n for n, (label, _lo, _hi) in enumerate(_catalogue.AGE_GROUPS)}
    rows.sort(key=lambda r: (r["org_path"], order.get(r["indicator"], len(order)),
                             *(_dim_key(r, d, age_order) for d in DIMENSION_FIELDS
                               if disaggregated)))
    for r in rows:
        del r["org_path"]
    return rows


def _dim_key(row: dict, name: str, age_order: dict[str, int]) -> tuple:
    value = row[name]
    if name == "age_group":
        return (value != "", age_order.get(value, 99))
    return (value != "", value)


def period_kinds() -> tuple[str, ...]:
    """The period kinds, in report order."""
    return PERIOD_KINDS


def events_since(last_event_id: int | None) -> int | None:
    """How many ledger events were recorded after ``last_event_id`` (the state the
    figures rest on); ``None`` when the figures do not say. The ledger only grows (every
    change, a correction included, is a new event), so this is one index range."""
    if last_event_id is None:
        return None
    from renkou.register.models import LifeEvent

    return LifeEvent.objects.filter(pk__gt=last_event_id).count()
