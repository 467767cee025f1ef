"""What receiving each message type does at this office (called inside the import's
transaction, :func:`renkou.migrants.exchange.import_batch`).

First :func:`find` looks the person up in this register (by ID number, else by name, sex
and birth date when exactly one person has them) and says which unit the message
concerns (its office's subtree sees it); then :func:`apply` does what the message means
here:

- **arrival notice** (流入通报, we are the hukou place): the person registered here is
  marked as living elsewhere — an outflow spell (流出) opens with the notice's residence
  and arrival date, or the open one is updated; a different residence ends the old spell
  (moved on) and opens a new one. No ledger event: the person stays registered here.
- **departure notice** (流出通报): about an outflow migrant of ours — back home (the spell
  ends, returned) or on to another place (a new spell); about someone on an inflow
  spell here who went home or elsewhere — the departure is registered (the inflow spell
  ends, the person moves out of the register); announcing someone coming to live here —
  matched only (the clerk registers the arrival).
- **birth notice** (出生通报): the mother is looked up; a child not yet in the register is
  marked not found, so that the hukou place's cross-check worklist shows it; a child
  already recorded is marked already known.
- **death notice** (死亡通报): matched; a person already recorded dead is already known.
- **verification answer** (协查反馈): the request it answers (``correlation_id``) is
  answered.
- **verification request, correction notice, service referral**: matched only; a person
  not in the register is marked not found (the clerk may reject the message with the
  reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import normalise_id_number
from renkou.register.models import Person, PersonStatus

from . import services
from .envelope import normalise_code
from .models import (
    Box,
    Direction,
    EndReason,
    MatchStatus,
    Message,
    MessageState,
    MessageType,
    MigrantSpell,
)

__all__ = ["Found", "find", "apply", "find_person"]

#: Records that are no person of the register (a merged duplicate, a voided enrolment).
NOT_PERSONS = (PersonStatus.MERGED, PersonStatus.VOID)


@dataclass
class Found:
    """Whom a received message is about here, how it matched, and the unit it concerns."""

    person: Person | None
    match: str
    org: OrgUnit


def find_person(facts: dict[str, Any] | None) -> Person | None:
    """The person of this register the facts (``PersonFacts``) name: by ID number, else by
    name, sex and birth date when exactly one person has all three."""
    if not isinstance(facts, dict):
        return None
    persons = Person.objects.exclude(status__in=NOT_PERSONS).select_related("registered_org")
    id_number = normalise_id_number(facts.get("id_number"))
    if id_number:
        person = persons.filter(id_number=id_number).first()
        if person is not None:
            return person
    try:
        birth_date = dt.date.fromisoformat(str(facts.get("birth_date")))
    except ValueError:
        return None
    same = list(persons.filter(name=facts.get("name", ""), sex=facts.get("sex", ""),
                               birth_date=birth_date)[:2])
    return same[0] if len(same) == 1 else None


def _unit_of(person: Person | None) -> OrgUnit:
    if person is not None:
        spell = services.current_spell(person)
        return spell.manager_org if spell is not None else person.registered_org
    return services._root_unit()


def find(message_type: str, payload: dict[str, Any], correlation_id=None,
         sender: str = "") -> Found:
    """Whom the message is about here (before it is stored)."""
    if message_type == MessageType.VERIFICATION_ANSWER:
        request = _request_answered(correlation_id, sender)
        if request is None:
            return Found(None, MatchStatus.NOT_FOUND, services._root_unit())
        return Found(request.person, MatchStatus.MATCHED if request.person_id else
                     MatchStatus.NOT_APPLICABLE, request.org)
    if message_type == MessageType.BIRTH_NOTICE:
        child = find_person(payload.get("child"))
        if child is not None:
            return Found(child, MatchStatus.ALREADY_KNOWN, _unit_of(child))
        mother = find_person(payload.get("mother"))
        # the child is not in the register: the hukou place's cross-checks show it
        return Found(mother, MatchStatus.NOT_FOUND, _unit_of(mother))
    person = find_person(payload.get("person"))
    if person is None:
        return Found(None, MatchStatus.NOT_FOUND, _unit_of(None))
    status = MatchStatus.MATCHED
    if message_type == MessageType.DEATH_NOTICE and person.status == PersonStatus.DEAD:
        status = MatchStatus.ALREADY_KNOWN
    return Found(person, status, _unit_of(person))


def _request_answered(correlation_id, sender: str) -> Message | None:
    if not correlation_id:
        return None
    return (Message.objects.filter(box=Box.OUTGOING, message_id=correlation_id,
                                   type=MessageType.VERIFICATION_REQUEST, receiver=sender)
            .select_related("person", "org").first())


def apply(message: Message, payload: dict[str, Any], user=None) -> None:
    """Do here what the received ``message`` means (see the module); ``payload`` is the
    checked payload."""
    handler = _HANDLERS.get(message.type)
    if handler is not None:
        handler(message, payload, user)


# ---------------------------------------------------------------- arrival and departure

def _registered_here(person: Person | None) -> bool:
    """A resident of this register whose hukou is here (not an inflow migrant)."""
    return (person is not None and person.status == PersonStatus.RESIDENT
            and services.current_spell(person, Direction.INFLOW) is None)


def _code_or_blank(place: dict[str, Any] | None) -> str:
    code = (place or {}).get("code") or ""
    try:
        return normalise_code(code) if code else ""
    except ValidationError:
        return ""


def _address(place: dict[str, Any] | None) -> str:
    place = place or {}
    return (place.get("address") or place.get("name") or "")[:200]


def _open_outflow(message: Message, person: Person, *, residence_code: str, address: str,
                  start: dt.date, reason: str, user) -> MigrantSpell:
    unit = person.registered_org
    spell = MigrantSpell.objects.create(
        person=person, direction=Direction.OUTFLOW, hukou_code=unit.code, hukou_name=unit.name,
        residence_code=residence_code, residence_address=address, manager_org=unit,
        start_date=start, reason=reason, recorded_at=clock.now(), recorded_by=user,
        recorded_via="exchange", source_message=message)
    audit.record(AuditAction.CREATE, "migrant_spell", spell.pk,
                 details={"person_id": person.pk, "direction": "out", "since": start.isoformat(),
                          "residence_code": residence_code, "message": str(message.message_id)},
                 user=user)
    return spell


def _end(spell: MigrantSpell, day: dt.date, why: str, message: Message, user) -> None:
    spell.end_date, spell.end_reason = max(day, spell.start_date), why
    spell.save(update_fields=["end_date", "end_reason"])
    audit.record(AuditAction.CHANGE, "migrant_spell", spell.pk,
                 details={"ended": spell.end_date.isoformat(), "reason": why,
                          "message": str(message.message_id)}, user=user)


def _precision(code: str) -> int:
    """How many digits of a division code say something (340621000000: 6)."""
    return len(code.rstrip("0"))


def _same_place(known: str, told: str) -> bool:
    """Whether a residence told is the one known: the same code, or one of them names a
    place inside the other (the county known, the village told)."""
    if known == told:
        return True
    if not known or not told:
        return False
    coarse, fine = sorted((known, told), key=_precision)
    return fine.startswith(coarse[:max(_precision(coarse), 6)])


def _living_elsewhere(message: Message, person: Person, *, residence_code: str, address: str,
                      since: dt.date, reason: str, user) -> MigrantSpell:
    """Mark a person registered here as living at ``residence_code``/``address`` since
    ``since``: the open outflow spell is updated when the residence is the same, else it
    ends and a new one opens."""
    spell = services.current_spell(person, Direction.OUTFLOW)
    if spell is not None and _same_place(spell.residence_code, residence_code) and (
            residence_code or spell.residence_address == address):
        spell.source_message = message
        if address and not spell.residence_address:
            spell.residence_address = address
        # a finer code of the same place (the village of a county known) refines it
        spell.residence_code = max(spell.residence_code, residence_code, key=_precision)
        spell.save(update_fields=["source_message", "residence_address", "residence_code"])
        audit.record(AuditAction.CHANGE, "migrant_spell", spell.pk,
                     details={"confirmed_by": str(message.message_id)}, user=user)
        message.match = MatchStatus.ALREADY_KNOWN
        return spell
    if spell is not None:
        _end(spell, since, EndReason.MOVED_ON, message, user)
    return _open_outflow(message, person, residence_code=residence_code, address=address,
                         start=max(since, spell.start_date) if spell else since, reason=reason,
                         user=user)


def _arrival(message: Message, payload: dict[str, Any], user) -> None:
    person = message.person
    if not _registered_here(person):
        return
    assert person is not None
    residence = payload.get("residence") or {}
    message.spell = _living_elsewhere(
        message, person, residence_code=_code_or_blank(residence), address=_address(residence),
        since=dt.date.fromisoformat(payload["arrival_date"]), reason=payload["reason"], user=user)
    message.save(update_fields=["spell", "match"])


def _departure(message: Message, payload: dict[str, Any], user) -> None:
    person = message.person
    if person is None:
        return
    destination = payload.get("destination") or {}
    code, address = _code_or_blank(destination), _address(destination)
    day = dt.date.fromisoformat(payload["departure_date"])
    comes_here = bool(code) and services.is_here(code)
    inflow = services.current_spell(person, Direction.INFLOW)
    if inflow is not None:
        if comes_here:  # it announces what we know: the person lives here
            message.match = MatchStatus.ALREADY_KNOWN
            message.spell = inflow
        else:  # an inflow migrant of ours went home or elsewhere
            try:
                services.register_departure(person, departure_date=min(day, clock.today()),
                                            destination_code=code, destination_address=address,
                                            reason=payload["reason"], user=user, via="exchange",
                                            notify=False)
            except ValidationError:
                return  # the clerk sees the notice matched and decides
            message.spell = inflow
        message.save(update_fields=["spell", "match"])
        return
    if not _registered_here(person):
        return
    outflow = services.current_spell(person, Direction.OUTFLOW)
    if comes_here:  # back in the hukou place, or announced as coming here
        if outflow is not None:
            _end(outflow, day, EndReason.RETURNED, message, user)
            message.spell = outflow
            message.save(update_fields=["spell"])
        return
    if not code and not address:
        return
    message.spell = _living_elsewhere(message, person, residence_code=code, address=address,
                                      since=day, reason=payload["reason"], user=user)
    message.save(update_fields=["spell", "match"])


# ---------------------------------------------------------------- answers

def _answer(message: Message, payload: dict[str, Any], user) -> None:
    request = _request_answered(message.correlation_id, message.sender)
    if request is None or request.state not in (MessageState.DRAFT, MessageState.SENT,
                                                MessageState.RECEIVED):
        return
    now = clock.now()
    answered = min(message.sent_at, now) if message.sent_at else now
    request.state, request.state_changed_at, request.answered_at = MessageState.ANSWERED, now, answered
    request.save(update_fields=["state", "state_changed_at", "answered_at"])
    audit.record(AuditAction.CHANGE, "migrant_message", request.pk,
                 details={"state": MessageState.ANSWERED, "answer": str(message.message_id)},
                 user=user)


_HANDLERS: dict[str, Callable[[Message, dict[str, Any], Any], None]] = {
    MessageType.ARRIVAL_NOTICE: _arrival,
    MessageType.DEPARTURE_NOTICE: _departure,
    MessageType.VERIFICATION_ANSWER: _answer,
}
