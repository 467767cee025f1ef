"""The fixed stages of the engine: org tree, residence intervals, population and event cells.

Inputs (created by the engine): ``persons``, ``events``, ``snap_org_units`` over the snapshot;
``months(k, next_day)`` (next_day: the day after the month, counted from 1970-01-01),
``period_list(pid, period, …, k_start, k_end, known)`` and
``period_roles(pid, k, is_start, is_end, is_in)`` (pid: a period's number),
``bands(band, lo, hi, age_group)`` — small tables made from the period and age-group
definitions. ``k`` is a month index, year × 12 + month − 1.

Outputs: ``org_anc`` (each unit with itself and every unit above it), ``pop_period``
(population at the start and end of each period and person-days lived in it, by unit at
every level × urban/rural class of the home unit × sex × age band), ``ev_period`` (event
counts by unit at every level × class × period × type × sex × age band × birth order).
"""

from __future__ import annotations

from renkou.register.vocabulary import ENTRY_EVENTS, EXIT_EVENTS, RESIDENCE_EVENTS, sql_list

from .dialect import days_between, month_index

__all__ = ["BIRTH_AT_MOTHERS_HOME", "org_sql", "residence_sql", "population_sql", "events_sql"]

ENTRY = sql_list(ENTRY_EVENTS)
EPOCH = "DATE '1970-01-01'"
EXIT = sql_list(EXIT_EVENTS)
RESIDENCE = sql_list(RESIDENCE_EVENTS)


def age_on(birth: str, day: str) -> str:
    """Age in completed years (周岁) on ``day`` — as :func:`renkou.register.services.age_on`."""
    return (f"(EXTRACT(YEAR FROM {day}) - EXTRACT(YEAR FROM {birth}) - CASE WHEN "
            f"EXTRACT(MONTH FROM {day}) * 100 + EXTRACT(DAY FROM {day}) < "
            f"EXTRACT(MONTH FROM {birth}) * 100 + EXTRACT(DAY FROM {birth}) THEN 1 ELSE 0 END)")


def band_of(age: str) -> str:
    """Age band 0 (under 1), 1 (1–4), 2 (5–9) … 18 (85+) of an age in completed years."""
    return (f"CASE WHEN {age} IS NULL THEN NULL WHEN {age} < 1 THEN 0 WHEN {age} < 5 THEN 1 "
            f"WHEN {age} >= 85 THEN 18 ELSE CAST(floor({age} / 5) AS BIGINT) + 1 END")


def birthday(by: str, bm: str, bd: str, years: str) -> str:
    """The day a person born on by-bm-bd turns ``years``; 29 February → 1 March in common
    years, as :func:`renkou.register.services.age_on` counts."""
    y = f"({by} + {years})"
    leap = f"(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)"
    return (f"CASE WHEN {bm} = 2 AND {bd} = 29 AND NOT {leap} THEN make_date({y}, 3, 1) "
            f"ELSE make_date({y}, {bm}, {bd}) END")


def org_sql() -> list[str]:
    return [
        """CREATE TEMP TABLE org AS
           SELECT org_id, code, name, level, path, parent_code, urban_rural FROM snap_org_units""",
        # each unit with itself and its ancestors: prefix match on the path (standard SQL)
        """CREATE TEMP TABLE org_anc AS
           SELECT d.org_id, a.org_id AS ancestor_id
           FROM org d JOIN org a ON d.path = a.path OR d.path LIKE a.path || '/%'""",
        # the urban/rural classes present under each unit
        """CREATE TEMP TABLE org_ur AS
           SELECT DISTINCT x.ancestor_id AS org_id, o.urban_rural AS ur
           FROM org_anc x JOIN org o ON o.org_id = x.org_id""",
    ]


def residence_sql(horizon: str) -> list[str]:
    """Residence intervals [start_date, end_date) of each person in a unit, from the
    effective ledger; an open interval ends at ``horizon`` (a DATE literal)."""
    return [
        """CREATE TEMP TABLE person AS
            SELECT person_id, sex, birth_date, mother_id, birth_order,
                   EXTRACT(YEAR FROM birth_date) AS by_, EXTRACT(MONTH FROM birth_date) AS bm,
                   EXTRACT(DAY FROM birth_date) AS bd
            FROM persons""",
        # grp numbers the entries and exits of a person; within a group the first event
        # (the entry or exit) decides whether the person is resident, and every
        # move_within of the group moves a resident to its unit.
        f"""CREATE TEMP TABLE res AS
            WITH rc AS (
                SELECT person_id, event_id, event_date, event_type, org_id,
                       SUM(CASE WHEN event_type IN {ENTRY} OR event_type IN {EXIT} THEN 1 ELSE 0 END)
                           OVER (PARTITION BY person_id ORDER BY event_date, event_id
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp,
                       LEAD(event_date) OVER (PARTITION BY person_id ORDER BY event_date, event_id)
                           AS next_date
                FROM events WHERE event_type IN {RESIDENCE}
            ), st AS (
                SELECT rc.*, MAX(CASE WHEN event_type IN {ENTRY} THEN 1
                                      WHEN event_type IN {EXIT} THEN 0 END)
                                 OVER (PARTITION BY person_id, grp) AS resident
                FROM rc
            )
            SELECT person_id, org_id, event_date AS start_date,
                   COALESCE(next_date, {horizon}) AS end_date
            FROM st
            WHERE resident = 1 AND event_type NOT IN {EXIT}
              AND (next_date IS NULL OR next_date > event_date)""",
    ]


def population_sql(k_min: int, k_max: int, cap: str) -> list[str]:
    """Population at every month end and person-days in every month, rolled up to every
    unit, then to periods. ``cap`` (a DATE literal, the day after today) ends the
    exposure: person-days are never counted in the future, while populations "as of" a
    future month end are today's residents at the age they will have then."""
    a_lo = birthday("p.by_", "p.bm", "p.bd", "b.lo")
    a_hi = birthday("p.by_", "p.bm", "p.bd", "b.hi")
    ka, kb, kc = month_index("a"), month_index("b"), month_index("c")
    return [
        # segments: a residence interval cut at the birthdays where the age band changes
        f"""CREATE TEMP TABLE seg AS
            WITH ra AS (
                SELECT r.org_id, r.start_date, r.end_date, p.sex, p.by_, p.bm, p.bd,
                       {age_on('p.birth_date', 'r.start_date')} AS age_start,
                       {age_on('p.birth_date', 'r.end_date')} AS age_end
                FROM res r JOIN person p ON p.person_id = r.person_id
            ), cut AS (
                SELECT p.org_id, p.sex, b.band,
                       CASE WHEN b.lo <= p.age_start THEN p.start_date ELSE {a_lo} END AS a,
                       CASE WHEN b.hi IS NULL OR b.hi > p.age_end THEN p.end_date ELSE {a_hi} END AS b
                FROM ra p JOIN bands b
                  ON b.lo <= p.age_end AND (b.hi IS NULL OR b.hi > p.age_start)
            )
            SELECT org_id, sex, band, a, b, CASE WHEN b < {cap} THEN b ELSE {cap} END AS c
            FROM cut WHERE a < b""",
        # month deltas. d_stock (+1 in the month the segment starts, −1 in the month it
        # ends) gives the population at each month end by a running sum. For exposure, up
        # to c = min(b, cap): a segment open at the end of month k (started, not ended by
        # exposure) has lived D(k) − a days by then, where D(k) is the day after month k;
        # a closed one c − a days. So the person-days up to the end of month k are
        # D(k) · n_open − a_open + closed, three more running sums (days counted from
        # 1970-01-01).
        f"""CREATE TEMP TABLE pop_delta AS
            SELECT org_id, sex, band, k, SUM(d_stock) AS d_stock, SUM(n_open) AS n_open,
                   SUM(a_open) AS a_open, SUM(closed) AS closed
            FROM (
                SELECT org_id, sex, band, {ka} AS k, 1 AS d_stock,
                       CASE WHEN a < c THEN 1 ELSE 0 END AS n_open,
                       CASE WHEN a < c THEN {days_between(EPOCH, 'a')} ELSE 0 END AS a_open,
                       0 AS closed
                FROM seg
                UNION ALL
                SELECT org_id, sex, band, {kb}, -1, 0, 0, 0 FROM seg
                UNION ALL
                SELECT org_id, sex, band, {kc}, 0, -1, -{days_between(EPOCH, 'a')},
                       {days_between('a', 'c')}
                FROM seg WHERE a < c
            ) x
            WHERE k <= {k_max}
            GROUP BY org_id, sex, band, k""",
        # roll up to every unit above (the home unit's urban/rural class kept)
        """CREATE TEMP TABLE pop_delta_all AS
           SELECT x.ancestor_id AS org_id, o.urban_rural AS ur, d.sex, d.band, d.k,
                  SUM(d.d_stock) AS d_stock, SUM(d.n_open) AS n_open, SUM(d.a_open) AS a_open,
                  SUM(d.closed) AS closed
           FROM pop_delta d JOIN org_anc x ON x.org_id = d.org_id JOIN org o ON o.org_id = d.org_id
           GROUP BY x.ancestor_id, o.urban_rural, d.sex, d.band, d.k""",
        # every month of every cell (a cell that appears later in the ledger simply has
        # zeros before): population at the month end and person-days up to it
        f"""CREATE TEMP TABLE pop_month AS
            SELECT org_id, ur, sex, band, k, stock, next_day * n_open - a_open + closed AS cum_pdays
            FROM (
                SELECT c.org_id, c.ur, c.sex, c.band, m.k, m.next_day,
                       SUM(COALESCE(d.d_stock, 0)) OVER w AS stock,
                       SUM(COALESCE(d.n_open, 0)) OVER w AS n_open,
                       SUM(COALESCE(d.a_open, 0)) OVER w AS a_open,
                       SUM(COALESCE(d.closed, 0)) OVER w AS closed
                FROM (SELECT DISTINCT org_id, ur, sex, band FROM pop_delta_all) c
                CROSS JOIN months m
                LEFT JOIN pop_delta_all d
                  ON d.org_id = c.org_id AND d.ur = c.ur AND d.sex = c.sex AND d.band = c.band
                 AND d.k = m.k
                WHERE m.k BETWEEN {k_min} AND {k_max}
                WINDOW w AS (PARTITION BY c.org_id, c.ur, c.sex, c.band ORDER BY m.k
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            ) x""",
        # periods: the population at the end of the last month and at the end of the month
        # before the start (none before the ledger: NULL), person-days as the difference
        # of the running sums — point lookups, no scan of the months in between
        """CREATE TEMP TABLE pop_period AS
           SELECT e.org_id, e.ur, e.sex, e.band, pe.pid, s.stock AS p_start, e.stock AS p_end,
                  e.cum_pdays - COALESCE(s.cum_pdays, 0) AS pdays
           FROM period_list pe
           JOIN pop_month e ON e.k = pe.k_end
           LEFT JOIN pop_month s ON s.k = pe.k_start - 1 AND s.org_id = e.org_id
                                AND s.ur = e.ur AND s.sex = e.sex AND s.band = e.band""",
    ]


#: The cells of births counted where the mother lived on the day (her unit of residence
#: then), with her age band: the births of the age-specific measures (ASFR, GFR, MAC), so a
#: birth is counted where the mother's person-years are. A birth whose mother was not a
#: resident of the register that day is in no such cell.
BIRTH_AT_MOTHERS_HOME = "birth_by_mother"


def events_sql(k_min: int, k_max: int, types: tuple[str, ...]) -> list[str]:
    """Event counts by the event's unit (rolled up) and period. The subject's age band is
    the mother's for a birth, else the person's own; sex is the person's (the child's).
    Births are counted a second time as :data:`BIRTH_AT_MOTHERS_HOME`, by the mother's
    unit of residence on the day."""
    type_list = "(" + ", ".join(f"'{t}'" for t in types) + ")"
    subject_age = (f"CASE WHEN e.event_type = 'birth' THEN {age_on('m.birth_date', 'e.event_date')} "
                   f"ELSE {age_on('p.birth_date', 'e.event_date')} END")
    k = month_index("e.event_date")
    order = ("CASE WHEN e.event_type <> 'birth' THEN '' "
             "WHEN COALESCE(e.birth_order, p.birth_order) = 1 THEN '1' "
             "WHEN COALESCE(e.birth_order, p.birth_order) = 2 THEN '2' "
             "WHEN COALESCE(e.birth_order, p.birth_order) >= 3 THEN '3+' ELSE '' END")
    mother_age = (f"CASE WHEN e.event_type = 'birth' "
                  f"THEN {days_between('m.birth_date', 'e.event_date')} / 365.25 END")
    at_home = ""
    if "birth" in types:
        at_home = f"""
                UNION ALL
                SELECT r.org_id, '{BIRTH_AT_MOTHERS_HOME}' AS event_type, {k} AS k, p.sex,
                       {band_of(subject_age)} AS band, {order} AS birth_order,
                       {mother_age} AS mother_age
                FROM events e
                JOIN person p ON p.person_id = e.person_id
                JOIN person m ON m.person_id = COALESCE(e.mother_id, p.mother_id)
                JOIN res r ON r.person_id = m.person_id AND r.start_date <= e.event_date
                          AND e.event_date < r.end_date
                WHERE e.event_type = 'birth'"""
    return [
        f"""CREATE TEMP TABLE ev_cell AS
            SELECT org_id, event_type, k, sex, band, birth_order, COUNT(*) AS n,
                   SUM(mother_age) AS mother_age
            FROM (
                SELECT e.org_id, e.event_type, {k} AS k, p.sex,
                       {band_of(subject_age)} AS band, {order} AS birth_order,
                       {mother_age} AS mother_age
                FROM events e
                JOIN person p ON p.person_id = e.person_id
                LEFT JOIN person m ON e.event_type = 'birth'
                                  AND m.person_id = COALESCE(e.mother_id, p.mother_id)
                WHERE e.event_type IN {type_list}{at_home}
            ) x
            WHERE k BETWEEN {k_min} AND {k_max}
            GROUP BY org_id, event_type, k, sex, band, birth_order""",
        """CREATE TEMP TABLE ev_period AS
           SELECT x.ancestor_id AS org_id, o.urban_rural AS ur, r.pid, c.event_type, c.sex,
                  c.band, c.birth_order, SUM(c.n) AS n, SUM(c.mother_age) AS mother_age
           FROM ev_cell c
           JOIN org_anc x ON x.org_id = c.org_id
           JOIN org o ON o.org_id = c.org_id
           JOIN period_roles r ON r.k = c.k AND r.is_in
           GROUP BY x.ancestor_id, o.urban_rural, r.pid, c.event_type, c.sex, c.band,
                    c.birth_order""",
    ]
