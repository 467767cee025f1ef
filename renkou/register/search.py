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
    "name_match",
    "find_household",
    "annotate_resident_counts",
]

_ID_LIKE = re.compile(r"^\d{1,17}[\dXx]?$")
_LATIN = re.compile(r"^[A-Za-z]+$")


def scoped_persons(user) -> QuerySet[Person]:
    """Persons this user may see (see :mod:`renkou.core.scoping`)."""
    return Person.objects.visible_to(user)


def scoped_households(user) -> QuerySet[Household]:
    """Households this user may see."""
    return Household.objects.visible_to(user)


def scoped_org_units(user) -> QuerySet[OrgUnit]:
    """Org units in the user's subtree."""
    return OrgUnit.objects.visible_to(user)


def _prefix(field: str, text: str) -> Q:
    """``field`` starts with ``text``, as a range an ordinary B-tree index can answer.

    (``LIKE 'abc%'`` cannot use the index on SQLite, nor on PostgreSQL without
    ``text_pattern_ops``.) Meant for ASCII letters and digits.
    """
    upper = text[:-1] + chr(ord(text[-1]) + 1)
    return Q(**{f"{field}__gte": text, f"{field}__lt": upper})


def search_persons(user, query: str) -> QuerySet[Person]:
    """Persons matching ``query``, ready to list (household and org joined).

    - digits (an optional final X): ID number equal to or starting with it, or a
      household number equal to or starting with it;
    - Latin letters: pinyin initials or full pinyin starting with it ("zxm", "zhangx");
    - anything else: the name contains it, or the household number equals it.

    An empty query finds nothing. Prefix matches are index range scans, so only the
    name search reads the whole table.
    """
    text = (query or "").strip()
    persons = scoped_persons(user)
    if not text:
        return persons.none()
    if _ID_LIKE.match(text):
        id_prefix = normalise_id_number(text)
        households = Household.objects.filter(_prefix("household_no", text)).values("pk")
        match = (Q(id_number=id_prefix) if len(id_prefix) == 18
                 else _prefix("id_number", id_prefix)) | Q(household__in=households)
    else:
        match = name_match(text)
        if not _LATIN.match(text):
            match |= Q(household__in=Household.objects.filter(household_no=text).values("pk"))
    return (
        persons.filter(match)
        .select_related("household", "registered_org")
        .order_by("name_pinyin", "pk")
    )


def name_match(text: str) -> Q:
    """Persons whose name matches ``text``: Latin letters are pinyin initials or the
    start of the full pinyin ("zxm", "zhangx" find 张晓明; the stored ``name_initials``
    and ``name_pinyin`` columns, index range scans); anything else is part of the name."""
    text = text.strip()
    if _LATIN.match(text):
        letters = text.lower()
        return _prefix("name_initials", letters) | _prefix("name_pinyin", letters)
    return Q(name__contains=text)


def find_household(user, household_no: str) -> Household | None:
    """The household with exactly this number, if the user may see it."""
    household_no = (household_no or "").strip()
    if not household_no:
        return None
    return scoped_households(user).filter(household_no=household_no).first()


def annotate_resident_counts(units: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """Annotate each unit with ``residents``: resident persons registered in its subtree.

    One SQL statement. For each unit, the units under its path (an index range on
    ``path``) give the org ids whose residents are counted through the
    ``(registered_org, status)`` index, so the cost follows the number of units,
    not of persons. Pass units from :func:`scoped_org_units`; a unit's subtree is
    then inside the user's scope.
    """
    path = OuterRef(OuterRef("path"))
    subtree = OrgUnit.objects.filter(
        Q(path=path)
        # path starts with "<path>/": "0" is the character after "/"
        | Q(path__gte=Concat(path, Value("/")), path__lt=Concat(path, Value("0")))
    ).values("pk")
    counted = (
        Person.objects.filter(status=PersonStatus.RESIDENT, registered_org__in=subtree)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return units.annotate(
        residents=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    )
