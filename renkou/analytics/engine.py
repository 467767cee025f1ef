"""The statistics engine (统计引擎): every catalogue indicator for every unit and period.

:func:`compute_indicators` reads the Parquet snapshot (:mod:`renkou.analytics.snapshot`)
with DuckDB and writes ``indicators.duckdb`` (the contract in
:mod:`renkou.analytics.schema`). It is set-based from end to end — no loop over org
units or periods:

1. **Org tree.** ``org_anc`` pairs each unit with itself and every unit above it (a
   prefix match on the path), so joining a fact to it counts the fact in its village,
   township and county at once.
2. **Periods.** Every period (month, quarter, half-year, calendar year, statistical year
   starting in ``RENKOU_STAT_YEAR_START_MONTH``) is a run of whole months, from the
   ledger's first month to the current one. ``period_roles`` gives the months a period
   spans (for events); its populations are read at the end of its last month and of the
   month before its first (missing before the ledger's first event).
3. **Residence.** Window functions over each person's effective events give intervals of
   residence in a unit [entry or move, exit or next move); cut at the birthdays where the
   age band changes, they become *segments* of constant unit, sex and age band.
4. **Population.** Each segment adds +1/−1 at the months it starts and ends (a running
   sum gives the population at every month end, as ``renkou export persons --as-of``
   would count it), and three more running sums give the person-days lived up to each
   month end (a period's person-years are a difference of two of them). Rolled up
   through ``org_anc`` before the running sums.
5. **Events** are counted by their unit (rolled up) and the period of their date, with
   the subject's sex, age band and the birth order. **Migrant spells** (流动人口,
   :mod:`renkou.analytics.sql.migrants`) are counted by their managing unit (rolled up):
   the stock at each period's end, and the spells begun and ended in it, with the
   person's sex and age band and the other place (origin or destination province and
   county). **Service records** (服务记录, :mod:`renkou.analytics.sql.services`) are
   counted by their unit (rolled up) and period, per service and for all services: people
   served (distinct in the unit and period), encounters, requests and those served, and —
   of the encounters whose person agreed to use in anonymous statistics alone — those
   assessed at risk and referred.
6. **Measures and indicators.** For each disaggregation the catalogue asks for (the
   total, sex, sex × age group, birth order, origin province, service, …) one grouped
   pass over the event cells, one over the population cells, one over the migrant cells
   and one over the service cells compute every numerator and denominator it needs;
   they are joined onto a skeleton of every unit × period × category, so a zero is a
   zero and a missing denominator gives NULL with the flag ``missing``; one INSERT then
   writes every indicator of that disaggregation with its interval (Poisson exact limits
   from a lookup table computed by :func:`renkou.demography.poisson_interval` for the
   distinct counts met; Wilson and SRB in SQL) and small-number flag. Formulas (RNI,
   TFR) are evaluated on those rows; e0 is the one Python step: abridged life tables of
   every unit × period × sex at once, as NumPy arrays.

The SQL lives in :mod:`renkou.analytics.sql` and keeps to what Spark SQL also runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from django.conf import settings
from django.utils import timezone

from renkou.core import clock
from renkou.demography import poisson_interval

from . import schema
from .catalogue import (
    AGE_GROUPS,
    BAND_STARTS,
    EventMeasure,
    Indicator,
    MigrantMeasure,
    PopulationMeasure,
    ServiceMeasure,
    evaluation_order,
    load_catalogue,
)
from .periods import build_periods, month_index, month_start
from .snapshot import LEDGER_STATE, _configure
from .sql import formulas, life_tables, measures, migrants, services, setup, stages
from .sql.dialect import date_literal

# Period, PERIOD_KINDS, build_periods and month_index live in renkou.analytics.periods.
__all__ = ["compute_indicators", "life_expectancy", "analytics_paths"]

LIFE_TABLE_AGES = np.array(BAND_STARTS, dtype=float)


def _bands() -> pa.Table:
    lo = list(BAND_STARTS)
    hi = [*lo[1:], None]
    labels = ["0-4", "0-4", *[label for label, _a, _b in AGE_GROUPS[1:]]]
    return pa.table({"band": list(range(len(lo))), "lo": lo, "hi": pa.array(hi, pa.int64()),
                     "age_group": labels})


# ----------------------------------------------------------------------------- life table


def life_expectancy(deaths: np.ndarray, exposure: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """e0 of many abridged life tables at once (one per row), 平均预期寿命.

    Same rules as :func:`renkou.demography.life_table` (Preston, Heuveline & Guillot 2001,
    ch. 3): age groups 0, 1–4, 5–9, …, 85+; nqx = n·m / (1 + (n − a)·m); a0 and 4a1 by
    Coale–Demeny West from 1m0 (Table 3.3) — for both sexes together the mean of the male
    and female values —, n/2 elsewhere, L(open) = l/m.

    Arguments: ``deaths`` and ``exposure`` (person-years) as arrays of shape (rows, 19);
    ``sex`` an array of 'M', 'F' or '' per row. Returns e0 in years; NaN (missing) where
    an age group has no exposure or the open group no deaths.
    """
    d = np.asarray(deaths, dtype=float)
    e = np.asarray(exposure, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(e > 0, d / e, np.nan)
    n = np.append(np.diff(LIFE_TABLE_AGES), np.inf)
    a = np.broadcast_to(n / 2.0, m.shape).copy()
    m0 = m[:, 0]
    high = m0 >= 0.107
    a0_m = np.where(high, 0.330, 0.045 + 2.684 * m0)
    a1_m = np.where(high, 1.352, 1.651 - 2.816 * m0)
    a0_f = np.where(high, 0.350, 0.053 + 2.800 * m0)
    a1_f = np.where(high, 1.361, 1.522 - 1.518 * m0)
    sex = np.asarray(sex)
    a[:, 0] = np.where(sex == "M", a0_m, np.where(sex == "F", a0_f, (a0_m + a0_f) / 2))
    a[:, 1] = np.where(sex == "M", a1_m, np.where(sex == "F", a1_f, (a1_m + a1_f) / 2))
    closed_n, closed_a, closed_m = n[:-1], a[:, :-1], m[:, :-1]
    q = closed_n * closed_m / (1.0 + (closed_n - closed_a) * closed_m)
    q = np.where(np.isnan(q), np.nan, np.clip(q, 0.0, 1.0))
    lx = np.concatenate([np.ones((m.shape[0], 1)), np.cumprod(1.0 - q, axis=1)], axis=1)
    dx = lx[:, :-1] * q
    big_l = closed_n * lx[:, 1:] + closed_a * dx
    with np.errstate(divide="ignore", invalid="ignore"):
        last = np.where(m[:, -1] > 0, lx[:, -1] / m[:, -1], np.nan)
    return big_l.sum(axis=1) + last


# ----------------------------------------------------------------------------- the engine


def compute_indicators(snapshot: Path, out: Path, *, catalogue: tuple[Indicator, ...] | None = None,
                       today: dt.date | None = None,
                       step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Compute every indicator of ``catalogue`` from the snapshot into the DuckDB file ``out``.

    Written to ``out`` + ``.tmp`` and renamed at the end, so readers never see a
    half-written file. ``step`` is called with the name of each stage (progress).
    Returns timings (seconds) and counts.
    """

    catalogue = catalogue or load_catalogue()
    today = today or clock.today()
    step = step or (lambda name: None)
    tmp = out.with_name(out.name + ".tmp")
    for f in (tmp, tmp.with_name(tmp.name + ".wal")):
        f.unlink(missing_ok=True)
    timings: dict[str, Any] = {}
    con = duckdb.connect(str(tmp))
    try:
        _configure(con, out.parent)
        con.execute(schema.INDICATOR_VALUES_DDL)
        for statement in setup.OUTPUT_TABLES_DDL:
            con.execute(statement)
        con.execute(setup.BEGIN)
        _Run(con, snapshot, catalogue, today, step, timings).run()
        con.execute(setup.COMMIT)
        con.execute(setup.INSERT_REFRESH_INFO,
                    [timezone.localtime(clock.now()).isoformat(timespec="seconds"), today.isoformat()])
        state = snapshot / LEDGER_STATE
        if state.is_file():
            for key, value in json.loads(state.read_text(encoding="utf-8")).items():
                con.execute(setup.INSERT_REFRESH_ITEM, [key, str(value)])
        started = time.perf_counter()
        con.execute(setup.CHECKPOINT)
        timings["write"] = round(time.perf_counter() - started, 3)
    finally:
        con.close()
    os.replace(tmp, out)
    return timings


class _Run:
    def __init__(self, con, snapshot: Path, catalogue, today, step, timings):
        self.con, self.snapshot, self.catalogue = con, snapshot, catalogue
        self.today, self.step, self.timings = today, step, timings
        self.by_code = {i.code: i for i in catalogue}

    def sql(self, statements: str | list[str]) -> None:
        for statement in [statements] if isinstance(statements, str) else statements:
            self.con.execute(statement)

    def timed(self, name: str):
        run = self

        class _Timer:
            def __enter__(self):
                run.step(name)
                self.started = time.perf_counter()

            def __exit__(self, *exc):
                run.timings[name] = round(time.perf_counter() - self.started, 3)

        return _Timer()

    # ------------------------------------------------------------------ stages
    def run(self) -> None:
        con = self.con
        with self.timed("load"):
            if not self._load():
                return
        with self.timed("residence"):
            self.sql(stages.org_sql())
            self.sql(stages.residence_sql(date_literal(self.horizon)))
        if self._needs_population():  # a catalogue of event counts alone skips it
            with self.timed("population"):
                self.sql(stages.population_sql(self.k_min, self.k_max, date_literal(self.cap)))
        with self.timed("events"):
            types = {t for i in self.catalogue for m in (i.numerator, i.denominator)
                     if isinstance(m, EventMeasure) for t in m.types} | {"death"}
            self.sql(stages.events_sql(self.k_min, self.k_max, tuple(sorted(types))))
        with self.timed("migrants"):
            self.sql(migrants.migrants_sql())
        with self.timed("services"):
            self.sql(services.services_sql())
        self._measures()
        with self.timed("indicators"):
            self._indicators()
        with self.timed("life_tables"):
            self._life_tables()
        stock = [i.code for i in self.catalogue if i.method == "ratio" and any(
            isinstance(m, PopulationMeasure | MigrantMeasure) and m.kind in ("end", "stock_end")
            for m in (i.numerator, i.denominator))]
        con.execute(setup.unpublished_future_stock(stock), [self.today.isoformat()])
        with self.timed("formulas"):
            self._formulas()
        con.execute(setup.FLAG_INCOMPLETE, [self.today.isoformat()])
        self.step("write")  # the CHECKPOINT in compute_indicators writes the file
        self.timings["rows"] = con.execute(setup.COUNT_INDICATOR_VALUES).fetchone()[0]

    def _needs_population(self) -> bool:
        """Whether any indicator reads the population stock or person-years (the
        costliest stage): a ratio with a population measure, or a life table."""
        return any(ind.method == "life_table"
                   or (ind.method == "ratio"
                       and any(isinstance(m, PopulationMeasure)
                               for m in (ind.numerator, ind.denominator)))
                   for ind in self.catalogue)

    def _load(self) -> bool:
        con, snap = self.con, self.snapshot
        for name in ("persons", "events", "org_units"):
            if not list((snap / name).glob("*/*.parquet")):
                return False
            view = "snap_org_units" if name == "org_units" else name
            con.execute(setup.snapshot_view(view, str(snap / name)))
        if list((snap / "migrant_spells").glob("*/*.parquet")):
            con.execute(setup.snapshot_view("migrant_spells", str(snap / "migrant_spells")))
        else:  # no migrants app, or no spell yet
            con.execute(migrants.EMPTY_MIGRANT_SPELLS)
        for name, empty in (("service_encounters", services.EMPTY_SERVICE_ENCOUNTERS),
                            ("service_requests", services.EMPTY_SERVICE_REQUESTS)):
            if list((snap / name).glob("*/*.parquet")):
                con.execute(setup.snapshot_view(name, str(snap / name)))
            else:  # no services app, or no record yet
                con.execute(empty)
        con.execute(setup.COPY_ORG_UNITS)
        first = con.execute(setup.FIRST_EVENT_DATE).fetchone()[0]
        if first is None:
            return False
        self.first = first
        periods = build_periods(first, max(self.today, first))
        self.periods = periods
        self.k_min = month_index(first)
        self.k_max = max(month_index(p.end) for p in periods)
        self.horizon = month_start(self.k_max + 1)
        self.cap = min(self.horizon, self.today + dt.timedelta(days=1))
        con.executemany(setup.INSERT_PERIOD, [(p.label, p.kind, p.start, p.end) for p in periods])
        known = [p.start > first for p in periods]
        con.register("periods_arrow", pa.table({
            "pid": list(range(len(periods))), "period": [p.label for p in periods],
            "kind": [p.kind for p in periods],
            "start_date": [p.start for p in periods], "end_date": [p.end for p in periods],
            "k_start": [month_index(p.start) for p in periods],
            "k_end": [month_index(p.end) for p in periods], "known": known}))
        con.execute(setup.temp_table_from("period_list", "periods_arrow"))
        roles: dict[tuple[int, int], list[bool]] = {}
        for pid, (p, is_known) in enumerate(zip(periods, known, strict=True)):
            ks, ke = month_index(p.start), month_index(p.end)
            for k in range(ks, ke + 1):
                roles.setdefault((pid, k), [False, False, False])[2] = True
            roles[(pid, ke)][1] = True
            if is_known:
                roles.setdefault((pid, ks - 1), [False, False, False])[0] = True
        con.register("roles_arrow", pa.table({
            "pid": [key[0] for key in roles], "k": [key[1] for key in roles],
            "is_start": [v[0] for v in roles.values()], "is_end": [v[1] for v in roles.values()],
            "is_in": [v[2] for v in roles.values()]}))
        con.execute(setup.temp_table_from("period_roles", "roles_arrow"))
        ks = list(range(self.k_min, self.k_max + 1))
        epoch = dt.date(1970, 1, 1)
        con.register("months_arrow", pa.table({
            "k": ks, "next_day": [(month_start(k + 1) - epoch).days for k in ks]}))
        con.execute(setup.temp_table_from("months", "months_arrow"))
        con.register("bands_arrow", _bands())
        con.execute(setup.temp_table_from("bands", "bands_arrow"))
        for name, values in (("sex", ["M", "F"]), ("birth_order", ["1", "2", "3+"])):
            con.execute(setup.dimension_table(name))
            con.executemany(setup.dimension_insert(name), [[v] for v in values])
        self.timings["periods"] = len(periods)
        return True

    def _measures(self) -> None:
        ev_cols: dict[Any, str] = {}
        pop_cols: dict[Any, str] = {}
        mig_cols: dict[Any, str] = {}
        svc_cols: dict[Any, str] = {}
        for ind in self.catalogue:
            if ind.method != "ratio":
                continue
            used = [m for m in (ind.numerator, ind.denominator) if m is not None]
            for m in used:
                if isinstance(m, EventMeasure):
                    ev_cols.setdefault(m, f"e{len(ev_cols)}")
                elif isinstance(m, MigrantMeasure):
                    mig_cols.setdefault(m, f"m{len(mig_cols)}")
                elif isinstance(m, ServiceMeasure):
                    svc_cols.setdefault(m, f"s{len(svc_cols)}")
                else:
                    pop_cols.setdefault(m, f"p{len(pop_cols)}")
        self.columns = {**ev_cols, **pop_cols, **mig_cols, **svc_cols}
        self.ev_cols, self.pop_cols, self.mig_cols = ev_cols, pop_cols, mig_cols
        self.svc_cols = svc_cols
        # the cells with their five-year age group
        self.sql(measures.EVENT_SOURCE_VIEW)
        self.sql(measures.MIGRANT_SOURCE_VIEW)
        if self._needs_population():
            self.sql(measures.POPULATION_SOURCE_VIEW)
        self.sql(measures.POISSON_LIMITS_DDL)
        self.poisson_known: set[int] = set()
        self.timings["poisson_counts"] = 0

    def _poisson_limits(self, columns: list[str]) -> None:
        """Exact Poisson limits (renkou.demography) for the counts in ``j.columns`` not
        looked up yet: only the distinct counts, so a few thousand at most."""
        if not columns:
            return
        counts = self.con.execute(measures.distinct_counts_sql(columns)).fetchnumpy()["k"]
        found = {int(k) for k in counts if k == k} | {0}
        new = np.array(sorted(found - self.poisson_known), dtype=float)
        if not len(new):
            return
        lo, hi = poisson_interval(new)
        self.con.register("pl_arrow", pa.table({"k": new.astype(np.int64),
                                                "lo": np.atleast_1d(lo), "hi": np.atleast_1d(hi)}))
        self.sql(measures.poisson_limits_insert("pl_arrow"))
        self.con.unregister("pl_arrow")
        self.poisson_known |= {int(k) for k in new}
        self.timings["poisson_counts"] = len(self.poisson_known)

    def _indicators(self) -> None:
        """Per disaggregation: one grouped pass per family into the joined table ``j``,
        then one INSERT of every indicator of that disaggregation."""
        by_dims: dict[tuple[str, ...], list[Indicator]] = {}
        for ind in self.catalogue:
            if ind.method == "ratio":
                for dims in ((), *ind.disaggregations):
                    by_dims.setdefault(dims, []).append(ind)
        for dims, inds in by_dims.items():
            used = {m for ind in inds for m in (ind.numerator, ind.denominator) if m is not None}
            ev = {self.ev_cols[m]: measures.event_aggregate(m) for m in used if m in self.ev_cols}
            pop = {self.pop_cols[m]: measures.population_aggregate(m)
                   for m in used if m in self.pop_cols}
            mig = {self.mig_cols[m]: measures.migrant_aggregate(m)
                   for m in used if m in self.mig_cols}
            by_service = "service" in dims
            svc = {self.svc_cols[m]: services.service_aggregate(m, by_service)
                   for m in used if isinstance(m, ServiceMeasure)}
            if "age_group" in dims:  # only the age groups these indicators cover
                self.sql(measures.age_group_dim_sql({g for ind in inds for g in ind.age_groups()}))
            ev_pass = (measures.family_sql(measures.EVENT_DIMS, dims, ev, measures.EVENT_SOURCE)
                       if ev else None)
            pop_pass = (measures.family_sql(measures.POPULATION_DIMS, dims, pop,
                                            measures.POPULATION_SOURCE) if pop else None)
            mig_pass = (measures.family_sql(measures.MIGRANT_DIMS, dims, mig,
                                            measures.MIGRANT_SOURCE) if mig else None)
            svc_pass = (measures.family_sql(services.SERVICE_DIMS, dims, svc,
                                            services.SERVICE_SOURCE) if svc else None)
            self.sql(measures.joined_sql(dims, ev_pass, pop_pass,
                                         sorted(ev) + sorted(pop) + sorted(mig) + sorted(svc),
                                         mig_pass, svc_pass))
            self._poisson_limits(sorted({self.columns[i.numerator] for i in inds
                                         if i.interval == "poisson"}))
            self.sql(measures.insert_sql([measures.indicator_sql(ind, dims, self.columns)
                                          for ind in inds]))
        self.sql(measures.DROP_JOINED)

    def _life_tables(self) -> None:
        """e0 of every unit × period × sex: deaths and person-years by sex and age band
        gathered into NumPy arrays, then :func:`life_expectancy` on all of them at once."""
        tables = [i for i in self.catalogue if i.method == "life_table"]
        if not tables:
            return
        con, nb = self.con, len(BAND_STARTS)
        org_ids = con.execute(life_tables.ORG_IDS).fetchnumpy()["org_id"]
        known = con.execute(life_tables.PERIOD_KNOWN).fetchnumpy()["known"]
        shape = (len(org_ids), len(known), 3, nb)  # sex: both, M, F
        arrays = {}
        for name, query in (("deaths", life_tables.DEATHS_BY_BAND),
                            ("py", life_tables.PERSON_YEARS_BY_BAND)):
            r = con.execute(query).fetchnumpy()
            a = np.zeros(shape)
            a[np.searchsorted(org_ids, r["org_id"]), r["pid"], np.where(r["sex"] == "M", 1, 2),
              r["band"]] = r["v"]
            a[:, :, 0] = a[:, :, 1] + a[:, :, 2]
            arrays[name] = a
        deaths, py = arrays["deaths"], arrays["py"]
        py[:, ~np.asarray(known, bool)] = np.nan  # exposure before the ledger is unknown
        e0 = life_expectancy(deaths.reshape(-1, nb), py.reshape(-1, nb),
                             np.tile(np.array(["", "M", "F"]), shape[0] * shape[1]))
        e0 = np.where(np.isfinite(e0), e0, np.nan)
        total_deaths = deaths.sum(axis=3).reshape(-1)
        total_py = py.sum(axis=3).reshape(-1)
        o_idx, p_idx, s_idx = (x.reshape(-1) for x in np.indices(shape[:3]))
        for ind in tables:
            keep = np.ones(len(e0), bool) if ("sex",) in ind.disaggregations else s_idx == 0
            small = (total_deaths[keep] < ind.small_number) if ind.small_number else \
                np.zeros(int(keep.sum()), bool)
            con.register("e0_arrow", pa.table({
                "org_id": org_ids[o_idx[keep]], "pid": p_idx[keep],
                "sex": pa.array(np.array(["", "M", "F"])[s_idx[keep]], pa.string()),
                "value": pa.array(e0[keep], pa.float64(), from_pandas=True),
                "num": total_deaths[keep],
                "den": pa.array(total_py[keep], pa.float64(), from_pandas=True),
                "small": small,
            }))
            self.sql(measures.insert_sql([life_tables.life_expectancy_select(ind.code, "e0_arrow")]))
            con.unregister("e0_arrow")

    def _formulas(self) -> None:
        """Formula indicators on the rows written so far (:mod:`renkou.analytics.sql.formulas`)."""
        self.sql(formulas.ALL_AGE_GROUPS_DIM)
        for ind in evaluation_order(self.catalogue):
            if ind.method != "formula":
                continue
            for dims in ((), *ind.disaggregations):
                self.sql(formulas.formula_insert_sql(ind, dims, self.by_code))


def analytics_paths(base: Path | None = None) -> tuple[Path, Path]:
    """The snapshot folder and the indicators file under ``RENKOU_ANALYTICS_DIR``."""
    base = Path(base or settings.RENKOU_ANALYTICS_DIR)
    return base / "snapshot", base / "indicators.duckdb"

