"""Statistics services: refresh the indicators, parse periods, read indicator rows.

Pages, the CLI and exports call these; none of them recompute statistics from the
register. ``indicators.duckdb`` (see :mod:`renkou.analytics.schema`) is the only thing
they read.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.utils.translation import gettext as _
from tqdm import tqdm

from . import catalogue as _catalogue
from .engine import PERIOD_KINDS, Period, analytics_paths, compute_indicators, stat_year_start_month
from .schema import ROW_FIELDS
from .snapshot import write_snapshot

__all__ = ["AnalyticsNotReady", "Period", "PeriodError", "catalogue", "indicator_rows",
           "indicators_path", "parse_period", "refresh"]

DIMENSION_FIELDS = ("sex", "age_group", "birth_order", "urban_rural")
ENGINE_STAGES = ("load", "residence", "population", "events", "measures", "indicators",
                 "life_tables", "formulas", "write")


class PeriodError(ValueError):
    """A period that cannot be read; the message says how to write one."""


class AnalyticsNotReady(RuntimeError):
    """No indicators have been computed yet (``renkou analytics refresh`` has not run)."""


def catalogue() -> tuple[_catalogue.Indicator, ...]:
    """The indicator catalogue in use (checked)."""
    return _catalogue.load_catalogue()


def indicators_path() -> Path:
    """``<RENKOU_ANALYTICS_DIR>/indicators.duckdb``."""
    return analytics_paths()[1]


def refresh(progress: bool = False, today: dt.date | None = None) -> dict[str, Any]:
    """Write the snapshot, then compute every indicator into ``indicators.duckdb``.

    Returns timings in seconds (``snapshot``, ``compute``, ``total`` and each engine
    stage) and counts. ``progress`` draws progress bars on stderr.
    """
    indicators = catalogue()  # a broken catalogue fails before any work
    base = Path(settings.RENKOU_ANALYTICS_DIR)
    snapshot, out = analytics_paths(base)
    started = time.perf_counter()
    report = write_snapshot(base, progress=progress)
    snapshot_seconds = time.perf_counter() - started
    bar = tqdm(total=len(ENGINE_STAGES), desc=_("computing indicators"), unit=" stages",
               disable=not progress, file=sys.stderr)

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        if name != ENGINE_STAGES[0]:
            bar.update(1)

    started = time.perf_counter()
    try:
        stages = compute_indicators(snapshot, out, catalogue=indicators, today=today, step=step)
    finally:
        bar.update(bar.total - bar.n)
        bar.close()
    compute_seconds = time.perf_counter() - started
    return {"snapshot": round(snapshot_seconds, 3), "compute": round(compute_seconds, 3),
            "total": round(snapshot_seconds + compute_seconds, 3), **report, **stages}


_PERIOD_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})H([12])$"), "half"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^SY(\d{4})$"), "stat_year"),
)


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def parse_period(text: str | Period) -> Period:
    """Read a period: ``2024`` (year), ``2024Q3``, ``2024H1``, ``2024-05`` or ``SY2024``
    (统计年度, the statistical year ending in 2024: with the default start month 10,
    2023-10-01 … 2024-09-30). Raises :class:`PeriodError` with a message saying how to
    write one."""
    if isinstance(text, Period):
        return text
    value = (text or "").strip().upper()
    for pattern, kind in _PERIOD_PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group(1))
        if not 1900 <= year <= 2200:
            break
        if kind == "year":
            return Period(str(year), kind, dt.date(year, 1, 1), dt.date(year, 12, 31))
        if kind == "quarter":
            q = int(match.group(2))
            return Period(f"{year}Q{q}", kind, dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
        if kind == "half":
            h = int(match.group(2))
            return Period(f"{year}H{h}", kind, dt.date(year, 6 * h - 5, 1), _month_end(year, 6 * h))
        if kind == "month":
            month = int(match.group(2))
            if not 1 <= month <= 12:
                break
            return Period(f"{year}-{month:02d}", kind, dt.date(year, month, 1),
                          _month_end(year, month))
        start_month = stat_year_start_month()
        if start_month == 1:
            return Period(f"SY{year}", kind, dt.date(year, 1, 1), dt.date(year, 12, 31))
        return Period(f"SY{year}", kind, dt.date(year - 1, start_month, 1),
                      _month_end(year, start_month - 1))
    raise PeriodError(
        _("cannot read the period '%(text)s'; write a year (2024), a quarter (2024Q3), a "
          "half-year (2024H1), a month (2024-05) or a statistical year (SY2024)")
        % {"text": text})


def _connect() -> duckdb.DuckDBPyConnection:
    path = indicators_path()
    if not path.exists():
        raise AnalyticsNotReady(_("no indicators have been computed yet; run "
                                  "`renkou analytics refresh` first"))
    return duckdb.connect(str(path), read_only=True)


def indicator_rows(period: str | Period, org_code: str | None = None, level: int | None = None,
                   indicators: list[str] | tuple[str, ...] | None = None,
                   disaggregated: bool = False) -> list[dict[str, Any]]:
    """Rows of ``indicator_values`` for one period, as dicts.

    ``org_code`` alone: that unit; with ``level``: the units of that level in its subtree;
    ``level`` alone: every unit of that level; neither: every unit. ``indicators`` limits
    the codes (catalogue order is kept). Totals only, unless ``disaggregated`` (then the
    rows also carry sex, age_group, birth_order and urban_rural). Keys: org_code,
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
        where.append("sex = '' AND age_group = '' AND birth_order = '' AND urban_rural = ''")
    fields = ROW_FIELDS + (DIMENSION_FIELDS if disaggregated else ())
    con = _connect()
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
