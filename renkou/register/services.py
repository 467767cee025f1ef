"""Recording life events: validation, appending to the ledger, refreshing the register.

Every change to a person goes through :func:`append_event`, which checks the event,
appends it to the ledger and re-folds the person's ledger into the register row,
in one transaction. Errors are :class:`~django.core.exceptions.ValidationError`
keyed by the form field they concern, with the reason in the user's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.text import clean_text
from renkou.orgunits.models import OrgUnit

from .identity import id_number_problems, name_spellings, normalise_id_number
from .ledger import EventRecord, effective_events, register_fields, resolve
from .models import (
    EventType,
    Household,
    LifeEvent,
    MaritalStatus,
    Person,
    PersonStatus,
    Relationship,
    Sex,
)
from .vocabulary import ENTRY_EVENTS, NOT_PERSONS

__all__ = [
    "age_on",
    "id_number_taken_message",
    "outside_parent_message",
    "append_event",
    "refresh_from_ledger",
    "enrol_person",
    "lock_persons",
    "record_birth",
    "record_multiple_birth",
    "record_death",
    "record_marriage",
    "record_divorce",
    "record_move_in",
    "record_move_out",
    "record_move_within",
    "void_event",
    "effective_ledger",
    "correct_event",
    "correct_fields",
    "record_merge",
    "effective_merge_event",
    "MIN_MOTHER_AGE",
    "MAX_MOTHER_AGE",
    "MIN_FATHER_AGE",
    "LEGAL_MARRIAGE_AGE",
]

MIN_MOTHER_AGE = 12
MAX_MOTHER_AGE = 60
MIN_FATHER_AGE = 14
#: 法定婚龄 (Civil Code art. 1047).
LEGAL_MARRIAGE_AGE = {"M": 22, "F": 20}
CORRECTABLE_FIELDS = (
    "name", "id_number", "sex", "birth_date", "ethnicity", "education", "hukou_type",
    "relationship", "marital_status", "mother_id", "father_id", "source_ref",
)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in completed years (周岁) on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _check_event_date(person: Person | None, event_date: dt.date, birth_date: dt.date | None,
                      *, since_entry: bool = True):
    """Refuse an event dated in the future, before the person's birth, before the person
    entered the register (enrolment, birth or first move in; not checked with
    ``since_entry=False``, for a parent at a child's birth) or after the person's death,
    by the person's effective ledger (corrections applied)."""
    if event_date > clock.today():
        raise ValidationError({"event_date": _("the event date is in the future")})
    if birth_date is not None and event_date < birth_date:
        raise ValidationError({"event_date": _("the event date is before the person's birth")})
    if person is None or person.pk is None:
        return
    effective = effective_ledger(person)
    entry = next((e for e in effective if e.event_type in ENTRY_EVENTS), None)
    if since_entry and entry is not None and event_date < entry.event_date:
        raise ValidationError(
            {"event_date": _("the person entered the register on %(date)s, after this date")
             % {"date": entry.event_date.isoformat()}})
    death = next((e for e in effective if e.event_type == EventType.DEATH), None)
    if death is not None and event_date > death.event_date:
        raise ValidationError(
            {"event_date": _("the person died on %(date)s, before this event")
             % {"date": death.event_date.isoformat()}})


def _check_identity(id_number: str | None, birth_date: dt.date, sex: str,
                    exclude_pk: int | None = None, user=None) -> str | None:
    """The ID number, normalised, if it is valid for this birth date and sex and no
    other person holds it. A holder outside ``user``'s subtree is not named: the
    message says only that the number is taken (uniqueness needs that much), not by
    whom or where."""
    id_number = normalise_id_number(id_number)
    if id_number is None:
        return None
    problems = id_number_problems(id_number, birth_date, sex)
    if problems:
        raise ValidationError({"id_number": "; ".join(problems)})
    holder = Person.objects.filter(id_number=id_number).exclude(pk=exclude_pk).first()
    if holder is not None:
        shown = user is None or Person.objects.visible_to(user).filter(pk=holder.pk).exists()
        raise ValidationError({"id_number": id_number_taken_message(holder.pk, shown=shown)})
    return id_number


def id_number_taken_message(holder_pk: int, *, shown: bool) -> str:
    """Why an ID number cannot be used again, naming the holder only when ``shown`` (the
    user may see that person): one message for the forms, the API and the imports."""
    if shown:
        return _("this ID number is already registered to person %(pid)s") % {"pid": holder_pk}
    return _("this ID number is already registered outside your units; "
             "ask the county office")


def _event_record(e: LifeEvent) -> EventRecord:
    return EventRecord(e.pk, e.person_id, e.event_type, e.event_date, e.org_id, e.payload,
                       e.supersedes_id)


def lock_persons(*persons: Person | None) -> None:
    """Lock the rows of ``persons`` for the rest of the transaction (in person-number
    order, so two writers never wait on each other) and reload them, so that the rules
    are checked against what is stored now, not what a page read a moment ago.

    ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every write transaction is already
    an immediate one (``transaction_mode: IMMEDIATE`` in the settings), which holds the
    database's write lock from its first statement. Every ledger write calls this
    first: forms, the API, merges and the benefits all go through these services."""
    assert transaction.get_connection().in_atomic_block, "lock_persons needs a transaction"
    present = [p for p in persons if p is not None and p.pk is not None]
    fresh = {p.pk: p for p in Person.objects.select_for_update().filter(
        pk__in=sorted({p.pk for p in present})).order_by("pk")}
    for person in present:
        row = fresh.get(person.pk)
        if row is None:
            raise ValidationError({"person": _("this person's record no longer exists")})
        for f in Person._meta.concrete_fields:
            setattr(person, f.attname, getattr(row, f.attname))


def effective_ledger(person: Person) -> list[EventRecord]:
    """The person's effective events (corrections applied), in date order."""
    return effective_events(_event_record(e) for e in LifeEvent.objects.filter(person=person))


def refresh_from_ledger(person: Person) -> Person:
    """Write what the person's whole ledger determines into the register row
    (:func:`renkou.register.ledger.register_fields`)."""
    fields = register_fields(_event_record(e) for e in LifeEvent.objects.filter(person=person))
    for name, value in fields.items():
        setattr(person, name, value)
    person.save(update_fields=[n.removesuffix("_id") for n in fields])
    return person


def as_it_stands(event: LifeEvent) -> tuple[LifeEvent, EventRecord | None]:
    """The recorded event at the root of ``event``'s correction chain, and that event as
    the chain up to and including ``event`` leaves it (``None``: void)."""
    chain = []
    root = event
    while root.supersedes_id is not None:
        chain.append(root)
        root = root.supersedes
    chain.reverse()
    return root, resolve(_event_record(root), [_event_record(c) for c in chain])


@transaction.atomic
def append_event(
    person: Person,
    event_type: str,
    event_date: dt.date,
    org: OrgUnit,
    payload: dict[str, Any] | None = None,
    *,
    user=None,
    via: str = "form",
    supersedes: LifeEvent | None = None,
    recorded_at: dt.datetime | None = None,
) -> LifeEvent:
    """Append one event to the ledger and refresh the person's register row."""
    event = LifeEvent.objects.create(
        event_type=event_type, person=person, event_date=event_date,
        recorded_at=recorded_at or clock.now(), recorded_by=user, recorded_via=via,
        org=org, payload=payload or {}, supersedes=supersedes,
    )
    refresh_from_ledger(person)
    audit.record(
        AuditAction.CHANGE if event_type == EventType.CORRECTION else AuditAction.CREATE,
        "person", person.pk,
        details={"event_id": event.pk, "event_type": event_type,
                 "event_date": event_date.isoformat()},
        user=user,
    )
    return event


def _checked_name(name: str | None) -> str:
    """The name as kept: cleaned (``clean_text``), required, at most 50 characters."""
    name = clean_text(name or "")
    if not name:
        raise ValidationError({"name": _("the name is required")})
    if len(name) > Person._meta.get_field("name").max_length:
        raise ValidationError({"name": _("the name is longer than 50 characters")})
    return name


def _new_person(*, name: str, sex: str, birth_date: dt.date, org: OrgUnit,
                hukou_type: str, id_number: str | None = None, user=None,
                **fields) -> Person:
    name = _checked_name(name)
    if sex not in (Sex.MALE, Sex.FEMALE):
        raise ValidationError({"sex": _("the sex must be M or F")})
    id_number = _check_identity(id_number, birth_date, sex, user=user)
    full, initials = name_spellings(name)
    return Person.objects.create(
        name=name, name_pinyin=full, name_initials=initials, sex=sex, birth_date=birth_date,
        registered_org=org, hukou_type=hukou_type, id_number=id_number, **fields,
    )


@transaction.atomic
def enrol_person(*, event_date: dt.date | None = None, user=None, via: str = "form",
                 household: Household | None = None, relationship: str = "",
                 marital_status: str = MaritalStatus.SINGLE, **fields) -> Person:
    """Enter a person found in the area into the register (建档)."""
    event_date = event_date or clock.today()
    _check_event_date(None, event_date, fields.get("birth_date"))
    person = _new_person(household=household, relationship=relationship,
                         marital_status=marital_status, user=user, **fields)
    append_event(person, EventType.ENROL, event_date, person.registered_org,
                 {"household_id": household.pk if household else None,
                  "relationship": relationship, "marital_status": marital_status,
                  "hukou_type": person.hukou_type},
                 user=user, via=via)
    return person


def _birth_order(mother: Person, birth_date: dt.date) -> int:
    """The live-birth order (孩次) of a child born on ``birth_date``: the mother's children
    born before it, and those of the same delivery recorded before it, plus one — each
    child of a multiple birth counted separately (UN, Principles and Recommendations for
    a Vital Statistics System, Rev. 3, §3: "live-birth order")."""
    earlier = (mother.children_as_mother.exclude(status__in=NOT_PERSONS)
               .filter(birth_date__lte=birth_date).count())
    return earlier + 1


def outside_parent_message(role: str) -> str:
    """Why a parent found outside the user's units (by a full ID number, see
    :mod:`renkou.register.pickers`) cannot be linked to this birth, whatever the reason:
    one message, so that a refusal tells nothing of that person's record (age, death,
    name, other children)."""
    if role == "father":
        return _("the person found by this ID number cannot be recorded as the father of "
                 "this birth; ask the county office")
    return _("the person found by this ID number cannot be recorded as the mother of this "
             "birth; ask the county office")


def _shown(user, person: Person | None) -> bool:
    """Whether ``user`` may see ``person`` (no user: a command, which sees everything)."""
    if person is None or user is None:
        return True
    return Person.objects.visible_to(user).filter(pk=person.pk).exists()


@contextmanager
def _refusal_hidden(role: str, hidden: bool) -> Iterator[None]:
    """Inside, a refusal about the parent ``role`` becomes :func:`outside_parent_message`
    when the user may not see that parent."""
    try:
        yield
    except ValidationError:
        if not hidden:
            raise
        raise ValidationError({role: outside_parent_message(role)}) from None


def _check_is_a_person(parent: Person, role: str) -> None:
    """A merged duplicate or a voided registration is nobody's parent."""
    if parent.status == PersonStatus.MERGED:
        raise ValidationError({role: _("%(name)s was merged into another record")
                               % {"name": parent.name}})
    if parent.status == PersonStatus.VOID:
        raise ValidationError({role: _("%(name)s's registration was voided")
                               % {"name": parent.name}})


def _check_mother(mother: Person, birth_date: dt.date, name: str) -> None:
    _check_is_a_person(mother, "mother")
    if mother.sex != Sex.FEMALE:
        raise ValidationError({"mother": _("the mother must be a woman")})
    _check_event_date(mother, birth_date, None, since_entry=False)
    if birth_date < mother.birth_date:
        raise ValidationError({"mother": _("the mother was born after the child")})
    mother_age = age_on(mother.birth_date, birth_date)
    if mother_age < MIN_MOTHER_AGE:
        raise ValidationError({"mother": _("the mother was %(age)s at the birth, younger than %(min)s")
                               % {"age": mother_age, "min": MIN_MOTHER_AGE}})
    if mother_age > MAX_MOTHER_AGE:
        raise ValidationError({"mother": _("the mother was %(age)s at the birth, older than %(max)s")
                               % {"age": mother_age, "max": MAX_MOTHER_AGE}})
    twin = (mother.children_as_mother.exclude(status__in=NOT_PERSONS)
            .filter(birth_date=birth_date, name=name).values_list("pk", flat=True).first())
    if twin is not None:
        raise ValidationError({"name": _(
            "%(mother)s already has a child named %(name)s born on %(date)s (person number "
            "%(pk)s): a birth is recorded once; the children of a multiple birth each have "
            "their own name") % {"mother": mother.name, "name": name,
                                 "date": birth_date.isoformat(), "pk": twin}})


def _check_father(father: Person, birth_date: dt.date) -> None:
    _check_is_a_person(father, "father")
    if father.sex != Sex.MALE:
        raise ValidationError({"father": _("the father must be a man")})
    father_age = age_on(father.birth_date, birth_date) if birth_date >= father.birth_date else -1
    if father_age < MIN_FATHER_AGE:
        raise ValidationError(
            {"father": _("the father was %(age)s at the birth, younger than %(min)s")
             % {"age": max(father_age, 0), "min": MIN_FATHER_AGE}})
    _check_event_date(father, birth_date - dt.timedelta(days=300), None, since_entry=False)


@transaction.atomic
def record_birth(*, mother: Person, name: str, sex: str, birth_date: dt.date,
                 father: Person | None = None, household: Household | None = None,
                 org: OrgUnit | None = None, id_number: str | None = None,
                 hukou_type: str | None = None, ethnicity: str | None = None,
                 user=None, via: str = "form") -> Person:
    """Register a birth (生育登记): a free service that records a fact, never an approval.

    A parent may be registered outside ``user``'s units (linked by a full ID number
    through :mod:`renkou.register.pickers`): every refusal about that parent is then the
    one :func:`outside_parent_message`, and the child's unit, household, hukou type and
    ethnicity come from the parent the user may see, never from the other one."""
    lock_persons(mother, father)
    _check_event_date(None, birth_date, None)
    name = clean_text(name or "")
    mother_shown, father_shown = _shown(user, mother), _shown(user, father)
    with _refusal_hidden("mother", not mother_shown):
        _check_mother(mother, birth_date, name)
    if father is not None:
        with _refusal_hidden("father", not father_shown):
            _check_father(father, birth_date)
    home = mother if mother_shown else father if father is not None and father_shown else None
    if home is None:
        raise ValidationError({"mother": _("one of the parents must be registered in your "
                                           "units")})
    household = household or home.household
    org = org or home.registered_org
    child = _new_person(
        name=name, sex=sex, birth_date=birth_date, org=org, id_number=id_number,
        hukou_type=hukou_type or home.hukou_type, ethnicity=ethnicity or home.ethnicity,
        mother=mother, father=father, household=household, relationship=Relationship.CHILD,
        birth_order=_birth_order(mother, birth_date), user=user,
    )
    append_event(child, EventType.BIRTH, birth_date, org,
                 {"household_id": household.pk if household else None,
                  "relationship": Relationship.CHILD, "mother_id": mother.pk,
                  "father_id": father.pk if father else None,
                  "birth_order": child.birth_order, "hukou_type": child.hukou_type},
                 user=user, via=via)
    return child


@transaction.atomic
def record_multiple_birth(*, mother: Person, birth_date: dt.date, children: list[dict[str, Any]],
                          father: Person | None = None, user=None,
                          via: str = "form") -> list[Person]:
    """Register the children of one delivery (双胞胎、多胞胎) together: ``children`` holds
    each child's ``name``, ``sex`` and optional ``id_number``; all or none are recorded."""
    names = [(c.get("name") or "").strip() for c in children]
    if len(set(names)) != len(names):
        raise ValidationError({"name": _("each child of a multiple birth needs their own name")})
    return [record_birth(mother=mother, father=father, birth_date=birth_date, name=c["name"],
                         sex=c["sex"], id_number=c.get("id_number") or None, user=user, via=via)
            for c in children]


def _require_resident(person: Person, field: str = "person") -> None:
    if person.status != PersonStatus.RESIDENT:
        raise ValidationError({field: _("%(name)s is not a resident (status: %(status)s)")
                               % {"name": person.name, "status": person.get_status_display()}})


@transaction.atomic
def record_death(person: Person, *, event_date: dt.date, cause: str = "", user=None,
                 via: str = "form") -> LifeEvent:
    lock_persons(person)
    _require_resident(person)
    _check_event_date(person, event_date, person.birth_date)
    return append_event(person, EventType.DEATH, event_date, person.registered_org,
                        {"cause": cause} if cause else {}, user=user, via=via)


@transaction.atomic
def record_marriage(person: Person, spouse: Person, *, event_date: dt.date, user=None,
                    via: str = "form") -> tuple[LifeEvent, LifeEvent]:
    """Record a marriage on both spouses' ledgers."""
    lock_persons(person, spouse)
    events = []
    for one, other, field in ((person, spouse, "person"), (spouse, person, "spouse")):
        _require_resident(one, field)
        _check_event_date(one, event_date, one.birth_date)
        if one.pk == other.pk:
            raise ValidationError({"spouse": _("a person cannot marry themselves")})
        if one.marital_status == MaritalStatus.MARRIED:
            raise ValidationError({field: _("%(name)s is already married") % {"name": one.name}})
        legal = LEGAL_MARRIAGE_AGE[one.sex]
        if age_on(one.birth_date, event_date) < legal:
            raise ValidationError({field: _("%(name)s was younger than the legal marriage age (%(age)s)")
                                   % {"name": one.name, "age": legal}})
    for one, other in ((person, spouse), (spouse, person)):
        events.append(append_event(one, EventType.MARRIAGE, event_date, one.registered_org,
                                   {"spouse_id": other.pk}, user=user, via=via))
    return events[0], events[1]


@transaction.atomic
def record_divorce(person: Person, *, event_date: dt.date, spouse: Person | None = None,
                   user=None, via: str = "form") -> LifeEvent:
    lock_persons(person, spouse)
    if person.marital_status != MaritalStatus.MARRIED:
        raise ValidationError({"person": _("%(name)s is not married") % {"name": person.name}})
    _check_event_date(person, event_date, person.birth_date)
    event = append_event(person, EventType.DIVORCE, event_date, person.registered_org,
                         {"spouse_id": spouse.pk} if spouse else {}, user=user, via=via)
    if spouse is not None and spouse.marital_status == MaritalStatus.MARRIED:
        append_event(spouse, EventType.DIVORCE, event_date, spouse.registered_org,
                     {"spouse_id": person.pk}, user=user, via=via)
    return event


@transaction.atomic
def record_move_in(person: Person, *, org: OrgUnit, event_date: dt.date, origin: str = "",
                   household: Household | None = None, relationship: str = "", user=None,
                   via: str = "form") -> LifeEvent:
    """A person who had moved out returns (迁入). New arrivals are enrolled with a move-in."""
    lock_persons(person)
    if person.status == PersonStatus.RESIDENT:
        raise ValidationError({"person": _("%(name)s is already a resident") % {"name": person.name}})
    if person.status == PersonStatus.DEAD:
        raise ValidationError({"person": _("%(name)s is dead") % {"name": person.name}})
    if person.status == PersonStatus.MERGED:
        raise ValidationError({"person": _("%(name)s was merged into another record")
                               % {"name": person.name}})
    if person.status == PersonStatus.VOID:
        raise ValidationError({"person": _("%(name)s's registration was voided")
                               % {"name": person.name}})
    _check_event_date(person, event_date, person.birth_date)
    return append_event(person, EventType.MOVE_IN, event_date, org,
                        {"origin": origin, "household_id": household.pk if household else None,
                         "relationship": relationship}, user=user, via=via)


@transaction.atomic
def record_move_out(person: Person, *, event_date: dt.date, destination: str = "", user=None,
                    via: str = "form") -> LifeEvent:
    lock_persons(person)
    _require_resident(person)
    _check_event_date(person, event_date, person.birth_date)
    return append_event(person, EventType.MOVE_OUT, event_date, person.registered_org,
                        {"destination": destination}, user=user, via=via)


@transaction.atomic
def record_move_within(person: Person, *, org: OrgUnit, event_date: dt.date,
                       household: Household | None = None, relationship: str = "",
                       user=None, via: str = "form") -> LifeEvent:
    lock_persons(person)
    _require_resident(person)
    _check_event_date(person, event_date, person.birth_date)
    if org.pk == person.registered_org_id and (household is None or household.pk == person.household_id):
        raise ValidationError({"org": _("the destination is where the person already lives")})
    return append_event(person, EventType.MOVE_WITHIN, event_date, org,
                        {"from_org_id": person.registered_org_id,
                         "household_id": household.pk if household else None,
                         "relationship": relationship}, user=user, via=via)


def _check_correctable(event: LifeEvent) -> None:
    if hasattr(event, "superseded_by"):
        raise ValidationError({"event": _("this event has already been corrected; correct the correction")})


@transaction.atomic
def void_event(event: LifeEvent, *, reason: str, user=None, via: str = "form") -> LifeEvent:
    """Record that an event did not happen (it stays in the ledger, marked void)."""
    lock_persons(event.person)
    event.refresh_from_db()  # a correction may have been recorded meanwhile
    _check_correctable(event)
    if not reason.strip():
        raise ValidationError({"reason": _("give the reason for the correction")})
    return append_event(event.person, EventType.CORRECTION, clock.today(), event.org,
                        {"void": True, "reason": reason}, user=user, via=via, supersedes=event)


@transaction.atomic
def correct_event(event: LifeEvent, *, reason: str, event_date: dt.date | None = None,
                  org: OrgUnit | None = None, payload: dict | None = None, user=None,
                  via: str = "form") -> LifeEvent:
    """Replace an event's date, unit or details by a correction that supersedes it."""
    lock_persons(event.person)
    event.refresh_from_db()
    _check_correctable(event)
    if not reason.strip():
        raise ValidationError({"reason": _("give the reason for the correction")})
    root, current = as_it_stands(event)
    if current is None:  # replacing a void: start from the event as it stood before it
        _root, current = as_it_stands(event.supersedes) if event.supersedes else (root, None)
    base = current or _event_record(root)
    new_date = event_date or base.event_date
    new_org = org or (root.org if base.org_id == root.org_id else OrgUnit.objects.get(pk=base.org_id))
    person = root.person
    if root.event_type == EventType.BIRTH:
        if new_date != base.event_date and person.id_number:
            problems = id_number_problems(person.id_number, new_date, person.sex)
            if problems:
                raise ValidationError({"event_date": _(
                    "the ID number does not fit this birth date (%(why)s); correct the ID "
                    "number first") % {"why": "; ".join(problems)}})
        _check_event_date(None, new_date, None)
    else:
        _check_event_date(None, new_date, person.birth_date)
    spec = {
        "event_date": new_date.isoformat(),
        "org_id": new_org.pk,
        "payload": payload if payload is not None else base.payload,
        "reason": reason,
    }
    return append_event(event.person, EventType.CORRECTION, clock.today(), new_org, spec,
                        user=user, via=via, supersedes=event)


@transaction.atomic
def correct_fields(person: Person, changes: dict[str, Any], *, reason: str, user=None,
                   via: str = "form") -> LifeEvent:
    """Fix identity fields of a person; old and new values stay in the ledger."""
    lock_persons(person)
    if not reason.strip():
        raise ValidationError({"reason": _("give the reason for the correction")})
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError({"fields": _("these fields cannot be corrected: %(f)s")
                               % {"f": ", ".join(sorted(unknown))}})
    if "name" in changes:
        changes["name"] = _checked_name(changes["name"])
    new_birth = changes.get("birth_date", person.birth_date)
    new_sex = changes.get("sex", person.sex)
    if "id_number" in changes or "birth_date" in changes or "sex" in changes:
        changes["id_number"] = _check_identity(changes.get("id_number", person.id_number),
                                               new_birth, new_sex, exclude_pk=person.pk,
                                               user=user)
    recorded = {}
    for name, new in changes.items():
        old = getattr(person, name)
        if old != new:
            recorded[name] = {"old": _jsonable(old), "new": _jsonable(new)}
            setattr(person, name, new)
    if not recorded:
        raise ValidationError({"fields": _("nothing was changed")})
    if "name" in recorded:
        person.name_pinyin, person.name_initials = name_spellings(person.name)
    person.save()
    return append_event(person, EventType.CORRECTION, clock.today(), person.registered_org,
                        {"fields": recorded, "reason": reason}, user=user, via=via)


@transaction.atomic
def record_merge(duplicate: Person, kept: Person, user=None, *, reason: str = "",
                 via: str = "form", details: dict[str, Any] | None = None) -> LifeEvent:
    """Record that ``duplicate`` is another registration of ``kept`` (合并重复记录).

    A merge event is appended to the duplicate's ledger; the fold sets its status to
    ``merged`` and remembers the kept record (``kept_person_id``). Nothing else of
    either record changes. Undo it with :func:`void_event` on the returned event (the
    un-merge): the duplicate's record is then folded back to what it was.
    """
    lock_persons(duplicate, kept)
    if duplicate.pk == kept.pk:
        raise ValidationError({"kept": _("a record cannot be merged into itself")})
    for one, field in ((duplicate, "duplicate"), (kept, "kept")):
        if one.status == PersonStatus.MERGED:
            raise ValidationError({field: _("%(name)s (%(pid)s) was already merged into another record")
                                   % {"name": one.name, "pid": one.pk}})
    payload: dict[str, Any] = {"kept_person_id": kept.pk}
    if reason.strip():
        payload["reason"] = reason.strip()
    payload.update(details or {})
    return append_event(duplicate, EventType.MERGE, clock.today(), duplicate.registered_org, payload,
                        user=user, via=via)


def effective_merge_event(person: Person) -> LifeEvent | None:
    """The merge event that currently makes ``person`` a merged duplicate, if any."""
    if person.status != PersonStatus.MERGED:
        return None
    return (LifeEvent.objects.filter(person=person, event_type=EventType.MERGE,
                                     superseded_by__isnull=True)
            .order_by("-recorded_at", "-pk").first())


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
