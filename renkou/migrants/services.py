"""The migrant application's rules: registering arrivals and departures, spells, and the
messages an office writes (notices, verification requests and their answers).

Pages, the API, the CLI and the file import call these; the exchange of messages between
offices (batches, signatures, transports) is :mod:`renkou.migrants.exchange`. Every change
locks the person first, then checks, then writes, in one transaction with its log entry.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit
from renkou.register import services as register
from renkou.register.identity import normalise_id_number
from renkou.register.models import Household, HukouType, Person, PersonStatus

from .envelope import check_payload, normalise_code
from .models import (
    Box,
    Direction,
    EndReason,
    Message,
    MessageState,
    MessageType,
    MigrantSpell,
    MoveReason,
    Urgency,
)

__all__ = ["hukou_elsewhere", "office_code", "office_of", "is_here", "register_arrival", "register_departure",
           "end_spell", "current_spell", "Places", "places_of", "write_message",
           "request_verification", "answer_request", "reject_message", "close_message",
           "person_facts", "draft_life_notices"]


# ---------------------------------------------------------------- offices and places

def office_code() -> str:
    """This office's division code (12 digits): ``RENKOU_OFFICE_CODE``, else the code of
    the root of the org tree (the county of a county deployment)."""
    configured = getattr(settings, "RENKOU_OFFICE_CODE", "")
    if configured:
        return normalise_code(configured)
    root = OrgUnit.objects.filter(parent=None).order_by("code").first()
    if root is None:
        raise ValidationError(_("there is no org tree yet: import or generate the units first"))
    return root.code.ljust(12, "0")[:12]


def office_of(code: str) -> str:
    """The office responsible for a place: the county (its first six digits) it lies in."""
    return normalise_code(code)[:6] + "000000"


def is_here(code: str) -> bool:
    """Whether a division code lies inside this deployment's org tree."""
    return normalise_code(code)[:6] in deployment_counties()


def deployment_counties() -> set[str]:
    """The six-digit county codes of this deployment's org tree."""
    return {c[:6] for c in OrgUnit.objects.filter(level__lte=3).values_list("code", flat=True)}


def _root_unit() -> OrgUnit:
    root = OrgUnit.objects.filter(parent=None).order_by("code").first()
    if root is None:
        raise ValidationError(_("there is no org tree yet: import or generate the units first"))
    return root


def place_name(code: str) -> str:
    """The name of a unit here with that code, else of its division in the national table
    (python-stdnum's, :func:`renkou.analytics.labels.division_name`), else ""."""
    from renkou.analytics.labels import division_name

    unit = OrgUnit.objects.filter(code=normalise_code(code)).only("name").first()
    return unit.name if unit else division_name(code)


@dataclass(frozen=True)
class Places:
    """The three places of a migrant (Hebei's 2021 rules): 户籍地, 居住地, 管理地."""

    hukou: str
    residence: str
    manager: str
    spell: MigrantSpell | None


def places_of(person: Person) -> Places:
    """Where the person is registered, lives and is managed (the person page shows them)."""
    spell = current_spell(person)
    registered = person.registered_org
    if spell is None:
        here = f"{registered.code} {registered.name}"
        return Places(here, f"{person.current_org}" if person.current_org_id else here, here, None)
    hukou = f"{spell.hukou_code} {spell.hukou_name}".strip()
    return Places(hukou, spell.residence_label, f"{spell.manager_org.code} {spell.manager_org.name}", spell)


def current_spell(person: Person, direction: str | None = None) -> MigrantSpell | None:
    spells = MigrantSpell.objects.filter(person=person, end_date=None)
    if direction:
        spells = spells.filter(direction=direction)
    return spells.select_related("residence_org", "manager_org").first()


def person_facts(person: Person) -> dict[str, Any]:
    """Who a message is about (``PersonFacts`` of the envelope)."""
    return {"id_number": person.id_number, "name": person.name, "sex": person.sex,
            "birth_date": person.birth_date.isoformat()}


def hukou_elsewhere(person_ids: list[int], start: dt.date, end: dt.date) -> dict[int, str]:
    """Person → hukou place (code and name) of those among ``person_ids`` who lived here
    with their hukou elsewhere at some time in [start, end] (an inflow spell overlapping
    it): what a programme paid at the hukou place asks (equal services, issue 15)."""
    rows = (MigrantSpell.objects.filter(person_id__in=person_ids, direction=Direction.INFLOW,
                                        start_date__lte=end)
            .exclude(end_date__lt=start).values_list("person_id", "hukou_code", "hukou_name"))
    return {pid: f"{code} {name}".strip() for pid, code, name in rows}


# ---------------------------------------------------------------- registration

def _check_reason(reason: str) -> str:
    reason = reason or MoveReason.WORK
    if reason not in MoveReason.values:
        raise ValidationError({"reason": _("the reason must be one of %(values)s")
                               % {"values": ", ".join(MoveReason.values)}})
    return reason


def _check_not_future(day: dt.date, field: str) -> None:
    if day > clock.today():
        raise ValidationError({field: _("the date %(date)s is in the future")
                               % {"date": day.isoformat()}})


def _find_person(id_number: str | None) -> Person | None:
    id_number = normalise_id_number(id_number)
    if not id_number:
        return None
    return Person.objects.filter(id_number=id_number).first()


@transaction.atomic
def register_arrival(*, hukou_code: str, residence_org: OrgUnit, arrival_date: dt.date,
                     reason: str = MoveReason.WORK, phone: str = "", person: Person | None = None,
                     id_number: str | None = None, name: str = "", sex: str = "",
                     birth_date: dt.date | None = None, household: Household | None = None,
                     hukou_type: str = HukouType.RURAL, user=None, via: str = "form",
                     notify: bool = True) -> MigrantSpell:
    """An inflow migrant arrives (流入登记): someone registered elsewhere comes to live in
    ``residence_org``.

    A person not in the register is enrolled as a resident of the residence unit (its
    hukou place recorded on the spell); one who had moved out is moved in again. A spell
    already open for the person ends (moved on) and the new one follows. An arrival notice
    to the hukou place's office is written (sent with the next batch)."""
    try:
        hukou_code = normalise_code(hukou_code)
    except ValidationError:
        raise ValidationError({"hukou_code": _("“%(code)s” is not a division code (6, 9 or 12 "
                                               "digits)") % {"code": hukou_code}}) from None
    if hukou_code[:6] in deployment_counties():
        raise ValidationError({"hukou_code": _(
            "the hukou place %(code)s is in this county: record a move within the county in the "
            "register instead") % {"code": hukou_code}})
    reason = _check_reason(reason)
    _check_not_future(arrival_date, "arrival_date")
    person = person or _find_person(id_number)
    if person is not None:
        register.lock_persons(person)
        person.refresh_from_db()
        if person.status in (PersonStatus.DEAD, PersonStatus.MERGED, PersonStatus.VOID):
            raise ValidationError({"id_number": _("%(name)s is not a person of the register "
                                                  "(%(status)s)")
                                   % {"name": person.name, "status": person.get_status_display()}})
        if person.status == PersonStatus.MOVED_OUT:
            register.record_move_in(person, org=residence_org, event_date=arrival_date,
                                    origin=hukou_code, household=household, user=user, via=via)
        elif person.registered_org_id != residence_org.pk:
            register.record_move_within(person, org=residence_org, event_date=arrival_date,
                                        household=household, user=user, via=via)
    else:
        if not name or not sex or birth_date is None:
            raise ValidationError({"id_number": _("no person with this ID number is in the "
                                                  "register: give the name, sex and birth date "
                                                  "to enrol the arrival")})
        person = register.enrol_person(
            event_date=arrival_date, user=user, via=via, household=household, name=name,
            sex=sex, birth_date=birth_date, org=residence_org, hukou_type=hukou_type,
            id_number=id_number)
    _end_current(person, Direction.INFLOW, arrival_date, EndReason.MOVED_ON, user)
    spell = MigrantSpell.objects.create(
        person=person, direction=Direction.INFLOW, hukou_code=hukou_code,
        hukou_name=place_name(hukou_code), residence_org=residence_org,
        manager_org=residence_org, start_date=arrival_date, reason=reason, phone=phone,
        recorded_at=clock.now(), recorded_by=user, recorded_via=via)
    audit.record(AuditAction.CREATE, "migrant_spell", spell.pk,
                 details={"person_id": person.pk, "direction": "in",
                          "arrival_date": arrival_date.isoformat()}, user=user)
    if notify:
        write_message(MessageType.ARRIVAL_NOTICE, office_of(hukou_code), {
            "person": person_facts(person), "hukou_code": hukou_code,
            "residence": {"code": residence_org.code, "name": residence_org.name},
            "arrival_date": arrival_date.isoformat(), "reason": reason,
        }, org=residence_org, person=person, spell=spell, user=user)
    return spell


@transaction.atomic
def register_departure(person: Person, *, departure_date: dt.date, destination_code: str = "",
                       destination_address: str = "", reason: str = MoveReason.WORK,
                       phone: str = "", user=None, via: str = "form",
                       notify: bool = True) -> MigrantSpell:
    """Someone leaves to live elsewhere (流出登记).

    An inflow migrant leaving ends the inflow spell and moves out of the register (the
    ledger's move-out); the hukou place is told where the person went. A person
    registered here stays in the register, marked as living elsewhere (a new outflow
    spell), and the destination's office is told, when the destination is known."""
    reason = _check_reason(reason)
    _check_not_future(departure_date, "departure_date")
    if destination_code:
        try:
            destination_code = normalise_code(destination_code)
        except ValidationError:
            raise ValidationError({"residence_code": _(
                "“%(code)s” is not a division code (6, 9 or 12 digits)")
                % {"code": destination_code}}) from None
        if destination_code[:6] in deployment_counties():
            raise ValidationError({"residence_code": _(
                "the destination %(code)s is in this county: record a move within the county in "
                "the register instead") % {"code": destination_code}})
    if not destination_code and not destination_address:
        raise ValidationError({"residence_code": _("give the destination: its division code or "
                                                   "its address")})
    register.lock_persons(person)
    person.refresh_from_db()
    if person.status != PersonStatus.RESIDENT:
        raise ValidationError({"person": _("%(name)s is not a resident (%(status)s)")
                               % {"name": person.name, "status": person.get_status_display()}})
    inflow = current_spell(person, Direction.INFLOW)
    destination = {"code": destination_code or None, "address": destination_address}
    if inflow is not None:
        if departure_date < inflow.start_date:
            raise ValidationError({"departure_date": _("the person arrived on %(date)s, after "
                                                       "this departure")
                                   % {"date": inflow.start_date.isoformat()}})
        _end(inflow, departure_date, EndReason.LEFT, user)
        register.record_move_out(person, event_date=departure_date,
                                 destination=destination_code or destination_address,
                                 user=user, via=via)
        if notify:
            write_message(MessageType.DEPARTURE_NOTICE, office_of(inflow.hukou_code), {
                "person": person_facts(person), "hukou_code": inflow.hukou_code,
                "departure_date": departure_date.isoformat(), "destination": destination,
                "reason": reason,
            }, org=inflow.manager_org, person=person, spell=inflow, user=user)
        return inflow
    _end_current(person, Direction.OUTFLOW, departure_date, EndReason.MOVED_ON, user)
    unit = person.registered_org
    spell = MigrantSpell.objects.create(
        person=person, direction=Direction.OUTFLOW, hukou_code=unit.code, hukou_name=unit.name,
        residence_code=destination_code, residence_address=destination_address,
        manager_org=unit, start_date=departure_date, reason=reason, phone=phone,
        recorded_at=clock.now(), recorded_by=user, recorded_via=via)
    audit.record(AuditAction.CREATE, "migrant_spell", spell.pk,
                 details={"person_id": person.pk, "direction": "out",
                          "departure_date": departure_date.isoformat()}, user=user)
    if notify and destination_code:
        write_message(MessageType.DEPARTURE_NOTICE, office_of(destination_code), {
            "person": person_facts(person), "hukou_code": unit.code,
            "departure_date": departure_date.isoformat(), "destination": destination,
            "reason": reason,
        }, org=unit, person=person, spell=spell, user=user)
    return spell


def _end_current(person: Person, direction: str, day: dt.date, why: str, user) -> None:
    spell = current_spell(person, direction)
    if spell is not None:
        _end(spell, max(day, spell.start_date), why, user)


def _end(spell: MigrantSpell, day: dt.date, why: str, user) -> None:
    spell.end_date, spell.end_reason = day, why
    spell.save(update_fields=["end_date", "end_reason"])
    audit.record(AuditAction.CHANGE, "migrant_spell", spell.pk,
                 details={"ended": day.isoformat(), "reason": why}, user=user)


@transaction.atomic
def end_spell(spell: MigrantSpell, *, end_date: dt.date, end_reason: str, user=None) -> MigrantSpell:
    """End a spell (the person came back, the hukou moved, it was recorded in error …)."""
    spell = MigrantSpell.objects.select_for_update().get(pk=spell.pk)
    if spell.end_date is not None:
        raise ValidationError({"end_date": _("this spell already ended on %(date)s")
                               % {"date": spell.end_date.isoformat()}})
    if end_reason not in EndReason.values:
        raise ValidationError({"end_reason": _("not one of the allowed values")})
    if end_date < spell.start_date:
        raise ValidationError({"end_date": _("the spell began on %(date)s, after this date")
                               % {"date": spell.start_date.isoformat()}})
    _check_not_future(end_date, "end_date")
    _end(spell, end_date, end_reason, user)
    return spell


# ---------------------------------------------------------------- messages

def _unit_of(person: Person | None) -> OrgUnit:
    if person is not None:
        spell = current_spell(person)
        if spell is not None:
            return spell.manager_org
        return person.registered_org
    return _root_unit()


def write_message(message_type: str, receiver: str, payload: dict[str, Any], *,
                  org: OrgUnit | None = None, person: Person | None = None,
                  spell: MigrantSpell | None = None, urgency: str = Urgency.ORDINARY,
                  correlation_id: uuid.UUID | None = None, user=None) -> Message:
    """A draft message to another office, checked against its type's schema (out-of-scope
    types and fields are refused, DESIGN.md §2). It goes out with the next batch to
    ``receiver`` (file or HTTP), which sets its ``sent_at``, deadline and signature."""
    payload = check_payload(message_type, payload)
    receiver = normalise_code(receiver)
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("not one of the allowed values")})
    now = clock.now()
    message = Message.objects.create(
        box=Box.OUTGOING, sender=office_code(), receiver=receiver, type=message_type,
        urgency=urgency, created_at=now, state_changed_at=now, payload=payload,
        correlation_id=correlation_id, org=org or _unit_of(person), person=person,
        spell=spell, created_by=user)
    audit.record(AuditAction.CREATE, "migrant_message", message.pk,
                 details={"type": message_type, "receiver": receiver}, user=user)
    return message


@transaction.atomic
def request_verification(*, person: Person | None = None, id_number: str | None = None,
                         to: str, subject: str, urgency: str = Urgency.ORDINARY,
                         question: str = "", user=None) -> Message:
    """A verification request (协查) to another office about a person: identity, residence,
    household facts, or life (for a benefit's requalification)."""
    person = person or _find_person(id_number)
    if person is None:
        raise ValidationError({"id_number": _("no person with this ID number is in the register")})
    return write_message(MessageType.VERIFICATION_REQUEST, to, {
        "person": person_facts(person), "subject": subject, "question": question,
    }, person=person, urgency=urgency, user=user)


def _locked(message: Message) -> Message:
    return Message.objects.select_for_update().get(pk=message.pk)


@transaction.atomic
def answer_request(request: Message, *, result: str, found: bool = True,
                   alive: bool | None = None, user=None) -> Message:
    """Answer a verification request received (协查反馈): the request is answered and the
    answer goes back to the requester with the next batch."""
    request = _locked(request)
    if request.box != Box.INCOMING or request.type != MessageType.VERIFICATION_REQUEST:
        raise ValidationError({"message": _("only a verification request received can be answered")})
    if request.state not in (MessageState.RECEIVED,):
        raise ValidationError({"message": _("this request is %(state)s: it cannot be answered now")
                               % {"state": request.get_state_display()}})
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": _("the answer is required")})
    payload: dict[str, Any] = {"found": found, "result": result}
    if alive is not None:
        payload |= {"alive": alive, "as_of": clock.today().isoformat()}
    answer = write_message(MessageType.VERIFICATION_ANSWER, request.sender, payload,
                           org=request.org, person=request.person, urgency=request.urgency,
                           correlation_id=request.message_id, user=user)
    _set_state(request, MessageState.ANSWERED, user, answered=True)
    return answer


@transaction.atomic
def reject_message(message: Message, *, reason: str, user=None) -> Message:
    """Refuse a message received (e.g. the person is not registered here), with the reason;
    the sender is told in a receipt with the next batch."""
    message = _locked(message)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("the reason is required")})
    if message.box != Box.INCOMING or message.state != MessageState.RECEIVED:
        raise ValidationError({"message": _("only a message received and not yet answered can be "
                                            "rejected")})
    message.reason = reason[:300]
    message.receipt_pending = True
    _set_state(message, MessageState.REJECTED, user)
    return message


@transaction.atomic
def close_message(message: Message, *, user=None) -> Message:
    """Close a message whose business is done (an answer read, a notice dealt with)."""
    message = _locked(message)
    if message.state in (MessageState.DRAFT, MessageState.CLOSED):
        raise ValidationError({"message": _("this message is %(state)s: it cannot be closed")
                               % {"state": message.get_state_display()}})
    _set_state(message, MessageState.CLOSED, user)
    return message


def _set_state(message: Message, state: str, user, *, answered: bool = False) -> None:
    now = clock.now()
    message.state, message.state_changed_at = state, now
    if answered:
        message.answered_at = now
    message.save()
    audit.record(AuditAction.CHANGE, "migrant_message", message.pk,
                 details={"state": state}, user=user)


# ---------------------------------------------------------------- notices from the ledger

def draft_life_notices(user=None) -> int:
    """Write the birth and death notices due to the hukou places of inflow migrants: a
    birth to a mother on an inflow spell, a death of a person on one (the spell ends),
    each once. Returns how many were written."""
    from renkou.register.models import LifeEvent
    from renkou.register.vocabulary import EventType

    written = 0
    notified = set(Message.objects.filter(
        box=Box.OUTGOING, type__in=(MessageType.BIRTH_NOTICE, MessageType.DEATH_NOTICE))
        .exclude(person=None).values_list("type", "person_id"))
    spells = {s.person_id: s for s in MigrantSpell.objects.current()
              .filter(direction=Direction.INFLOW).select_related("manager_org")}
    if not spells:
        return 0
    births = (LifeEvent.objects.filter(event_type=EventType.BIRTH, person__mother_id__in=spells)
              .select_related("person", "person__mother", "person__father", "org"))
    for event in births:
        child, spell = event.person, spells[event.person.mother_id]
        if (MessageType.BIRTH_NOTICE, child.pk) in notified or event.event_date < spell.start_date:
            continue
        payload = {"child": person_facts(child), "mother": person_facts(child.mother),
                   "birth_place": {"code": event.org.code, "name": event.org.name}}
        if child.father is not None:
            payload["father"] = person_facts(child.father)
        write_message(MessageType.BIRTH_NOTICE, office_of(spell.hukou_code), payload,
                      org=spell.manager_org, person=child, spell=spell, user=user)
        written += 1
    deaths = (LifeEvent.objects.filter(event_type=EventType.DEATH, person_id__in=spells)
              .select_related("person", "org"))
    for event in deaths:
        spell = spells[event.person_id]
        if (MessageType.DEATH_NOTICE, event.person_id) in notified:
            continue
        write_message(MessageType.DEATH_NOTICE, office_of(spell.hukou_code), {
            "person": person_facts(event.person), "death_date": event.event_date.isoformat(),
            "death_place": {"code": event.org.code, "name": event.org.name},
        }, org=spell.manager_org, person=event.person, spell=spell, user=user)
        _end(spell, max(event.event_date, spell.start_date), EndReason.DIED, user)
        written += 1
    return written

