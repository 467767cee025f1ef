"""Choosing a person in a form (人员选择) instead of typing a person number.

:func:`pick_persons` answers the person autocomplete of every form that names a person
(mother, father, spouse, a benefit applicant, the subject of a cross-check): persons the
user may see (:func:`renkou.register.search.scoped_persons`), found by name, pinyin
initials (the stored ``name_initials``), a full ID number or the person number, at most
:data:`PICK_LIMIT` of them. Each choice shows what tells namesakes apart — name, birth
date, village and the ID number masked beside the birth date (the area code only: with
the birth date beside it, nothing rebuilds the number). An ID number is looked up whole,
never by its first digits, for the same reason.

A parent is often registered elsewhere (a wife whose hukou stayed in her home village).
Typed as a full, valid ID number in a mother or father picker, such a person is found by
:func:`find_parent_outside`: a logged, rate-limited lookup that answers only "found"
with an opaque reference to link her — no name, unit or birth date. That the number is
registered is no more than :func:`renkou.register.services.id_number_taken_message`
already tells anyone who enrols with it; the birth service then refuses anything about
such a parent with one message (:func:`renkou.register.services.outside_parent_message`).

:func:`resolve_person` turns what a form sent (a person number, a full ID number, or a
reference) into the person, for the forms' ``clean`` methods.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction, AuditEntry
from renkou.core.text import clean_text

from .identity import id_number_is_valid, mask_id_number, normalise_id_number
from .models import Person, PersonStatus, Sex
from .search import name_match, scoped_persons
from .vocabulary import NOT_PERSONS

__all__ = [
    "PICK_LIMIT",
    "PARENT_SEX",
    "OUTSIDE_LABEL",
    "PersonChoice",
    "Picked",
    "LookupRefused",
    "TooManyLookups",
    "pick_persons",
    "person_choice",
    "find_parent_outside",
    "person_for_reference",
    "resolve_person",
    "is_reference",
    "lookups_per_hour",
]

#: The most choices one answer lists; a longer list asks for a narrower search.
PICK_LIMIT = 20
#: The parent pickers and the sex their person has.
PARENT_SEX = {"mother": Sex.FEMALE, "father": Sex.MALE}
#: What a parent found outside the user's units is shown as, and nothing more.
OUTSIDE_LABEL = gettext_lazy("Found: a person registered outside your units")
#: The audit entries of :func:`find_parent_outside` carry this in ``details["lookup"]``.
LOOKUP = "parent_by_id_number"
#: How long a reference stays usable (a form is filled in minutes).
REFERENCE_MAX_AGE = dt.timedelta(hours=2)

_REFERENCE_SALT = "renkou.register.pickers.parent"
_PERSON_NUMBER = re.compile(r"^[1-9]\d{0,11}$")  # "0010001" is a household number, not 10001
_FULL_ID = re.compile(r"^\d{17}[\dX]$")
_DIGITS = re.compile(r"^[\d\sXx]+$")


def lookups_per_hour() -> int:
    """Lookups of parents outside the user's units (and uses of their references) one
    user may make in an hour (``RENKOU_PARENT_LOOKUPS_PER_HOUR``, default 30): enough
    for a day of births, too few to go fishing through ID numbers."""
    return int(getattr(settings, "RENKOU_PARENT_LOOKUPS_PER_HOUR", 30))


class LookupRefused(Exception):
    """A lookup by ID number that is not made (a number that cannot be this parent's, or
    too many lookups); the message says why."""


class TooManyLookups(LookupRefused):
    """More than :func:`lookups_per_hour` lookups in the last hour."""


@dataclass(frozen=True)
class PersonChoice:
    """One line of the picker: enough to tell namesakes apart, nothing that rebuilds an ID."""

    value: str
    name: str
    id_number: str
    birth_date: str
    unit: str
    status: str = ""

    @property
    def label(self) -> str:
        parts = [self.name, self.birth_date, self.unit, self.id_number, self.status]
        return " · ".join(p for p in parts if p)


@dataclass
class Picked:
    """The picker's answer: the choices, whether there were more, a parent found outside
    the user's units (``{"value": reference, "label": OUTSIDE_LABEL}``), why a lookup
    was not made (``problem``), and whether that was for too many lookups (``refused``:
    the view answers 429)."""

    results: list[PersonChoice] = field(default_factory=list)
    more: bool = False
    outside: dict[str, str] | None = None
    problem: str = ""
    refused: bool = False

    def as_dict(self) -> dict:
        return {
            "results": [{**asdict(c), "label": c.label} for c in self.results],
            "more": self.more,
            "outside": self.outside,
            "problem": self.problem,
        }


def person_choice(person: Person) -> PersonChoice:
    """The picker's line for ``person`` (a person the user may see)."""
    return PersonChoice(
        value=str(person.pk),
        name=person.name,
        id_number=mask_id_number(person.id_number, beside_birth_date=True),
        birth_date=person.birth_date.isoformat(),
        unit=person.registered_org.name,
        status="" if person.status == PersonStatus.RESIDENT else str(person.get_status_display()),
    )


def _full_id_number(text: str) -> str | None:
    number = normalise_id_number(text)
    return number if number and _FULL_ID.match(number) else None


def pick_persons(user, query: str, *, sex: str | None = None,
                 parent: str | None = None) -> Picked:
    """The persons ``user`` may see that ``query`` names, for a picker.

    ``query`` is a name or part of one, pinyin initials or the start of the full pinyin,
    a whole ID number or a person number; ``sex`` (M or F) narrows a name search (a
    mother picker lists women). With ``parent`` (``"mother"`` or ``"father"``), a full,
    valid ID number that matches nobody the user may see is looked up in the whole
    register (:func:`find_parent_outside`).
    """
    text = clean_text(query or "")[:50]
    if not text:
        return Picked()
    persons = scoped_persons(user).exclude(status__in=NOT_PERSONS)
    id_number = _full_id_number(text)
    if id_number is not None:
        match = Q(id_number=id_number)
    elif _PERSON_NUMBER.match(text):
        match = Q(pk=int(text))
    elif _DIGITS.match(text):
        # part of an ID number: listing by its first digits would rebuild it
        return Picked()
    else:
        match = name_match(text)
        if sex in (Sex.MALE, Sex.FEMALE):
            match &= Q(sex=sex)
    rows = list(persons.filter(match).select_related("registered_org")
                .order_by("name_pinyin", "birth_date", "pk")[:PICK_LIMIT + 1])
    picked = Picked([person_choice(p) for p in rows[:PICK_LIMIT]], more=len(rows) > PICK_LIMIT)
    if parent in PARENT_SEX and id_number is not None and not rows:
        try:
            reference = find_parent_outside(user, id_number, parent)
        except LookupRefused as refused:
            picked.problem = str(refused)
            picked.refused = isinstance(refused, TooManyLookups)
        else:
            if reference is not None:
                picked.outside = {"value": reference, "label": str(OUTSIDE_LABEL)}
    return picked


def _recent_lookups(user) -> int:
    since = clock.now() - dt.timedelta(hours=1)
    return AuditEntry.objects.filter(user=user, action=AuditAction.VIEW, object_type="person",
                                     time__gte=since, details__lookup=LOOKUP).count()


def _count_one_more(user) -> None:
    if _recent_lookups(user) >= lookups_per_hour():
        raise TooManyLookups(_("too many lookups by ID number in the last hour; try again "
                              "later or ask the county office"))


def _lookup_outside(user, id_number: str, role: str) -> tuple[Person, AuditEntry] | None:
    """The holder of ``id_number`` if registered outside ``user``'s units and the log
    entry of the lookup, as :func:`find_parent_outside` describes (``None``: nobody, or
    the user's own)."""
    if role not in PARENT_SEX:
        raise ValueError(f"not a parent picker: {role!r}")
    number = _full_id_number(id_number)
    if number is None or not id_number_is_valid(number):
        return None
    if not has_capability(user, Capability.EDIT_REGISTER):
        return None
    id_sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    if id_sex != PARENT_SEX[role]:  # the number itself says so: no lookup needed
        raise LookupRefused(_("this ID number is a man's; a mother's is needed")
                            if role == "mother" else
                            _("this ID number is a woman's; a father's is needed"))
    _count_one_more(user)
    # every status: "registered" is what the uniqueness check already tells of a number
    holder = Person.objects.filter(id_number=number).first()
    if holder is not None and scoped_persons(user).filter(pk=holder.pk).exists():
        return None  # the user's own: the picker lists them by name
    entry = audit.record(AuditAction.VIEW, "person", holder.pk if holder else "",
                         details={"lookup": LOOKUP, "role": role, "found": holder is not None},
                         user=user)
    return (holder, entry) if holder is not None else None


def find_parent_outside(user, id_number: str, role: str) -> str | None:
    """A reference to the person holding ``id_number`` when that person is registered
    outside ``user``'s units, to link as the ``role`` (mother or father) of a birth;
    ``None`` when nobody outside holds it.

    Only a full, valid number is looked up, only by a user who may record events, at
    most :func:`lookups_per_hour` times an hour (:class:`TooManyLookups`); a number
    whose sex digit does not fit ``role`` is refused (:class:`LookupRefused`) without a
    lookup. Each lookup is logged (an access-log view of the person found, or of
    nobody). The reference names the log entry, not the person, and is signed for this
    user: it reveals nothing and works only for them, for :data:`REFERENCE_MAX_AGE`.
    """
    found = _lookup_outside(user, id_number, role)
    if found is None:
        return None
    _holder, entry = found
    return signing.TimestampSigner(salt=_REFERENCE_SALT).sign(f"{entry.pk}.{user.pk}")


def is_reference(value: str) -> bool:
    """Whether a form value is a reference from :func:`find_parent_outside`."""
    return ":" in (value or "")


def person_for_reference(user, reference: str, role: str) -> Person:
    """The parent a reference of :func:`find_parent_outside` stands for. Each use is
    logged and counted like a lookup (a refused birth form sent again is one more)."""
    try:
        signed = signing.TimestampSigner(salt=_REFERENCE_SALT).unsign(
            reference, max_age=REFERENCE_MAX_AGE)
        entry_pk, user_pk = (int(part) for part in signed.split("."))
    except (signing.BadSignature, ValueError):
        raise ValidationError(_("the person found earlier can no longer be used; type the "
                                "ID number again")) from None
    entry = AuditEntry.objects.filter(pk=entry_pk, user_id=user.pk).first()
    details = entry.details if entry is not None else {}
    if (user_pk != user.pk or entry is None or details.get("lookup") != LOOKUP
            or details.get("role") != role or not details.get("found")):
        raise ValidationError(_("the person found earlier can no longer be used; type the "
                                "ID number again"))
    holder = Person.objects.filter(pk=entry.object_id).first()
    if holder is None:
        raise ValidationError(_("the person found earlier can no longer be used; type the "
                                "ID number again"))
    try:
        _count_one_more(user)
    except LookupRefused as refused:
        raise ValidationError(str(refused)) from None
    audit.record(AuditAction.VIEW, "person", holder.pk,
                 details={"lookup": LOOKUP, "role": role, "found": True, "linked": True},
                 user=user)
    return holder


def resolve_person(user, value, *, parent: str | None = None) -> Person | None:
    """The person a picker field sent: a person number or a full ID number of someone
    ``user`` may see; for a ``parent`` field also a reference from the picker or a full
    ID number of someone registered outside (found as by :func:`find_parent_outside`).
    ``None`` for an empty value; a ``ValidationError`` for anything else."""
    text = clean_text(str(value if value is not None else ""))
    if not text:
        return None
    persons = scoped_persons(user)
    if _PERSON_NUMBER.match(text):
        person = persons.filter(pk=int(text)).first()
        if person is None:
            raise ValidationError(_("there is no person with number %(pk)s"),
                                  params={"pk": text})
        return person
    if parent in PARENT_SEX and is_reference(text):
        return person_for_reference(user, text, parent)
    id_number = _full_id_number(text)
    if id_number is None:
        raise ValidationError(_("type a name and choose the person from the list, or give "
                                "a person number or a full ID number"))
    person = persons.filter(id_number=id_number).first()
    if person is not None:
        return person
    if parent in PARENT_SEX:
        try:
            found = _lookup_outside(user, id_number, parent)  # logged and counted
        except LookupRefused as refused:
            raise ValidationError(str(refused)) from None
        if found is not None:
            return found[0]
        raise ValidationError(_("no person in the register has this ID number"))
    raise ValidationError(_("there is no person with this ID number in your units"))
