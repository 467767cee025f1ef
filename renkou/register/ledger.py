"""The fold of the ledger (活台帐) into register state.

A person's state on a date is the fold, in date order, of that person's effective
events dated on or before it. Effective events are the recorded events with
every correction applied: a correction that ``supersedes`` an event (or the
correction before it) either voids it (``{"void": true}``) or replaces its date,
unit and details (``{"event_date": ..., "org_id": ..., "payload": {...}}``); see
:func:`resolve` for how a chain of corrections reads. A correction without a
target fixes identity fields (``{"fields": {name: {"old": ..., "new": ...}}}``),
which apply retroactively because they repair what was always true.

A merge event (合并重复) on a duplicate record sets its status to ``merged`` and
remembers the kept record in the state as ``merged_into_id`` (from the event's
``kept_person_id``); the key is present only while the merge is effective, so voiding
the merge event restores the record exactly as it was.

This module works on plain :class:`EventRecord` tuples so that a whole county can
be folded from one streamed query; it imports no Django model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LEDGER_FIELDS", "VOID_ROW", "EventRecord", "correction_chains", "effective_events",
           "fold", "fold_many", "register_fields", "resolve"]

#: Person fields whose value changes over time and is kept by the ledger.
LEDGER_FIELDS = (
    "status",
    "registered_org_id",
    "current_org_id",
    "household_id",
    "relationship",
    "marital_status",
    "hukou_type",
)

#: Ledger fields an event's details may set directly.
PAYLOAD_SETTABLE = ("current_org_id", "household_id", "relationship", "marital_status", "hukou_type")

_ENTRY_TYPES = {"enrol", "birth", "move_in"}


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    person_id: int
    event_type: str
    event_date: dt.date
    org_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    supersedes_id: int | None = None


def correction_chains(corrections: Iterable[EventRecord]) -> dict[int, list[EventRecord]]:
    """Root event id → its corrections in chain order.

    A correction supersedes either a recorded event (the root) or the correction
    before it; each link is superseded at most once, so every chain is a line.
    Corrections whose root is not among them start at their own target's id.
    """
    corrections = [c for c in corrections if c.supersedes_id is not None]
    by_target: dict[int, EventRecord] = {c.supersedes_id: c for c in corrections
                                         if c.supersedes_id is not None}
    links = {c.id for c in corrections}
    chains: dict[int, list[EventRecord]] = {}
    for root_id in by_target:
        if root_id in links:
            continue  # the target is itself a correction: not a root
        chain, link = [], by_target.get(root_id)
        while link is not None:
            chain.append(link)
            link = by_target.get(link.id)
        chains[root_id] = chain
    return chains


def resolve(root: EventRecord, chain: Iterable[EventRecord]) -> EventRecord | None:
    """The root event as its correction chain leaves it, or ``None`` if void.

    Each link starts from the event as the links before it left it:

    - a replacement sets the fields it names (``event_date``, ``org_id``,
      ``payload``) and keeps the others as they stood; replacing a void brings
      the event back with those fields;
    - a void (``{"void": true}``) of the root voids the event; a void of a
      correction undoes that correction, restoring the event as it stood before it.

    The SQL form of this rule is ``analytics/sql/effective_events.sql``; a test
    holds the two to the same answer on a generated county.
    """
    current: EventRecord | None = root
    before: EventRecord | None = None  # the event as it stood before the latest link
    for link in chain:
        spec = link.payload
        if spec.get("void"):
            current, before = before, current
            continue
        base = current if current is not None else before
        assert base is not None  # at most one of the two is a void
        current, before = EventRecord(
            id=root.id,
            person_id=root.person_id,
            event_type=root.event_type,
            event_date=_as_date(spec.get("event_date", base.event_date)),
            org_id=spec.get("org_id", base.org_id),
            payload=spec.get("payload", base.payload),
        ), current
    return current


def effective_events(events: Iterable[EventRecord]) -> list[EventRecord]:
    """The events of one person with corrections applied, in date order."""
    events = list(events)
    chains = correction_chains(events)
    result: list[EventRecord] = []
    for event in events:
        if event.supersedes_id is not None:
            continue  # a correction stands in for its root below
        current = resolve(event, chains.get(event.id, ()))
        if current is not None:
            result.append(current)
    result.sort(key=lambda e: (e.event_date, e.id))
    return result


#: The register row of a person whose entry (birth, enrolment, move in) was voided.
VOID_ROW: dict[str, Any] = {"status": "void", "current_org_id": None, "household_id": None,
                            "relationship": ""}


def register_fields(events: Iterable[EventRecord]) -> dict[str, Any]:
    """The fields of a person's register row that the whole ledger determines.

    The fold's :data:`LEDGER_FIELDS`, or :data:`VOID_ROW` when no entry stands (a
    voided birth or enrolment leaves no resident); and the birth date, from the
    effective birth event of a person born into the register, so a correction of
    the birth's date corrects the birth date. The register row must always agree
    with this (``renkou register verify``).
    """
    effective = effective_events(events)
    state = _fold_effective(effective, None)
    fields: dict[str, Any] = (dict(VOID_ROW) if state is None
                              else {name: state[name] for name in LEDGER_FIELDS})
    birth = next((e for e in effective if e.event_type == "birth"), None)
    if birth is not None:
        fields["birth_date"] = birth.event_date
    return fields


def fold(events: Iterable[EventRecord], as_of: dt.date | None = None) -> dict[str, Any] | None:
    """The ledger fields of one person as of ``as_of`` (default: everything).

    Returns ``None`` when the person had not entered the register by then.
    """
    return _fold_effective(effective_events(events), as_of)


def _fold_effective(effective: list[EventRecord], as_of: dt.date | None) -> dict[str, Any] | None:
    state: dict[str, Any] | None = None
    for event in effective:
        if as_of is not None and event.event_date > as_of:
            break
        state = _apply(state, event)
    return state


def fold_many(
    events: Iterable[EventRecord], as_of: dt.date | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Fold a stream of events ordered by person; yield ``(person_id, state)``."""
    batch: list[EventRecord] = []
    for event in events:
        if batch and event.person_id != batch[0].person_id:
            state = fold(batch, as_of)
            if state is not None:
                yield batch[0].person_id, state
            batch = []
        batch.append(event)
    if batch:
        state = fold(batch, as_of)
        if state is not None:
            yield batch[0].person_id, state


def _apply(state: dict[str, Any] | None, event: EventRecord) -> dict[str, Any] | None:
    kind, payload = event.event_type, event.payload
    if kind in _ENTRY_TYPES:
        state = {
            "status": "resident",
            "registered_org_id": event.org_id,
            "current_org_id": None,
            "household_id": None,
            "relationship": "",
            "marital_status": (state or {}).get("marital_status", "single"),
            "hukou_type": (state or {}).get("hukou_type", ""),
        }
    if state is None:
        return None  # an event before entry has no register state to change
    state = dict(state)
    for name in PAYLOAD_SETTABLE:
        if name in payload:
            state[name] = payload[name]
    if kind == "death":
        state["status"] = "dead"
    elif kind == "move_out":
        state["status"] = "moved_out"
    elif kind == "move_within":
        state["registered_org_id"] = event.org_id
    elif kind == "marriage":
        state["marital_status"] = "married"
    elif kind == "divorce":
        state["marital_status"] = "divorced"
    elif kind == "merge":
        state["status"] = "merged"
        state["merged_into_id"] = payload.get("kept_person_id")
    elif kind == "correction":
        for name, change in payload.get("fields", {}).items():
            if name in LEDGER_FIELDS:
                state[name] = change["new"]
    return state


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
