"""Finding persons and households in the register, within what a user may see.

Every page that lists register rows starts from :func:`scoped_persons` or
:func:`scoped_households`, so access rules live in one place. :func:`search_persons`
is the one-box search (人员查询): name, pinyin initials ("zxm" finds 张晓明), full
pinyin, resident ID number and household number.
"""

from __future__ import annotations

import re

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat

from renkou.orgunits.models import OrgUnit

from .identity import normalise_id_number
from .models import Household, Person, PersonStatus

__all__ = [
    "scoped_persons",
    "scoped_households",
    "scoped_org_units",
    "search_persons",
    "find_household",
    "annotate_resident_counts",
]

_ID_LIKE = re.compile(r"^\d{1,17}[\dXx]?$")
_LATIN = re.compile(r"^[A-Za-z]+$")


def _org_subtree_q(user, prefix: str) -> Q | None:
    """``Q`` limiting an org-unit relation (``prefix``) to the user's subtree, or ``None``."""
    if user.is_superuser or getattr(user, "org_id", None) is None:
        return None
    path = user.org.path
    return Q(**{f"{prefix}path": path}) | Q(**{f"{prefix}path__startswith": path + "/"})


def scoped_persons(user) -> QuerySet[Person]:
    """Persons this user may see: those registered in the user's org subtree.

    A superuser, or a user bound to no org unit, sees everyone. Access by role is
    hardened later; keep every person list going through here.
    """
    q = _org_subtree_q(user, "registered_org__")
    persons = Person.objects.all()
    return persons if q is None else persons.filter(q)


def scoped_households(user) -> QuerySet[Household]:
    """Households whose org unit is in the user's subtree (everything for a superuser)."""
    q = _org_subtree_q(user, "org__")
    households = Household.objects.all()
    return households if q is None else households.filter(q)


def scoped_org_units(user) -> QuerySet[OrgUnit]:
    """Org units in the user's subtree."""
    q = _org_subtree_q(user, "")
    units = OrgUnit.objects.all()
    return units if q is None else units.filter(q)


def search_persons(user, query: str) -> QuerySet[Person]:
    """Persons matching ``query``, ready to list (household and org joined).

    - digits (an optional final X): ID number equal to or starting with it, or a
      household number equal to or starting with it;
    - Latin letters: pinyin initials or full pinyin starting with it ("zxm", "zhangx");
    - anything else: the name contains it, or the household number equals it.

    An empty query finds nothing.
    """
    text = (query or "").strip()
    persons = scoped_persons(user)
    if not text:
        return persons.none()
    if _ID_LIKE.match(text):
        id_prefix = normalise_id_number(text)
        match = Q(id_number__startswith=id_prefix) | Q(household__household_no__startswith=text)
    elif _LATIN.match(text):
        letters = text.lower()
        match = Q(name_initials__startswith=letters) | Q(name_pinyin__startswith=letters)
    else:
        match = Q(name__contains=text) | Q(household__household_no=text)
    return (
        persons.filter(match)
        .select_related("household", "registered_org")
        .order_by("name_pinyin", "pk")
    )


def find_household(user, household_no: str) -> Household | None:
    """The household with exactly this number, if the user may see it."""
    household_no = (household_no or "").strip()
    if not household_no:
        return None
    return scoped_households(user).filter(household_no=household_no).first()


def annotate_resident_counts(units: QuerySet[OrgUnit], persons: QuerySet[Person]) -> QuerySet:
    """Annotate each unit with ``residents``: resident persons registered in its subtree.

    One SQL statement: a correlated count over the units' path prefixes, so the
    page costs one query whatever the number of units.
    """
    counted = (
        persons.filter(status=PersonStatus.RESIDENT)
        .filter(
            Q(registered_org__path=OuterRef("path"))
            | Q(registered_org__path__startswith=Concat(OuterRef("path"), Value("/")))
        )
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return units.annotate(
        residents=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    )
