"""SQL generated from the catalogue: measure columns, one grouped pass per family and
disaggregation, and the value, interval and flag of each indicator.

A *measure* is one numerator or denominator definition of the catalogue. For each
disaggregation the catalogue asks for (the total, sex, sex × age group, …), the measures
it needs are computed in one grouped pass over the event cells (``ev_period``), one over
the population cells (``pop_period``), one over the migrant cells (``mig_period``) and
one over the service cells (``svc_period``, :mod:`.services`), joined onto the skeleton
of every unit × period × category (table ``j``), and every indicator of that
disaggregation is written from ``j`` in one INSERT.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..catalogue import (
    BAND_STARTS,
    DIMENSIONS,
    PLACE_DIMENSIONS,
    SERVICE_DIMENSIONS,
    EventMeasure,
    Indicator,
    MigrantMeasure,
    PopulationMeasure,
    ServiceMeasure,
)
from .stages import BIRTH_AT_MOTHERS_HOME

__all__ = ["DROP_JOINED", "EVENT_DIMS", "EVENT_SOURCE", "EVENT_SOURCE_VIEW", "MIGRANT_DIMS",
           "MIGRANT_SOURCE", "MIGRANT_SOURCE_VIEW", "migrant_aggregate", "OUTPUT_COLUMNS",
           "POISSON_LIMITS_DDL", "POPULATION_DIMS", "POPULATION_SOURCE", "POPULATION_SOURCE_VIEW",
           "POPULATION_VALUES", "Z95", "age_group_dim_sql", "band_range", "distinct_counts_sql",
           "event_aggregate", "event_filter", "family_sql", "indicator_sql", "insert_sql",
           "joined_sql", "poisson_limits_insert", "population_aggregate", "population_filter",
           "skeleton_sql"]

#: Disaggregation columns of each family.
EVENT_DIMS = ("sex", "age_group", "birth_order", "urban_rural")
POPULATION_DIMS = ("sex", "age_group", "urban_rural")
MIGRANT_DIMS = ("sex", "age_group", "urban_rural", *PLACE_DIMENSIONS)
#: Φ⁻¹(0.975), as renkou.demography.normal_quantile(0.975) gives it.
Z95 = 1.959963984540054

_COLUMN = {"sex": "sex", "age_group": "age_group", "birth_order": "birth_order",
           "urban_rural": "ur", **{d: d for d in (*PLACE_DIMENSIONS, *SERVICE_DIMENSIONS)}}

#: The cells each family's grouped pass reads (the ``source`` of :func:`family_sql`): the
#: event and population cells with their five-year age group ('' for an event without an
#: age band).
EVENT_SOURCE, POPULATION_SOURCE = "ev_src", "pop_src"
EVENT_SOURCE_VIEW = (f"CREATE TEMP VIEW {EVENT_SOURCE} AS SELECT e.*, "
                     "COALESCE(b.age_group, '') AS age_group "
                     "FROM ev_period e LEFT JOIN bands b ON b.band = e.band")
POPULATION_SOURCE_VIEW = (f"CREATE TEMP VIEW {POPULATION_SOURCE} AS SELECT p.*, b.age_group "
                          "FROM pop_period p JOIN bands b ON b.band = p.band")
#: The migrant cells (:mod:`.migrants`) with their five-year age group.
MIGRANT_SOURCE = "mig_src"
MIGRANT_SOURCE_VIEW = (f"CREATE TEMP VIEW {MIGRANT_SOURCE} AS SELECT m.*, b.age_group "
                       "FROM mig_period m JOIN bands b ON b.band = m.band")

#: The value of a population cell for each kind of population measure.
POPULATION_VALUES = {"end": "p_end", "start": "p_start", "mid_period": "(p_start + p_end) / 2.0",
                     "person_years": "pdays / 365.25"}

#: Exact Poisson limits of the counts met so far (filled from renkou.demography).
POISSON_LIMITS_DDL = "CREATE TEMP TABLE poisson_limits (k BIGINT, lo DOUBLE, hi DOUBLE)"
DROP_JOINED = "DROP TABLE IF EXISTS j"


def band_range(lo: int, hi: int | None) -> tuple[int, int]:
    """First and last age band of the ages lo..hi (bands start at 0, 1, 5, 10, … 85)."""
    first = BAND_STARTS.index(lo)
    last = len(BAND_STARTS) - 1 if hi is None else BAND_STARTS.index(hi + 1) - 1
    return first, last


def _age_filter(ages) -> str:
    if not ages:
        return "TRUE"
    parts = []
    for lo, hi in ages:
        first, last = band_range(lo, hi)
        parts.append(f"band BETWEEN {first} AND {last}")
    return "(" + " OR ".join(parts) + ")"


def event_filter(m: EventMeasure) -> str:
    """The condition on event cells of one measure. Births with an age filter (the
    mother's age: ASFR, GFR, MAC) are the births counted where the mother lived
    (:data:`.stages.BIRTH_AT_MOTHERS_HOME`), so they meet her person-years."""
    kinds = (BIRTH_AT_MOTHERS_HOME,) if m.ages and m.types == ("birth",) else m.types
    types = ", ".join(f"'{t}'" for t in kinds)
    cond = [f"event_type IN ({types})", _age_filter(m.ages)]
    if m.sex:
        cond.append(f"sex = '{m.sex}'")
    if m.birth_order:
        cond.append(f"birth_order = '{m.birth_order}'")
    return " AND ".join(cond)


def population_filter(m: PopulationMeasure) -> str:
    cond = [_age_filter(m.ages)]
    if m.sex:
        cond.append(f"sex = '{m.sex}'")
    return " AND ".join(cond)


def migrant_filter(m: MigrantMeasure) -> str:
    cond = [f"direction = '{m.direction}'", f"kind = '{m.kind}'", _age_filter(m.ages)]
    if m.sex:
        cond.append(f"sex = '{m.sex}'")
    return " AND ".join(cond)


def migrant_aggregate(m: MigrantMeasure) -> str:
    """The aggregate over migrant cells of one migrant measure: the spells it counts."""
    return f"SUM(CASE WHEN {migrant_filter(m)} THEN n ELSE 0 END)"


def event_aggregate(m: EventMeasure) -> str:
    """The aggregate over event cells of one event measure: its count or summed mother's age."""
    return (f"SUM(CASE WHEN {event_filter(m)} THEN "
            f"{'n' if m.value == 'count' else 'mother_age'} ELSE 0 END)")


def population_aggregate(m: PopulationMeasure) -> str:
    """The aggregate over population cells of one population measure."""
    return f"SUM(CASE WHEN {population_filter(m)} THEN {POPULATION_VALUES[m.kind]} ELSE 0 END)"


def age_group_dim_sql(groups: Iterable[str]) -> str:
    """``dim_age_group`` holding only the five-year age groups ``groups`` (for a skeleton of
    the age groups some indicators cover)."""
    return ("CREATE OR REPLACE TEMP TABLE dim_age_group AS SELECT age_group AS value "
            "FROM bands WHERE age_group IN ("
            + ", ".join(f"'{g}'" for g in sorted(groups)) + ") GROUP BY age_group")


def family_sql(family_dims: tuple[str, ...], dims: tuple[str, ...], columns: dict[str, str],
               source: str) -> str:
    """One grouped pass over a family's cells (``source``): every measure in ``columns``
    (name → aggregate expression) for every unit × period × value of ``dims``."""
    keys = ["org_id", "pid", *(_COLUMN[d] for d in family_dims if d in dims)]
    measures = ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
    return (f"(SELECT {', '.join(keys)}, {measures} FROM {source} "
            f"GROUP BY {', '.join(keys)})")


def skeleton_sql(dims: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """FROM clause of every unit × period × value of ``dims``, and the dimension values."""
    sql = "org o CROSS JOIN period_list pe"
    values = {d: "''" for d in DIMENSIONS}
    for d in dims:
        if d == "urban_rural":
            sql += " JOIN org_ur u ON u.org_id = o.org_id"
            values[d] = "u.ur"
        elif d in PLACE_DIMENSIONS or d in SERVICE_DIMENSIONS:
            # the places (.migrants) or services (.services) met under each unit
            sql += f" JOIN org_{d} {d}_ ON {d}_.org_id = o.org_id"
            values[d] = f"{d}_.value"
        else:
            sql += f" CROSS JOIN dim_{d} {d}_"
            values[d] = f"{d}_.value"
    return sql, values


#: Columns of ``indicator_values`` (the contract) in order.
OUTPUT_COLUMNS = ("org_code", "org_name", "level", "org_path", "period", "period_kind",
                  "period_start", "period_end", "indicator", *DIMENSIONS, "value", "numerator",
                  "denominator", "ci_low", "ci_high", "flag")


def joined_sql(dims: tuple[str, ...], ev: str | None, pop: str | None,
               columns: list[str], mig: str | None = None, svc: str | None = None) -> str:
    """``CREATE TEMP TABLE j``: every unit × period × value of ``dims`` (the skeleton) with
    the measure columns of the event pass ``ev``, the population pass ``pop``, the
    migrant pass ``mig`` and the services pass ``svc`` (NULL where nothing was counted)."""
    frm, values = skeleton_sql(dims)
    joins = ""
    for alias, sub, family_dims in (("em", ev, EVENT_DIMS), ("pm", pop, POPULATION_DIMS),
                                    ("mm", mig, MIGRANT_DIMS), ("sm", svc, SERVICE_DIMENSIONS)):
        if sub:
            joins += (f" LEFT JOIN {sub} {alias} ON {alias}.org_id = o.org_id AND {alias}.pid = pe.pid"
                      + "".join(f" AND {alias}.{_COLUMN[d]} = {values[d]}"
                                for d in family_dims if d in dims))
    dims_sql = ", ".join(f"{values[d]} AS {d}" for d in DIMENSIONS)
    extra = "".join(f", {c}" for c in columns)
    return f"""CREATE OR REPLACE TEMP TABLE j AS
SELECT o.org_id, pe.pid, pe.known, {dims_sql}{extra}
FROM {frm}{joins}"""


def insert_sql(selects: list[str]) -> str:
    """One INSERT of the rows of several indicators (``indicator_sql``) into
    ``indicator_values``, with the unit's and the period's columns joined in."""
    union = "\nUNION ALL\n".join(selects)
    dims = ", ".join(f"r.{d}" for d in DIMENSIONS)
    return f"""INSERT INTO indicator_values
SELECT o.code, o.name, o.level, o.path, pe.period, pe.kind, pe.start_date, pe.end_date,
       r.indicator, {dims}, r.value, r.num, r.den, r.ci_low, r.ci_high, r.flag
FROM ({union}) r
JOIN org o ON o.org_id = r.org_id
JOIN period_list pe ON pe.pid = r.pid"""


def distinct_counts_sql(columns: list[str]) -> str:
    """The distinct whole values ``k`` of the count columns ``columns`` of ``j`` (the counts
    whose Poisson limits are needed)."""
    return " UNION ".join(f"SELECT DISTINCT CAST({c} AS BIGINT) AS k FROM j" for c in columns)


def poisson_limits_insert(source: str) -> str:
    """Adds the rows ``(k, lo, hi)`` of ``source`` (a registered Arrow table) to ``poisson_limits``."""
    return f"INSERT INTO poisson_limits SELECT * FROM {source}"


def _measure_expr(m, column: str | None) -> str:
    if column is None:
        return "NULL"
    if isinstance(m, EventMeasure | MigrantMeasure | ServiceMeasure) or m.kind == "end":
        return f"COALESCE(j.{column}, 0)"
    # start, mid-period and person-years need the population before the period:
    # missing when the period starts before the ledger does
    return f"CASE WHEN j.known THEN COALESCE(j.{column}, 0) END"


def indicator_sql(ind: Indicator, dims: tuple[str, ...], columns: dict) -> str:
    """SELECT of one indicator × one disaggregation from ``j``, in the columns of
    ``indicator_values``: value, numerator, denominator, interval and flag."""
    num = _measure_expr(ind.numerator, columns.get(ind.numerator))
    den = _measure_expr(ind.denominator, columns.get(ind.denominator)) if ind.denominator else "NULL"
    where = ""
    if "age_group" in dims:
        where = " WHERE j.age_group IN (" + ", ".join(f"'{g}'" for g in ind.age_groups()) + ")"
    inner = f"SELECT j.*, CAST({num} AS DOUBLE) AS num, CAST({den} AS DOUBLE) AS den FROM j{where}"
    mult = repr(float(ind.multiplier))
    has_den = ind.denominator is not None
    value = f"CASE WHEN x.den > 0 THEN x.num / x.den * {mult} END" if has_den else f"x.num * {mult}"
    lo = hi = "CAST(NULL AS DOUBLE)"
    basis = "x.num"
    pl_join = ""
    if ind.interval == "poisson":
        pl_join = " LEFT JOIN poisson_limits pl ON pl.k = CAST(x.num AS BIGINT)"
        if has_den:
            lo = f"CASE WHEN x.den > 0 THEN pl.lo / x.den * {mult} END"
            hi = f"CASE WHEN x.den > 0 THEN pl.hi / x.den * {mult} END"
        else:
            lo, hi = f"pl.lo * {mult}", f"pl.hi * {mult}"
    elif ind.interval in ("wilson", "srb"):
        x, n = ("x.num", "x.den") if ind.interval == "wilson" else ("x.num", "(x.num + x.den)")
        basis = n
        p_lo, p_hi = _wilson(x, n)
        if ind.interval == "wilson":
            lo, hi = f"({p_lo}) * {mult}", f"({p_hi}) * {mult}"
        else:
            lo = f"{mult} * ({p_lo}) / (1 - ({p_lo}))"
            hi = f"CASE WHEN ({p_hi}) < 1 THEN {mult} * ({p_hi}) / (1 - ({p_hi})) END"
    small = f"({basis} IS NOT NULL AND {basis} < {ind.small_number})" if ind.small_number else "FALSE"
    dims_sql = ", ".join(f"v.{d}" for d in DIMENSIONS)
    return f"""SELECT v.org_id, v.pid, '{ind.code}' AS indicator, {dims_sql},
       v.value, v.num, v.den, v.ci_low, v.ci_high,
       CASE WHEN v.small AND v.value IS NULL THEN 'small_number,missing'
            WHEN v.small THEN 'small_number' WHEN v.value IS NULL THEN 'missing' ELSE '' END AS flag
FROM (SELECT x.*, {value} AS value,
             CASE WHEN ({value}) IS NOT NULL THEN {lo} END AS ci_low,
             CASE WHEN ({value}) IS NOT NULL THEN {hi} END AS ci_high, {small} AS small
      FROM ({inner}) x{pl_join}) v"""


def _wilson(x: str, n: str) -> tuple[str, str]:
    """Wilson score limits of the proportion x/n (NULL when n is 0)."""
    z = repr(Z95)
    p = f"(CAST({x} AS DOUBLE) / NULLIF({n}, 0))"
    z2n = f"({z} * {z} / NULLIF({n}, 0))"
    centre = f"(({p} + {z2n} / 2) / (1 + {z2n}))"
    half = (f"({z} / (1 + {z2n}) * sqrt(GREATEST({p} * (1 - {p}), 0) / NULLIF({n}, 0) "
            f"+ {z2n} / (4 * NULLIF({n}, 0))))")
    lo = f"CASE WHEN {x} = 0 AND {n} > 0 THEN 0 ELSE GREATEST({centre} - {half}, 0) END"
    hi = f"CASE WHEN {x} = {n} AND {n} > 0 THEN 1 ELSE LEAST({centre} + {half}, 1) END"
    return lo, hi
