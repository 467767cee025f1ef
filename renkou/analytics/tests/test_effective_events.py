"""The two forms of the ledger's correction rule — :func:`renkou.register.ledger.resolve`
(Python, used by the fold, the register pages and the quality relations) and
:func:`renkou.analytics.sql.ledger.effective_events_sql` (SQL, used by the analytics
snapshot) — give the same effective events on a generated county whose events carry
random chains of replacements and voids, voids of corrections and replacements of voids."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from renkou.analytics.sql.ledger import effective_events_sql
from renkou.register.ledger import EventRecord, effective_events
from renkou.synthetic.population import EVENT_TYPES, date_of, generate_population


@pytest.fixture(scope="module")
def ledger() -> list[EventRecord]:
    county = generate_population(3_000, seed=11, end=dt.date(2026, 6, 30))
    ev = county.events
    events = [
        EventRecord(i + 1, int(p), EVENT_TYPES[int(t)], date_of(d), int(v) + 1,
                    {"household_id": int(h)} if h >= 0 else {})
        for i, (p, t, d, v, h) in enumerate(zip(ev["person"], ev["type"], ev["day"],
                                               ev["village"], ev["hh"], strict=True))
    ]
    rng = np.random.default_rng(5)
    next_id = len(events) + 1
    for root in rng.choice(len(events), size=len(events) // 4, replace=False):
        target = events[root]
        for _ in range(int(rng.integers(1, 5))):
            roll = rng.random()
            if roll < 0.35:
                spec: dict = {"void": True, "reason": "x"}
            else:  # a replacement naming one, two or all three of the fields
                spec = {"reason": "x"}
                if roll < 0.6 or rng.random() < 0.5:
                    spec["event_date"] = (target.event_date
                                          - dt.timedelta(days=int(rng.integers(1, 400)))).isoformat()
                if roll >= 0.6 or rng.random() < 0.5:
                    spec["org_id"] = int(rng.integers(1, 300))
                if rng.random() < 0.3:
                    spec["payload"] = {"household_id": int(rng.integers(1, 999))}
            link = EventRecord(next_id, target.person_id, "correction", dt.date(2026, 7, 1),
                               target.org_id, spec, target.id)
            events.append(link)
            next_id += 1
            target = link
    return events


def python_form(events: list[EventRecord]) -> dict[int, tuple]:
    by_person: dict[int, list[EventRecord]] = {}
    for e in events:
        by_person.setdefault(e.person_id, []).append(e)
    return {e.id: (e.event_date, e.org_id, e.payload)
            for person in by_person.values() for e in effective_events(person)}


def sql_form(events: list[EventRecord]) -> dict[int, tuple]:
    table = pa.table({
        "id": pa.array([e.id for e in events], pa.int64()),
        "person_id": pa.array([e.person_id for e in events], pa.int64()),
        "event_type": pa.array([e.event_type for e in events], pa.string()),
        "event_date": pa.array([e.event_date.isoformat() for e in events], pa.string()),
        "org_id": pa.array([e.org_id for e in events], pa.int64()),
        "payload": pa.array([json.dumps(e.payload) for e in events], pa.string()),
        "supersedes_id": pa.array([e.supersedes_id for e in events], pa.int64()),
    })
    con = duckdb.connect()
    con.register("ledger_events", table)
    rows = con.execute(effective_events_sql("ledger_events")).fetchall()
    return {r[0]: (r[3], r[4], json.loads(r[5])) for r in rows}


def test_python_and_sql_forms_agree_on_a_generated_county(ledger):
    chains = sum(1 for e in ledger if e.supersedes_id is not None)
    assert chains > 1_000
    python, sql = python_form(ledger), sql_form(ledger)
    voided = len([e for e in ledger if e.supersedes_id is None]) - len(python)
    assert voided > 100  # the chains void some events and bring others back
    assert sql == python
