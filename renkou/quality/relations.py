"""The register as DuckDB relations for the validation rules and the scorecard.

:func:`load_register` reads the register from the Django database — persons in one
query, life events in one query, corrections and org units in one small query each —
derives the ID-number columns in Python (python-stdnum ``cn.ric``, cached per area
code), and builds an in-memory DuckDB with the tables the rules' expressions read:

- ``person``    one row per person (columns: :data:`renkou.quality.rules.COLUMNS` ``person``)
- ``event``     one row per effective life event (corrections applied, voided ones dropped)
- ``unit``      one row per org unit with its subtree's totals (scope ``aggregate``)
- ``org_anc``   (org_id, anc_id) for every unit and each of its ancestors and itself:
                counts roll up the tree by one join on it (built from ``OrgUnit.path``)

Each table has the internal columns ``in_scope`` (the record lies in the subtree asked
for) and ``_path`` (the org path of the record's unit), which rule expressions cannot
name. After loading, external access is switched off and the configuration locked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from django.db import models
from django.utils import timezone

from renkou.core import clock, scoping
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import id_columns
from renkou.register.ledger import EventRecord, correction_chains, resolve
from renkou.register.models import LifeEvent, Person
from renkou.register.vocabulary import LIFE_EVENTS, NOT_PERSONS, sql_list

__all__ = ["LoadedRegister", "load_register", "id_columns", "subtree_q", "LIFE_EVENT_TYPES"]

#: Events whose timeliness is measured (not enrolment, not corrections).
LIFE_EVENT_TYPES = LIFE_EVENTS
CHUNK = 20_000


def subtree_q(unit: OrgUnit, prefix: str = "") -> models.Q:
    """The unit and everything below it (:func:`renkou.core.scoping.subtree_q`)."""
    return scoping.subtree_q(unit.path, f"{prefix}path")


def _local_dates(stamps) -> pa.Array:
    """The local calendar day (settings.TIME_ZONE) of each recorded time, vectorised."""
    zone = str(timezone.get_current_timezone())
    if not stamps:
        return pa.array([], pa.date32())
    if timezone.is_aware(stamps[0]):
        utc = pa.array(stamps, pa.timestamp("us", tz="UTC"))
        return pc.local_timestamp(utc.cast(pa.timestamp("us", tz=zone))).cast(pa.date32())
    return pa.array(stamps, pa.timestamp("us")).cast(pa.date32())


@dataclass
class LoadedRegister:
    con: duckdb.DuckDBPyConnection
    today: dt.date
    unit: OrgUnit | None
    seconds: dict[str, float]

    def close(self) -> None:
        self.con.close()


def _stream(query: models.QuerySet) -> list[tuple]:
    return list(query.iterator(chunk_size=CHUNK))


def _effective_dates(event_rows: list[tuple], corrections: list[tuple]
                     ) -> tuple[list[bool], list[dt.date], list[int]]:
    """Voided flag, effective date and effective unit of each event row, by the ledger's
    one rule for correction chains (:func:`renkou.register.ledger.resolve`)."""
    chains = correction_chains(
        EventRecord(cid, 0, "correction", dt.date.min, 0, payload or {}, target)
        for cid, target, payload in corrections)
    voided, dates, orgs = [], [], []
    for pk, person_id, kind, day, _recorded, _via, org_id in event_rows:
        chain = chains.get(pk)
        if chain is None:
            voided.append(False)
            dates.append(day)
            orgs.append(org_id)
            continue
        current = resolve(EventRecord(pk, person_id, kind, day, org_id), chain)
        voided.append(current is None)
        dates.append(day if current is None else current.event_date)
        orgs.append(org_id if current is None else current.org_id)
    return voided, dates, orgs


def load_register(unit: OrgUnit | None = None, today: dt.date | None = None, *,
                  empty: bool = False) -> LoadedRegister:
    """Load the persons of ``unit``'s subtree (default: the whole register), their parents
    and their life events into an in-memory DuckDB; see the module docstring. With
    ``empty``, the same tables with no person and no event in them (a rule must run on
    a register that holds nothing yet, too)."""
    import time

    started = time.perf_counter()
    today = today or clock.today()
    seconds: dict[str, float] = {}
    orgs = list(OrgUnit.objects.order_by("pk").values_list("pk", "path", "level", "code"))
    id_by_code = {code: pk for pk, _p, _l, code in orgs}
    in_scope_orgs = None
    if unit is not None:
        in_scope_orgs = {pk for pk, path, _l, _c in orgs if scoping.in_subtree(path, unit.path)}

    persons = Person.objects.order_by()
    if unit is not None:
        scoped = Person.objects.filter(subtree_q(unit, "registered_org__"))
        persons = persons.filter(
            subtree_q(unit, "registered_org__")
            | models.Q(pk__in=scoped.exclude(mother=None).values("mother_id"))
            | models.Q(pk__in=scoped.exclude(father=None).values("father_id")))
    if empty:
        persons = persons.none()
    person_rows = _stream(persons.values_list(
        "pk", "id_number", "sex", "birth_date", "status", "registered_org_id", "hukou_type",
        "marital_status", "birth_order", "mother_id", "father_id"))
    seconds["read_persons"] = time.perf_counter() - started

    events = LifeEvent.objects.order_by()
    if unit is not None:
        events = events.filter(person_id__in=persons.values("pk"))
    if empty:
        events = events.none()
    event_rows = _stream(events.filter(supersedes=None).exclude(event_type="correction")
                         .values_list("pk", "person_id", "event_type", "event_date",
                                      "recorded_at", "recorded_via", "org_id"))
    corrections = [] if empty else _stream(LifeEvent.objects.order_by().exclude(supersedes=None)
                                           .values_list("pk", "supersedes_id", "payload"))
    seconds["read_events"] = time.perf_counter() - started - seconds["read_persons"]

    t = time.perf_counter()
    cols: list[Sequence[Any]] = (list(zip(*person_rows, strict=True)) if person_rows
                                 else [[] for _ in range(11)])
    derived = [id_columns(n) for n in cols[1]]
    dcols: list[Sequence[Any]] = list(zip(*derived, strict=True)) if derived else [[] for _ in range(7)]
    person_table = pa.table({
        "person_id": pa.array(cols[0], pa.int64()),
        "id_number": pa.array(cols[1], pa.string()),
        "sex": pa.array(cols[2], pa.string()),
        "birth_date": pa.array(cols[3], pa.date32()),
        "status": pa.array(cols[4], pa.string()),
        "registered_org_id": pa.array(cols[5], pa.int64()),
        "hukou_type": pa.array(cols[6], pa.string()),
        "marital_status": pa.array(cols[7], pa.string()),
        "birth_order": pa.array(cols[8], pa.int32()),
        "mother_id": pa.array(cols[9], pa.int64()),
        "father_id": pa.array(cols[10], pa.int64()),
        "id_valid_format": pa.array(dcols[0], pa.bool_()),
        "id_check_ok": pa.array(dcols[1], pa.bool_()),
        "id_area_ok": pa.array(dcols[2], pa.bool_()),
        "id_date_ok": pa.array(dcols[3], pa.bool_()),
        "id_birth_date": pa.array(dcols[4], pa.date32()),
        "id_sex": pa.array(dcols[5], pa.string()),
        "id_body": pa.array(dcols[6], pa.string()),
    })
    if unit is None:
        bodies = person_table.select(["id_body"])
    else:  # duplicates are judged against the whole register
        all_ids = Person.objects.order_by().exclude(id_number=None).values_list("id_number", flat=True)
        bodies = pa.table({"id_body": pa.array([id_columns(n)[6] for n in all_ids.iterator(CHUNK)],
                                               pa.string())})
    ecols: list[Sequence[Any]] = (list(zip(*event_rows, strict=True)) if event_rows
                                  else [[] for _ in range(7)])
    voided, event_dates, event_orgs = _effective_dates(event_rows, corrections)
    recorded = _local_dates(ecols[4])
    event_table = pa.table({
        "event_id": pa.array(ecols[0], pa.int64()),
        "person_id": pa.array(ecols[1], pa.int64()),
        "event_type": pa.array(ecols[2], pa.string()),
        "event_date": pa.array(event_dates, pa.date32()),
        "recorded_date": recorded,
        "recorded_via": pa.array(ecols[5], pa.string()),
        "org_id": pa.array(event_orgs, pa.int64()),
        "voided": pa.array(voided, pa.bool_()),
    })
    anc = [(pk, id_by_code[c]) for pk, path, _l, _c in orgs for c in path.split("/") if c in id_by_code]
    org_table = pa.table({
        "org_id": pa.array([o[0] for o in orgs], pa.int64()),
        "_path": pa.array([o[1] for o in orgs], pa.string()),
        "level": pa.array([o[2] for o in orgs], pa.int32()),
        "in_scope": pa.array([in_scope_orgs is None or o[0] in in_scope_orgs for o in orgs],
                             pa.bool_()),
    })
    anc_table = pa.table({"org_id": pa.array([a[0] for a in anc], pa.int64()),
                          "anc_id": pa.array([a[1] for a in anc], pa.int64())})
    seconds["arrow"] = time.perf_counter() - t

    t = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("person_raw", person_table)
    con.register("event_raw", event_table)
    con.register("org_raw", org_table)
    con.register("anc_raw", anc_table)
    con.register("body_raw", bodies)
    since = today - dt.timedelta(days=365)
    con.execute(_BUILD_SQL.replace("$today::DATE", f"DATE '{today.isoformat()}'")
                .replace("$since::DATE", f"DATE '{since.isoformat()}'")
                .replace("$life_events", sql_list(LIFE_EVENTS))
                .replace("$not_persons", sql_list(NOT_PERSONS)))
    for name in ("person_raw", "event_raw", "org_raw", "anc_raw", "body_raw"):
        con.unregister(name)
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    seconds["duckdb"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - started
    return LoadedRegister(con=con, today=today, unit=unit, seconds=seconds)


_BUILD_SQL = """
CREATE MACRO age_years(b, d) AS
    date_diff('year', b, d) - CASE WHEN strftime(d, '%m%d') < strftime(b, '%m%d') THEN 1 ELSE 0 END;

CREATE TABLE org AS SELECT * FROM org_raw;
CREATE TABLE org_anc AS SELECT * FROM anc_raw;

CREATE TABLE body_count AS
SELECT id_body, count(*)::INTEGER AS n FROM body_raw WHERE id_body IS NOT NULL GROUP BY id_body;

CREATE TABLE event_all AS
SELECT e.*, o._path, o.in_scope AS org_in_scope FROM event_raw e LEFT JOIN org o USING (org_id)
WHERE NOT e.voided;

CREATE TABLE death AS
SELECT person_id, min(event_date) AS death_date FROM event_all WHERE event_type = 'death'
GROUP BY person_id;

CREATE TABLE person AS
SELECT p.person_id, p.sex, p.birth_date, p.status, p.registered_org_id, p.hukou_type,
       p.marital_status, p.birth_order,
       p.id_number IS NOT NULL AS has_id, p.id_number, p.id_valid_format, p.id_check_ok,
       p.id_area_ok, p.id_date_ok, p.id_birth_date, p.id_sex, p.id_body,
       bc.n AS id_body_count,
       d.death_date,
       age_years(p.birth_date, COALESCE(d.death_date, $today::DATE))::INTEGER AS age,
       p.mother_id, m.sex AS mother_sex, m.birth_date AS mother_birth_date,
       md.death_date AS mother_death_date,
       CASE WHEN m.birth_date IS NOT NULL
            THEN age_years(m.birth_date, p.birth_date)::INTEGER END AS mother_age_at_birth,
       p.father_id, f.sex AS father_sex, f.birth_date AS father_birth_date,
       fd.death_date AS father_death_date,
       CASE WHEN f.birth_date IS NOT NULL
            THEN age_years(f.birth_date, p.birth_date)::INTEGER END AS father_age_at_birth,
       $today::DATE AS today,
       o._path, COALESCE(o.in_scope, FALSE) AS in_scope
FROM person_raw p
LEFT JOIN body_count bc ON bc.id_body = p.id_body
LEFT JOIN death d ON d.person_id = p.person_id
LEFT JOIN person_raw m ON m.person_id = p.mother_id
LEFT JOIN death md ON md.person_id = p.mother_id
LEFT JOIN person_raw f ON f.person_id = p.father_id
LEFT JOIN death fd ON fd.person_id = p.father_id
LEFT JOIN org o ON o.org_id = p.registered_org_id;

CREATE TABLE event AS
SELECT e.event_id, e.person_id, e.event_type, e.event_date, e.recorded_date,
       date_diff('day', e.event_date, e.recorded_date)::INTEGER AS delay_days,
       e.recorded_via, e.org_id, p.sex AS person_sex, p.birth_date AS person_birth_date,
       age_years(p.birth_date, e.event_date)::INTEGER AS person_age,
       $today::DATE AS today,
       p.registered_org_id AS person_org_id, p._path, p.in_scope
FROM event_all e JOIN person p ON p.person_id = e.person_id;

-- totals of each unit's subtree: one GROUP BY over the ancestor table
CREATE TABLE unit AS
WITH per_org AS (
    SELECT registered_org_id AS org_id,
           count(*) FILTER (WHERE status NOT IN $not_persons) AS persons,
           count(*) FILTER (WHERE status = 'resident') AS residents,
           count(*) FILTER (WHERE status = 'resident' AND has_id) AS residents_with_id
    FROM person GROUP BY registered_org_id
), ev_org AS (
    SELECT e.org_id,
           count(*) FILTER (WHERE e.event_type = 'birth') AS births_12m,
           count(*) FILTER (WHERE e.event_type = 'birth' AND p.sex = 'M') AS male_births_12m,
           count(*) FILTER (WHERE e.event_type = 'death') AS deaths_12m,
           count(*) FILTER (WHERE e.event_type IN $life_events)
               AS events_12m
    FROM event_all e JOIN person_raw p ON p.person_id = e.person_id
    WHERE e.event_date >= $since::DATE AND e.event_date <= $today::DATE
    GROUP BY e.org_id
), up AS (
    SELECT a.anc_id AS org_id, sum(po.persons) AS persons, sum(po.residents) AS residents,
           sum(po.residents_with_id) AS residents_with_id
    FROM per_org po JOIN org_anc a ON a.org_id = po.org_id GROUP BY a.anc_id
), up_ev AS (
    SELECT a.anc_id AS org_id, sum(births_12m) AS births_12m,
           sum(male_births_12m) AS male_births_12m, sum(deaths_12m) AS deaths_12m,
           sum(events_12m) AS events_12m
    FROM ev_org eo JOIN org_anc a ON a.org_id = eo.org_id GROUP BY a.anc_id
)
SELECT o.org_id, o.level,
       COALESCE(up.persons, 0)::INTEGER AS persons,
       COALESCE(up.residents, 0)::INTEGER AS residents,
       COALESCE(up.residents_with_id, 0)::INTEGER AS residents_with_id,
       COALESCE(up_ev.births_12m, 0)::INTEGER AS births_12m,
       COALESCE(up_ev.male_births_12m, 0)::INTEGER AS male_births_12m,
       COALESCE(up_ev.deaths_12m, 0)::INTEGER AS deaths_12m,
       COALESCE(up_ev.events_12m, 0)::INTEGER AS events_12m,
       $today::DATE AS today,
       o.org_id AS person_org_id, o._path, o.in_scope
FROM org o LEFT JOIN up USING (org_id) LEFT JOIN up_ev USING (org_id);
"""


def rows_as_dicts(cursor: Any) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
