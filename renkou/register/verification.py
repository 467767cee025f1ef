"""``renkou register verify``: the register rows against the fold of the ledger.

Whatever a person's register row says must equal what the ledger determines
(:func:`renkou.register.ledger.register_fields`): status, units, household,
relationship, marital status, hukou type and, for a person born into the register,
the birth date. This refolds every person (or those of one unit's subtree) from one
streamed query in person order and reports each row that disagrees, field by field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from renkou.core.scoping import subtree_q
from renkou.orgunits.models import OrgUnit

from .ledger import EventRecord, register_fields
from .models import LifeEvent, Person

__all__ = ["Disagreement", "verify_register"]

CHUNK = 5_000
ROW_FIELDS = ("status", "registered_org_id", "current_org_id", "household_id", "relationship",
              "marital_status", "hukou_type", "birth_date")


@dataclass(frozen=True)
class Disagreement:
    """One field of one row that the ledger contradicts (``field == "events"``: a row
    with no event in the ledger at all)."""

    person_id: int
    field: str
    row: Any
    ledger: Any


def _ledgers(persons) -> Iterator[tuple[int, list[EventRecord]]]:
    events = (LifeEvent.objects.filter(person__in=persons).order_by("person_id", "pk")
              .values_list("pk", "person_id", "event_type", "event_date", "org_id", "payload",
                           "supersedes_id"))
    batch: list[EventRecord] = []
    for row in events.iterator(chunk_size=CHUNK):
        record = EventRecord(*row)
        if batch and record.person_id != batch[0].person_id:
            yield batch[0].person_id, batch
            batch = []
        batch.append(record)
    if batch:
        yield batch[0].person_id, batch


def verify_register(unit: OrgUnit | None = None) -> list[Disagreement]:
    """Every field of every register row (of ``unit``'s subtree) that the ledger contradicts."""
    persons = Person.objects.order_by("pk")
    if unit is not None:
        persons = persons.filter(subtree_q(unit.path, "registered_org__path"))
    rows = persons.values_list("pk", *ROW_FIELDS).iterator(chunk_size=CHUNK)
    found: list[Disagreement] = []
    row = next(rows, None)
    for person_id, events in _ledgers(persons.values("pk")):
        while row is not None and row[0] < person_id:
            found.append(Disagreement(row[0], "events", None, None))
            row = next(rows, None)
        if row is None or row[0] != person_id:
            continue
        values = dict(zip(ROW_FIELDS, row[1:], strict=True))
        for name, expected in register_fields(events).items():
            if values[name] != expected:
                found.append(Disagreement(person_id, name, values[name], expected))
        row = next(rows, None)
    while row is not None:
        found.append(Disagreement(row[0], "events", None, None))
        row = next(rows, None)
    return found
