"""Finding the person to serve (识别服务对象), for health workers, who do not read the register.

A health worker needs to know whom she serves, nothing more of the register (DESIGN.md
§1): :func:`find_persons_to_serve` answers her search box with the lines that tell
namesakes apart (name, birth date, unit, the ID number masked beside the birth date,
:class:`renkou.register.pickers.PersonChoice`).

- A full, valid ID number finds the person anywhere in the deployment: a migrant or a
  visitor registered in another township may be served here. A lookup outside the
  health worker's units is logged (``details["lookup"]`` = :data:`LOOKUP`) and counted:
  at most :func:`renkou.register.pickers.lookups_per_hour` an hour, too few to go
  fishing through ID numbers.
- A name or pinyin initials find the persons registered, or living, in her units
  (``registered_org`` or ``current_org`` in her subtree).
- Part of an ID number finds nobody: listing by its first digits would rebuild it.

:func:`may_serve` says whether she may open a person's service pages: a person of her
units, one with a service record kept in her units, or one she looked up by ID number
in the last :data:`LOOKUP_VALID_FOR` (the person stood before her with her ID card).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from renkou.accounts.permissions import has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction, AuditEntry
from renkou.core.scoping import subtree_q, user_org_path
from renkou.core.text import clean_text
from renkou.register.identity import id_number_is_valid, mask_id_number, normalise_id_number
from renkou.register.models import Person, PersonStatus
from renkou.register.pickers import PICK_LIMIT, PersonChoice, lookups_per_hour
from renkou.register.search import name_match
from renkou.register.vocabulary import NOT_PERSONS

from .models import Consent, Encounter, FollowUp, ServiceRequest
from .permissions import RECORD_SERVICES

__all__ = ["LOOKUP", "LOOKUP_VALID_FOR", "Found", "find_persons_to_serve", "serving_q",
           "may_serve", "person_line"]

#: ``details["lookup"]`` of the log entry of a lookup by ID number outside the user's units.
LOOKUP = "service_by_id_number"
#: How long a person found by her ID number may be opened by the health worker who found her.
LOOKUP_VALID_FOR = dt.timedelta(hours=12)

_FULL_ID = re.compile(r"^\d{17}[\dX]$")
_DIGITS = re.compile(r"^[\d\sXx*]+$")


@dataclass
class Found:
    """The answer to a search: the lines, whether there were more than shown, and why
    nothing was looked up (``problem``)."""

    results: list[PersonChoice] = field(default_factory=list)
    more: bool = False
    problem: str = ""


def serving_q(user) -> Q | None:
    """Persons registered or living in the user's units (``None``: every person, for a
    superuser; an empty match for a user bound to no unit)."""
    path = user_org_path(user)
    if path is None:
        return None
    if path == "":
        return Q(pk__in=[])
    return subtree_q(path, "registered_org__path") | subtree_q(path, "current_org__path")


def _servable():
    return Person.objects.exclude(status__in=(*NOT_PERSONS, PersonStatus.DEAD))


def _in_units(user):
    q = serving_q(user)
    persons = _servable()
    return persons if q is None else persons.filter(q)


def person_line(person: Person) -> PersonChoice:
    """The line that identifies ``person`` to a health worker (the unit where she is
    registered, and where she lives when that differs)."""
    unit, living = person.registered_org.name, person.current_org
    if living is not None and living.pk != person.registered_org_id:
        unit = _("%(registered)s, living in %(current)s") % {
            "registered": unit, "current": living.name}
    return PersonChoice(
        value=str(person.pk), name=person.name,
        id_number=mask_id_number(person.id_number, beside_birth_date=True),
        birth_date=person.birth_date.isoformat(), unit=unit,
        status="" if person.status == PersonStatus.RESIDENT else str(person.get_status_display()))


def _recent_lookups(user, since: dt.datetime):
    return AuditEntry.objects.filter(user=user, action=AuditAction.VIEW, object_type="person",
                                     time__gte=since, details__lookup=LOOKUP)


def _by_id_number(user, number: str) -> Found:
    if not id_number_is_valid(number):
        return Found(problem=_("this is not a valid ID number (its check digit does not fit)"))
    here = _in_units(user).filter(id_number=number).select_related("registered_org", "current_org")
    found = list(here[:1])
    if found:
        return Found([person_line(found[0])])
    if _recent_lookups(user, clock.now() - dt.timedelta(hours=1)).count() >= lookups_per_hour():
        return Found(problem=_("too many lookups by ID number in the last hour; try again "
                               "later"))
    holder = (_servable().filter(id_number=number)
              .select_related("registered_org", "current_org").first())
    audit.record(AuditAction.VIEW, "person", holder.pk if holder else "",
                 details={"lookup": LOOKUP, "found": holder is not None}, user=user)
    return Found([person_line(holder)] if holder is not None else [])


def find_persons_to_serve(user, query: str) -> Found:
    """The persons ``query`` names for a health worker (see the module): a full ID number
    anywhere (logged when outside her units), a name or pinyin in her units."""
    if not has_capability(user, RECORD_SERVICES):
        return Found()
    text = clean_text(query or "")[:50]
    if not text:
        return Found()
    number = normalise_id_number(text)
    if number and _FULL_ID.match(number):
        return _by_id_number(user, number)
    if _DIGITS.match(text):
        return Found(problem=_("type the whole ID number (18 characters) or a name: nobody is "
                               "listed by part of an ID number"))
    rows = list(_in_units(user).filter(name_match(text))
                .select_related("registered_org", "current_org")
                .order_by("name_pinyin", "birth_date", "pk")[:PICK_LIMIT + 1])
    return Found([person_line(p) for p in rows[:PICK_LIMIT]], more=len(rows) > PICK_LIMIT)


def may_serve(user, person: Person) -> bool:
    """Whether ``user`` may open the service pages of ``person`` (see the module)."""
    if not has_capability(user, RECORD_SERVICES) or person.status in NOT_PERSONS:
        return False
    q = serving_q(user)
    if q is None or Person.objects.filter(q, pk=person.pk).exists():
        return True
    for model in (Encounter, Consent, ServiceRequest, FollowUp):
        if model.objects.visible_to(user).filter(person=person).exists():
            return True
    return (_recent_lookups(user, clock.now() - LOOKUP_VALID_FOR)
            .filter(object_id=str(person.pk), details__found=True).exists())
