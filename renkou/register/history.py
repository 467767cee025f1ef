"""A person's and a household's history: the ledger as read on the register pages.

The register as of a date is the fold of the ledger (:mod:`renkou.register.ledger`)
over the events dated on or before it; these helpers run that fold for one person
or one household and resolve the ids in the result to rows a page can show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.translation import gettext as _

from renkou.orgunits.models import OrgUnit

from .ledger import EventRecord, effective_events, fold, fold_many
from .models import (
    EventType,
    Household,
    HukouType,
    LifeEvent,
    MaritalStatus,
    Person,
    PersonStatus,
    Relationship,
)

__all__ = [
    "PersonState",
    "HistoryEntry",
    "effective_history",
    "person_events",
    "person_state_as_of",
    "household_members_as_of",
    "event_details",
]


@dataclass(frozen=True)
class PersonState:
    """A person's register state (the ledger fields) on one date."""

    as_of: dt.date
    status: str
    registered_org: OrgUnit | None
    current_org: OrgUnit | None
    household: Household | None
    relationship: str
    marital_status: str
    hukou_type: str

    def get_status_display(self) -> str:
        return _label(PersonStatus, self.status)

    def get_relationship_display(self) -> str:
        return _label(Relationship, self.relationship)

    def get_marital_status_display(self) -> str:
        return _label(MaritalStatus, self.marital_status)

    def get_hukou_type_display(self) -> str:
        return _label(HukouType, self.hukou_type)


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _record(e: LifeEvent) -> EventRecord:
    return EventRecord(e.pk, e.person_id, e.event_type, e.event_date, e.org_id, e.payload,
                       e.supersedes_id)


def person_events(person: Person) -> list[LifeEvent]:
    """Every ledger entry of the person, corrections included, in recorded order.

    Each event carries ``superseded_by`` (or not) and ``supersedes`` already joined.
    """
    return list(
        LifeEvent.objects.filter(person=person)
        .select_related("org", "recorded_by", "supersedes", "superseded_by")
        .order_by("event_date", "pk")
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One effective event of a person's ledger, as a card prints it: the event with
    every correction applied (:func:`renkou.register.ledger.effective_events`), where
    it happened, its details, and when and by whom it was first recorded."""

    id: int
    event_type: str
    event_date: dt.date
    org: OrgUnit | None
    details: list[tuple[str, str]]
    recorded_at: dt.datetime
    recorded_by: Any
    corrected: bool

    def get_event_type_display(self) -> str:
        return _label(EventType, self.event_type)


def effective_history(person: Person, events: list[LifeEvent] | None = None) -> list[HistoryEntry]:
    """The person's effective ledger in date order: voided events left out, corrected
    ones as corrected (the history a card shows; the person page shows every entry)."""
    if events is None:
        events = person_events(person)
    recorded = {e.pk: e for e in events}
    effective = effective_events(_record(e) for e in events)
    corrected = {e.supersedes_id for e in events if e.supersedes_id is not None}
    orgs = OrgUnit.objects.in_bulk({e.org_id for e in effective})
    details = event_details([_AsRecorded(e.id, e.event_type, e.payload) for e in effective])
    entries = []
    for e in effective:
        first = recorded[e.id]
        entries.append(HistoryEntry(
            id=e.id, event_type=e.event_type, event_date=e.event_date, org=orgs.get(e.org_id),
            details=details.get(e.id, []), recorded_at=first.recorded_at,
            recorded_by=first.recorded_by, corrected=e.id in corrected))
    return entries


@dataclass(frozen=True)
class _AsRecorded:
    """An effective event in the shape :func:`event_details` reads (``pk``, ``event_type``,
    ``payload``)."""

    pk: int
    event_type: str
    payload: dict[str, Any]


def person_state_as_of(person: Person, day: dt.date,
                       events: list[LifeEvent] | None = None) -> PersonState | None:
    """The person's register state on ``day``; ``None`` if not yet in the register."""
    if events is None:
        events = list(LifeEvent.objects.filter(person=person))
    state = fold((_record(e) for e in events), as_of=day)
    if state is None:
        return None
    org_ids = {i for i in (state["registered_org_id"], state["current_org_id"]) if i}
    orgs = OrgUnit.objects.in_bulk(org_ids) if org_ids else {}
    household = (
        Household.objects.filter(pk=state["household_id"]).first()
        if state["household_id"] else None
    )
    return PersonState(
        as_of=day,
        status=state["status"],
        registered_org=orgs.get(state["registered_org_id"]),
        current_org=orgs.get(state["current_org_id"]),
        household=household,
        relationship=state["relationship"] or "",
        marital_status=state["marital_status"] or "",
        hukou_type=state["hukou_type"] or "",
    )


def household_members_as_of(household: Household, day: dt.date) -> list[tuple[Person, dict]]:
    """Persons whose folded state on ``day`` places them in ``household``.

    Candidates are today's members and everyone with a ledger entry naming the
    household among the entries of the household's org unit (an entry that places
    a person in a household happens in that household's unit; reading only that
    unit's entries keeps this an index lookup); their ledgers are folded in one
    streamed query. Returns ``(person, state)`` pairs ordered by person id.
    """
    pk = household.pk
    named = Q(payload__household_id=pk) | Q(payload__payload__household_id=pk) | Q(
        payload__fields__household_id__new=pk
    )
    candidate_ids = set(
        LifeEvent.objects.filter(org_id=household.org_id).filter(named)
        .values_list("person_id", flat=True)
    ) | set(Person.objects.filter(household=household).values_list("pk", flat=True))
    events = (
        LifeEvent.objects.filter(person_id__in=candidate_ids)
        .order_by("person_id", "event_date", "pk")
        .only("pk", "person_id", "event_type", "event_date", "org_id", "payload", "supersedes_id")
    )
    states = {
        person_id: state
        for person_id, state in fold_many((_record(e) for e in events.iterator()), as_of=day)
        if state["household_id"] == pk
    }
    persons = Person.objects.filter(pk__in=states).order_by("pk")
    return [(p, states[p.pk]) for p in persons]


class _EventLike(Protocol):
    @property
    def pk(self) -> Any: ...
    @property
    def event_type(self) -> str: ...
    @property
    def payload(self) -> Any: ...


def event_details(events: Sequence[_EventLike], *,
                  user=None) -> dict[int, list[tuple[str, str]]]:
    """Readable ``(label, value)`` lines for each event's details, keyed by event id
    (life events, or effective events in their shape).

    Persons, households and org units named in the details are looked up in one
    query each. With ``user``, a parent or spouse registered outside the user's units
    is shown as such, without name or number.
    """
    person_ids: set[int] = set()
    household_ids: set[int] = set()
    org_ids: set[int] = set()
    for e in events:
        p = e.payload or {}
        inner = p.get("payload") or {}
        for source in (p, inner):
            person_ids.update(v for k in ("mother_id", "father_id", "spouse_id")
                              if (v := source.get(k)))
            if source.get("household_id"):
                household_ids.add(source["household_id"])
            if source.get("from_org_id"):
                org_ids.add(source["from_org_id"])
        if p.get("org_id"):
            org_ids.add(p["org_id"])
    persons = Person.objects.all() if user is None else Person.objects.visible_to(user)
    names = dict(persons.filter(pk__in=person_ids).values_list("pk", "name"))
    households = dict(
        Household.objects.filter(pk__in=household_ids).values_list("pk", "household_no")
    )
    orgs = dict(OrgUnit.objects.filter(pk__in=org_ids).values_list("pk", "name"))

    def lines(payload: dict[str, Any]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for key, label in (("mother_id", _("mother")), ("father_id", _("father")),
                           ("spouse_id", _("spouse"))):
            if payload.get(key) in names:
                out.append((label, f"{names[payload[key]]} ({payload[key]})"))
            elif payload.get(key) and user is not None:
                out.append((label, _("registered outside your units")))
            elif payload.get(key):
                out.append((label, f"? ({payload[key]})"))
        if payload.get("household_id"):
            out.append((_("household"), households.get(payload["household_id"], "?")))
        if payload.get("relationship"):
            out.append((_("relationship to head"),
                        _label(Relationship, payload["relationship"])))
        if payload.get("birth_order"):
            out.append((_("birth order"), str(payload["birth_order"])))
        if payload.get("from_org_id"):
            out.append((_("from"), orgs.get(payload["from_org_id"], "?")))
        for key, label in (("origin", _("origin")), ("destination", _("destination")),
                           ("cause", _("cause of death"))):
            if payload.get(key):
                out.append((label, str(payload[key])))
        return out

    result: dict[int, list[tuple[str, str]]] = {}
    for e in events:
        p = e.payload or {}
        if e.event_type != EventType.CORRECTION:
            result[e.pk] = lines(p)
            continue
        out: list[tuple[str, str]] = []
        if p.get("void"):
            out.append((_("correction"), _("the event did not happen (void)")))
        if "event_date" in p:
            out.append((_("event date"), str(p["event_date"])))
        if p.get("org_id"):
            out.append((_("org unit"), orgs.get(p["org_id"], "?")))
        out.extend(lines(p.get("payload") or {}))
        for name, change in (p.get("fields") or {}).items():
            field_label = _field_label(name)
            out.append((field_label, f"{change.get('old') or '—'} → {change.get('new') or '—'}"))
        if p.get("reason"):
            out.append((_("reason"), str(p["reason"])))
        result[e.pk] = out
    return result


def _field_label(name: str) -> str:
    try:
        return str(Person._meta.get_field(name.removesuffix("_id")).verbose_name)
    except FieldDoesNotExist:
        return name
