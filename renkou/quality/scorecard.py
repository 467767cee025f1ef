"""The data-quality scorecard (数据质量评分表) of every org unit.

Measures (DESIGN.md §4, last paragraph), each for a unit's whole subtree:

========================  =====================================================================
entry_rate (录入率, %)      residents with an ID number recorded / residents. The register holds
                           no outside reference count, so "recorded" is read as "recorded with
                           the ID number that makes the record usable" (newborns waiting for a
                           number lower it)
accuracy (准确率, %)        matched / checked of the latest field survey, from
                           ``renkou.reconciliation.services.survey_accuracy_by_org()``
duplicate_rate (‰)         duplicate pairs / persons × 1000, pairs from
                           ``renkou.dedupe.services.duplicate_counts_by_org()``
violation_rate (‰)         open rule violations / persons × 1000
timeliness (%)             life events (not enrolments or corrections) dated in the last 365
                           days and recorded within 30 days / those events, by the event's unit
whipple                    Whipple's index, residents aged 23–62, digits 0 and 5 (100 = none)
myers                      Myers' blended index, ages 10–89
un_index                   UN age-sex accuracy index (joint score, 5-year groups 0–74)
srb, srb_lo, srb_hi        sex ratio at birth of the births in the last 3 years, 95% Wilson
                           interval; ``srb_outlier`` when the interval lies wholly outside the
                           normal range 103–107
birth_outliers             months among the last 24 complete months whose birth count is an
                           outlier of the unit's series: |z| > 3 or |modified z| > 3.5
                           (as DHIS2's data-quality app; z with the population SD, modified z =
                           0.6745 (x − median) / MAD, undefined when MAD = 0)
========================  =====================================================================

Persons and residents are judged by their registered unit. A missing value is missing
(``None``), never zero: a unit with no survey has no accuracy, and until the dedupe
and reconciliation apps provide their functions, duplicate rate and accuracy are
missing for every unit. Counts are computed for all units at once — one GROUP BY per
measure over the ancestor table built from ``OrgUnit.path`` — and the index functions of
:mod:`renkou.demography` are then applied unit by unit to the counts.

The job (:func:`compute_scorecard`) stores its result in
:class:`~renkou.quality.models.ScorecardRow`; pages and exports read the stored rows.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.scoping import subtree_q
from renkou.core.tables import TableWriter
from renkou.demography import myers, srb_interval, un_age_sex_accuracy, whipple
from renkou.orgunits.models import OrgUnit

from .models import ScorecardRow, Violation, ViolationStatus
from .relations import LIFE_EVENT_TYPES, LoadedRegister, load_register

__all__ = ["MEASURES", "compute_scorecard", "scorecard_values", "save_scorecard",
           "scorecard_table", "export_scorecard", "period_outliers", "provider_values"]

MAX_AGE = 100
SRB_NORMAL = (103.0, 107.0)
SRB_YEARS = 3
OUTLIER_MONTHS = 24
Z_LIMIT = 3.0
MODIFIED_Z_LIMIT = 3.5

#: Measures shown and ranked: key → (label, unit, "better" direction or ranking key).
#: ``high`` = higher is better, ``low`` = lower is better; a callable gives the distance
#: from the ideal (lower is better).
MEASURES: dict[str, tuple[Any, str, str | Callable]] = {
    "entry_rate": (gettext_lazy("entry rate"), "%", "high"),
    "accuracy": (gettext_lazy("accuracy (latest survey)"), "%", "high"),
    "duplicate_rate": (gettext_lazy("duplicate pairs"), "‰", "low"),
    "violation_rate": (gettext_lazy("rule violations"), "‰", "low"),
    "timeliness": (gettext_lazy("recorded within 30 days"), "%", "high"),
    "whipple": (gettext_lazy("Whipple's index"), "", lambda v: abs(v - 100.0)),
    "myers": (gettext_lazy("Myers' index"), "", "low"),
    "un_index": (gettext_lazy("UN age-sex accuracy index"), "", "low"),
    # ranked by how far the SRB interval lies outside 103-107 (srb_gap)
    "srb": (gettext_lazy("sex ratio at birth (3 years)"), "", "gap"),
    "birth_outliers": (gettext_lazy("outlier months of births"), "", "low"),
}

PROVIDERS = {
    "accuracy": ("renkou.reconciliation.services", "survey_accuracy_by_org"),
    "duplicates": ("renkou.dedupe.services", "duplicate_counts_by_org"),
}


def provider_values(which: str) -> dict[int, Any] | None:
    """The other apps' figures by org unit id, or ``None`` while their function does
    not exist yet (imported at call time, so this app works without them)."""
    module, name = PROVIDERS[which]
    try:
        function = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return dict(function())


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def period_outliers(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z-scores, modified z-scores and the outlier mask of each row's series.

    ``counts`` is units × periods. z = (x − mean) / SD (population SD); modified
    z = 0.6745 (x − median) / MAD (Iglewicz & Hoaglin 1993), NaN where the SD or the
    MAD is 0. A period is an outlier when |z| > 3 or |modified z| > 3.5 (the
    thresholds of DHIS2's data-quality app).
    """
    x = np.asarray(counts, dtype=float)
    mean = x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1, keepdims=True)
    median = np.median(x, axis=1, keepdims=True)
    mad = np.median(np.abs(x - median), axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, (x - mean) / sd, np.nan)
        mz = np.where(mad > 0, 0.6745 * (x - median) / mad, np.nan)
    mask = (np.abs(np.nan_to_num(z)) > Z_LIMIT) | (np.abs(np.nan_to_num(mz)) > MODIFIED_Z_LIMIT)
    return z, mz, mask


def _month_starts(today: dt.date, n: int) -> list[dt.date]:
    """The first days of the ``n`` complete months before ``today``'s month, oldest first."""
    y, m = today.year, today.month
    months = []
    for _i in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        months.append(dt.date(y, m, 1))
    return months[::-1]


def _roll_up(values: dict[int, float], ancestors: list[tuple[int, int]]) -> dict[int, float]:
    """Sum per-unit figures over each unit's subtree (``ancestors``: (org_id, anc_id))."""
    out: dict[int, float] = {}
    for org_id, anc_id in ancestors:
        if org_id in values:
            out[anc_id] = out.get(anc_id, 0) + values[org_id]
    return out


def scorecard_values(reg: LoadedRegister) -> dict[int, dict[str, Any]]:
    """Every measure of every unit, from a loaded whole register (see module docstring)."""
    con, today = reg.con, reg.today
    units = con.execute("SELECT org_id, persons, residents, residents_with_id FROM unit "
                        "ORDER BY org_id").fetchall()
    index = {u[0]: i for i, u in enumerate(units)}
    n = len(units)
    ancestors = con.execute("SELECT org_id, anc_id FROM org_anc").fetchall()
    d = f"DATE '{today.isoformat()}'"

    # age-sex counts of residents for every unit: one GROUP BY over the ancestor table
    ages = np.zeros((2, n, MAX_AGE + 1))
    rows = con.execute(f"""
        SELECT a.anc_id, p.sex = 'M', LEAST(GREATEST(p.age, 0), {MAX_AGE}), count(*)
        FROM person p JOIN org_anc a ON a.org_id = p.registered_org_id
        WHERE p.status = 'resident' AND p.sex IN ('M', 'F') GROUP BY ALL""").fetchall()
    if rows:
        anc, male, age, k = (np.array(c) for c in zip(*rows, strict=True))
        np.add.at(ages, (np.where(male, 0, 1), np.array([index[a] for a in anc]), age.astype(int)), k)

    timely = {r[0]: r[1:] for r in con.execute(f"""
        SELECT a.anc_id, count(*), count(*) FILTER (WHERE e.delay_days <= 30)
        FROM event e JOIN org_anc a ON a.org_id = e.org_id
        WHERE e.event_type IN ({", ".join(f"'{t}'" for t in LIFE_EVENT_TYPES)})
          AND e.event_date > {d} - INTERVAL 365 DAY AND e.event_date <= {d}
        GROUP BY a.anc_id""").fetchall()}
    births = {r[0]: r[1:] for r in con.execute(f"""
        SELECT a.anc_id, count(*) FILTER (WHERE e.person_sex = 'M'),
               count(*) FILTER (WHERE e.person_sex = 'F')
        FROM event e JOIN org_anc a ON a.org_id = e.org_id
        WHERE e.event_type = 'birth' AND e.event_date > {d} - INTERVAL {SRB_YEARS} YEAR
          AND e.event_date <= {d}
        GROUP BY a.anc_id""").fetchall()}
    months = _month_starts(today, OUTLIER_MONTHS)
    month_index = {m: i for i, m in enumerate(months)}
    series = np.zeros((n, OUTLIER_MONTHS))
    for anc, month, k in con.execute(f"""
            SELECT a.anc_id, CAST(date_trunc('month', e.event_date) AS DATE), count(*)
            FROM event e JOIN org_anc a ON a.org_id = e.org_id
            WHERE e.event_type = 'birth' AND e.event_date >= DATE '{months[0].isoformat()}'
              AND e.event_date < DATE '{today.replace(day=1).isoformat()}'
            GROUP BY ALL""").fetchall():
        series[index[anc], month_index[month]] = k
    z, mz, outlier = period_outliers(series)

    open_by_org = dict(Violation.objects.filter(status=ViolationStatus.OPEN).order_by()
                       .values("org_id").annotate(n=models.Count("pk")).values_list("org_id", "n"))
    violations = _roll_up(open_by_org, ancestors)
    duplicates = provider_values("duplicates")
    duplicates = _roll_up(duplicates, ancestors) if duplicates is not None else None
    accuracy = provider_values("accuracy")
    matched = checked = None
    if accuracy is not None:
        matched = _roll_up({k: v[0] for k, v in accuracy.items()}, ancestors)
        checked = _roll_up({k: v[1] for k, v in accuracy.items()}, ancestors)

    male_groups = ages[0, :, :75].reshape(n, 15, 5).sum(axis=2)
    female_groups = ages[1, :, :75].reshape(n, 15, 5).sum(axis=2)
    both = ages.sum(axis=0)
    age_axis = np.arange(MAX_AGE + 1)
    starts = np.arange(0, 75, 5)
    result: dict[int, dict[str, Any]] = {}
    for org_id, persons, residents, with_id in units:
        i = index[org_id]
        values: dict[str, Any] = {"persons": persons, "residents": residents,
                                  "residents_with_id": with_id}
        values["entry_rate"] = 100.0 * with_id / residents if residents else None
        values["violations"] = int(violations.get(org_id, 0))
        values["violation_rate"] = 1000.0 * values["violations"] / persons if persons else None
        if duplicates is None:
            values["duplicate_pairs"] = values["duplicate_rate"] = None
        else:
            values["duplicate_pairs"] = int(duplicates.get(org_id, 0))
            values["duplicate_rate"] = (1000.0 * values["duplicate_pairs"] / persons
                                        if persons else None)
        if matched is None or checked is None or not checked.get(org_id):
            values["accuracy_matched"] = values["accuracy_checked"] = values["accuracy"] = None
        else:
            values["accuracy_matched"] = int(matched.get(org_id, 0))
            values["accuracy_checked"] = int(checked[org_id])
            values["accuracy"] = 100.0 * values["accuracy_matched"] / values["accuracy_checked"]
        events, on_time = timely.get(org_id, (0, 0))
        values["events_12m"], values["timely_12m"] = events, on_time
        values["timeliness"] = 100.0 * on_time / events if events else None
        values["whipple"] = _finite(whipple(both[i], age_axis)) if residents else None
        values["myers"] = _finite(myers(both[i], age_axis)) if residents else None
        if male_groups[i].all() and female_groups[i].all():
            values["un_index"] = _finite(un_age_sex_accuracy(male_groups[i], female_groups[i],
                                                             starts).joint_score)
        else:
            values["un_index"] = None  # an empty group makes the index undefined
        m, f = births.get(org_id, (0, 0))
        values["male_births_3y"], values["female_births_3y"] = m, f
        if m + f and f:
            lo, hi = srb_interval(m, f)
            values["srb"], values["srb_lo"], values["srb_hi"] = 100.0 * m / f, _finite(lo), \
                _finite(hi)
            values["srb_outlier"] = bool(lo > SRB_NORMAL[1] or hi < SRB_NORMAL[0])
            gap = max(float(lo) - SRB_NORMAL[1], SRB_NORMAL[0] - float(hi), 0.0)
            values["srb_gap"] = gap if math.isfinite(gap) else None
        else:
            values.update(srb=None, srb_lo=None, srb_hi=None, srb_outlier=None, srb_gap=None)
        values["births_by_month"] = series[i].astype(int).tolist()
        values["birth_outlier_months"] = [months[j].strftime("%Y-%m")
                                          for j in np.flatnonzero(outlier[i])]
        values["birth_outliers"] = len(values["birth_outlier_months"]) if series[i].sum() else None
        result[org_id] = values
    return result


def compute_scorecard(today: dt.date | None = None) -> dict[int, dict[str, Any]]:
    """Load the whole register, compute every unit's measures, store them; return them."""
    reg = load_register(None, today=today)
    try:
        values = scorecard_values(reg)
    finally:
        reg.close()
    save_scorecard(values)
    return values


@transaction.atomic
def save_scorecard(values: dict[int, dict[str, Any]]) -> None:
    now = clock.now()
    ScorecardRow.objects.all().delete()
    ScorecardRow.objects.bulk_create(
        [ScorecardRow(org_id=org_id, computed_at=now, values=v) for org_id, v in values.items()],
        batch_size=1000)


def _rank_key(measure: str, row: dict[str, Any]) -> float | None:
    if measure == "srb":
        return row.get("srb_gap")
    value = row.get(measure)
    if value is None:
        return None
    direction = MEASURES[measure][2]
    if direction == "high":
        return -float(value)
    if direction == "low":
        return float(value)
    assert callable(direction)  # the other words: "high", "low", and "gap" (srb, above)
    return direction(float(value))


def rank(rows: list[dict[str, Any]]) -> None:
    """Add ``rank_<measure>`` to each row: 1 = best, ties share a rank (1, 2, 2, 4);
    missing values have no rank."""
    for measure in MEASURES:
        keyed = [(_rank_key(measure, r["values"]), r) for r in rows]
        present = sorted((k for k, _r in keyed if k is not None))
        for k, r in keyed:
            r.setdefault("ranks", {})[measure] = (
                None if k is None else 1 + sum(1 for other in present if other < k - 1e-12))


def scorecard_table(user, unit: OrgUnit, *, level: int | None = None, sort: str = "",
                    descending: bool = False) -> dict[str, Any]:
    """The stored scorecard rows of ``unit``'s subtree at ``level`` (default: the level
    below the unit), ranked on every measure and sorted by ``sort`` (a measure, its
    rank ``rank_<measure>``, ``code`` or ``name``)."""
    level = level or min(unit.level + 1, 4)
    units = OrgUnit.objects.all() if user is None else OrgUnit.objects.visible_to(user)
    stored = ScorecardRow.objects.filter(org__in=units).select_related("org")
    own = stored.filter(org=unit).first()
    below = stored.filter(org__level=level).filter(subtree_q(unit.path, "org__path")).exclude(org=unit)
    rows = [{"unit": r.org, "values": r.values} for r in below]
    rank(rows)
    if sort.startswith("rank_") and sort[5:] in MEASURES:
        measure = sort[5:]
        rows.sort(key=lambda r: (r["ranks"][measure] is None, r["ranks"][measure] or 0,
                                 r["unit"].code), reverse=False)
        if descending:
            rows.reverse()
    elif sort in MEASURES or sort in ("residents", "persons"):
        present = [r for r in rows if r["values"].get(sort) is not None]
        missing = [r for r in rows if r["values"].get(sort) is None]
        present.sort(key=lambda r: r["values"][sort], reverse=descending)
        rows = present + missing  # missing values last, whichever the direction
    elif sort == "name":
        rows.sort(key=lambda r: r["unit"].name, reverse=descending)
    else:
        rows.sort(key=lambda r: r["unit"].code, reverse=descending)
    return {"unit": unit, "own": own, "rows": rows, "level": level,
            "computed_at": own.computed_at if own else None}


SCORECARD_COLUMNS = ("code", "name", "level", "persons", "residents", "entry_rate",
                     "accuracy", "accuracy_matched", "accuracy_checked", "duplicate_pairs",
                     "duplicate_rate", "violations", "violation_rate", "events_12m",
                     "timely_12m", "timeliness", "whipple", "myers", "un_index",
                     "male_births_3y", "female_births_3y", "srb", "srb_lo", "srb_hi",
                     "srb_outlier", "birth_outliers", "birth_outlier_months")


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else value


def scorecard_records(user, unit: OrgUnit, level: int | None = None) -> list[dict[str, Any]]:
    """Flat rows (the unit itself, then the units at ``level`` below it) with ranks."""
    table = scorecard_table(user, unit, level=level)
    out = []
    if table["own"] is not None:
        out.append({"code": unit.code, "name": unit.name, "level": unit.level,
                    **{c: table["own"].values.get(c) for c in SCORECARD_COLUMNS[3:]}})
    for r in table["rows"]:
        rec = {"code": r["unit"].code, "name": r["unit"].name, "level": r["unit"].level,
               **{c: r["values"].get(c) for c in SCORECARD_COLUMNS[3:]}}
        rec.update({f"rank_{m}": r["ranks"][m] for m in MEASURES})
        out.append(rec)
    return out


def export_scorecard(out: str | Path, user, unit: OrgUnit, level: int | None = None) -> int:
    """Write the scorecard of ``unit``'s subtree to ``.xlsx`` or ``.csv``; logged."""
    records = scorecard_records(user, unit, level)
    columns = SCORECARD_COLUMNS + tuple(f"rank_{m}" for m in MEASURES)
    with TableWriter(out, columns, _("scorecard")) as writer:
        for rec in records:
            writer.writerow([_cell(rec.get(c)) for c in columns])
    audit.record(AuditAction.EXPORT, "scorecard", details={
        "org": unit.code, "level": level or "", "rows": len(records), "file": Path(out).name},
        user=user)
    return len(records)
