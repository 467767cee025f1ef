"""Bulk writing of a synthetic county into the configured database.

The ORM would take many minutes for a million people, so rows are built as
column arrays and written with ``executemany`` on SQLite and ``COPY`` on
PostgreSQL (:func:`renkou.core.bulkload.insert_rows`), inside one transaction: a
failure leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from django.db import connection

from renkou.core.bulkload import bulk_load, insert_rows
from renkou.migrants.models import MigrantSpell
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import name_spellings
from renkou.register.models import Household, LifeEvent, Person

from .migrants import MigrantSpells
from .population import (
    EV,
    EVENT_TYPES,
    MARITAL,
    NO,
    NOT_IN_PAYLOAD,
    RELATIONSHIPS,
    SEX_M,
    STATUS,
    Population,
)

EDUCATION = ("none", "primary", "junior", "senior", "college", "bachelor", "postgraduate")
DESTINATIONS = ("合肥市", "南京市", "上海市", "杭州市", "苏州市", "深圳市", "广州市", "北京市",
                "宁波市", "无锡市", "芜湖市", "蚌埠市")

Progress = Callable[[str, int], None]
#: Rows per ``executemany`` (and per progress step) when writing the county.
WRITE_BATCH = 50_000


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]")).astype(object)


def _nullable(values: np.ndarray, offset: int = 1) -> list:
    """Array of indexes (−1 = none) → list of ids (``None`` = NULL)."""
    return [None if v < 0 else v + offset for v in values.tolist()]


def write_county(
    pop: Population,
    *,
    id_numbers: np.ndarray,
    names: np.ndarray,
    ethnicity: np.ndarray,
    recorded_at: np.ndarray,
    source_refs: np.ndarray | None = None,
    progress: Progress | None = None,
    spells: MigrantSpells | None = None,
    spells_recorded_at: np.ndarray | None = None,
    first_added_event: int | None = None,
) -> dict[str, int]:
    """Write org units, households, persons, events and migrant spells; return the row
    counts.

    Events are numbered by date (then as generated); those from ``first_added_event`` on
    (the inflow migrants' enrolments) come after all the others, by date, so the county's
    own events keep the numbers they have without migrants."""
    progress = progress or (lambda stage, n: None)
    tree = pop.tree
    p, hh, ev = pop.persons, pop.households, pop.events
    n = pop.n_persons
    village_org = np.array(tree.village_rows, dtype=np.int64) + 1  # village index → org id

    org_rows = []
    code_to_id = {row.code: i + 1 for i, row in enumerate(tree.rows)}
    level = {"county": 1, "district": 1, "township": 2, "town": 2, "street": 2,
             "village": 3, "community": 3, "group": 4}
    paths: dict[str, str] = {}
    for i, row in enumerate(tree.rows):
        path = f"{paths[row.parent_code]}/{row.code}" if row.parent_code else row.code
        paths[row.code] = path
        org_rows.append((i + 1, row.code, row.name, row.kind, level[row.kind],
                         code_to_id.get(row.parent_code), row.urban_rural, path))

    household_village = hh["village"]
    hh_org = village_org[household_village]
    seq = np.zeros(len(household_village), dtype=np.int64)
    order = np.argsort(household_village, kind="stable")
    sorted_v = household_village[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_v)) + 1]
    seq[order] = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    village_codes = np.array([tree.rows[r].code for r in tree.village_rows], dtype=object)
    village_names = np.array([tree.rows[r].name for r in tree.village_rows], dtype=object)
    hh_no = [f"{c}{s + 1:05d}" for c, s in zip(village_codes[household_village].tolist(),
                                                   seq.tolist(), strict=True)]
    addresses = [f"{v}{s + 1}号" for v, s in zip(village_names[household_village].tolist(),
                                                 seq.tolist(), strict=True)]
    household_rows = list(zip(range(1, len(hh_no) + 1), hh_no, addresses, hh_org.tolist(),
                              _nullable(hh["head"]), strict=True))

    spellings = [name_spellings(x) for x in names.tolist()]
    birth_iso = _iso(p["birth"])
    sex = np.where(p["sex"] == SEX_M, "M", "F")
    hukou = np.where(p["hukou"] == 1, "urban", "rural")
    person_rows = zip(
        range(1, n + 1), id_numbers.tolist(), names.tolist(),
        [s[0] for s in spellings], [s[1] for s in spellings], sex.tolist(), birth_iso.tolist(),
        ethnicity.tolist(), hukou.tolist(), village_org[p["village"]].tolist(),
        [None if v < 0 else int(village_org[v]) for v in p["current_village"].tolist()],
        _nullable(p["hh"]), np.array(RELATIONSHIPS, dtype=object)[p["rel"]].tolist(),
        np.array(MARITAL, dtype=object)[p["marital"]].tolist(),
        ["" if e < 0 else EDUCATION[e] for e in p["education"].tolist()],
        _nullable(p["mother"]), _nullable(p["father"]),
        [None if b <= 0 else b for b in p["birth_order"].tolist()],
        np.array(STATUS, dtype=object)[p["status"]].tolist(),
        (source_refs if source_refs is not None else np.full(n, "", dtype=object)).tolist(),
        strict=True,
    )

    event_rows = _event_rows(pop, village_org, hukou, recorded_at, first_added_event)
    spell_rows = _spell_rows(spells, village_org, spells_recorded_at) if spells is not None else []

    with bulk_load((OrgUnit, Household, Person, LifeEvent, MigrantSpell)), \
            connection.cursor() as cursor:
        insert_rows(cursor, OrgUnit,
                    ("id", "code", "name", "kind", "level", "parent", "urban_rural", "path"),
                    org_rows, batch=WRITE_BATCH)
        progress("orgunits", len(org_rows))
        insert_rows(cursor, Household, ("id", "household_no", "address", "org", "head"),
                    household_rows, batch=WRITE_BATCH)
        progress("households", len(household_rows))
        insert_rows(cursor, Person,
                    ("id", "id_number", "name", "name_pinyin", "name_initials", "sex", "birth_date",
                     "ethnicity", "hukou_type", "registered_org", "current_org", "household",
                     "relationship", "marital_status", "education", "mother", "father",
                     "birth_order", "status", "source_ref"),
                    person_rows, progress=lambda k: progress("persons", k), batch=WRITE_BATCH)
        insert_rows(cursor, LifeEvent,
                    ("id", "event_type", "person", "event_date", "recorded_at", "recorded_by",
                     "recorded_via", "org", "payload", "supersedes"),
                    event_rows, progress=lambda k: progress("events", k), batch=WRITE_BATCH)
        insert_rows(cursor, MigrantSpell, SPELL_FIELDS, spell_rows, batch=WRITE_BATCH)
        progress("migrants", len(spell_rows))
        _reset_sequences(["orgunits_orgunit", "register_household", "register_person",
                          "register_lifeevent", MigrantSpell._meta.db_table])
    return {"orgunits": len(org_rows), "households": len(household_rows), "persons": n,
            "events": len(ev["type"]), "spells": len(spell_rows)}


SPELL_FIELDS = ("id", "person", "direction", "hukou_code", "hukou_name", "residence_org",
                "residence_code", "residence_address", "manager_org", "start_date", "end_date",
                "end_reason", "reason", "phone", "recorded_at", "recorded_by", "recorded_via",
                "source_message")


def _spell_rows(spells: MigrantSpells, village_org: np.ndarray,
                recorded_at: np.ndarray) -> list[tuple]:
    suffix = "+00:00" if connection.vendor == "postgresql" else ""
    k = len(spells)
    start = _iso(spells.start).tolist()
    end = [None if e == NO else d for e, d in
           zip(spells.end.tolist(), _iso(np.maximum(spells.end, 0)).tolist(), strict=True)]
    residence = [None if v < 0 else int(village_org[v]) for v in spells.residence_village.tolist()]
    return list(zip(
        range(1, k + 1), (spells.person + 1).tolist(),
        np.where(spells.direction == 1, "in", "out").tolist(), spells.hukou_code.tolist(),
        spells.hukou_name.tolist(), residence, spells.residence_code.tolist(),
        spells.residence_address.tolist(), village_org[spells.manager_village].tolist(),
        start, end, spells.end_reason.tolist(), spells.reason.tolist(), spells.phone.tolist(),
        [str(t) + suffix for t in recorded_at.tolist()], [None] * k, ["generator"] * k,
        [None] * k, strict=True))


def _event_rows(pop: Population, village_org: np.ndarray, hukou: np.ndarray,
                recorded_at: np.ndarray, first_added: int | None = None) -> Iterable[tuple]:
    ev, p = pop.events, pop.persons
    total = len(ev["day"])
    first_added = total if first_added is None else first_added
    order = np.concatenate([  # by date, then as generated; added events after the others
        np.lexsort((np.arange(first_added), ev["day"][:first_added])),
        first_added + np.lexsort((np.arange(total - first_added), ev["day"][first_added:]))])
    day_iso = _iso(ev["day"])
    types = ev["type"].tolist()
    rel_names = RELATIONSHIPS
    marital_names = MARITAL
    is_postgres = connection.vendor == "postgresql"
    suffix = "+00:00" if is_postgres else ""
    for new_id, i in enumerate(order.tolist(), start=1):
        kind = types[i]
        person = int(ev["person"][i])
        hh, rel, marital, other = (int(ev["hh"][i]), int(ev["rel"][i]), int(ev["marital"][i]),
                                   int(ev["other"][i]))
        payload: dict = {}
        if hh != NOT_IN_PAYLOAD:
            payload["household_id"] = None if hh < 0 else hh + 1
        if rel != NOT_IN_PAYLOAD:
            payload["relationship"] = rel_names[rel]
        if marital >= 0:
            payload["marital_status"] = marital_names[marital]
        if kind == EV["enrol"]:
            payload["hukou_type"] = hukou[person]
            if other >= 0:
                payload["current_org_id"] = int(village_org[other])
        elif kind == EV["birth"]:
            payload.update(mother_id=other + 1, father_id=_id(p["father"][person]),
                           birth_order=int(p["birth_order"][person]) or None,
                           hukou_type=hukou[person])
        elif kind in (EV["marriage"], EV["divorce"]):
            payload["spouse_id"] = other + 1
        elif kind == EV["move_in"]:
            payload["hukou_type"] = hukou[person]
        elif kind == EV["move_out"]:
            payload["destination"] = DESTINATIONS[person % len(DESTINATIONS)]
        elif kind == EV["move_within"]:
            payload["from_org_id"] = int(village_org[other])
            payload["current_org_id"] = None
        yield (new_id, EVENT_TYPES[kind], person + 1, day_iso[i], recorded_at[i] + suffix, None,
               "generator", int(village_org[ev["village"][i]]),
               json.dumps(payload, ensure_ascii=False), None)


def _id(index: int) -> int | None:
    return None if index < 0 else int(index) + 1


def _reset_sequences(tables: Sequence[str]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite continues after the largest rowid by itself
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def recorded_times(rng: np.random.Generator, days: np.ndarray, types: np.ndarray,
                   now: dt.datetime) -> np.ndarray:
    """When each event was entered: mostly within days, some weeks or months late."""
    k = len(days)
    u = rng.random(k)
    delay = np.where(u < 0.82, rng.exponential(5, k),
                     np.where(u < 0.95, rng.uniform(10, 30, k), rng.uniform(31, 150, k)))
    delay = np.where(types == EV["enrol"], rng.uniform(0, 20, k), delay)
    seconds = (days.astype(np.int64) * 86400 + (delay * 86400).astype(np.int64)
               + rng.integers(1 * 3600, 9 * 3600, k))  # office hours, UTC
    cap = int(now.timestamp())
    seconds = np.minimum(seconds, cap)
    stamps = np.datetime_as_string(seconds.astype("datetime64[s]")).astype(object)
    return np.char.replace(stamps.astype(str), "T", " ").astype(object)


__all__ = ["write_county", "recorded_times", "NO"]
