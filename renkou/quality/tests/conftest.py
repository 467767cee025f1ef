"""Hand-built registers for the quality tests.

Persons with defects are written straight into the tables (with their enrolment or
birth event), as an import from an old system or a generator would leave them: the
register's services refuse most of these defects at entry, which is exactly why the
rules exist.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from pypinyin import lazy_pinyin
from stdnum.cn import ric

from renkou.accounts.models import Role, User
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural
from renkou.register.models import LifeEvent, Person

PASSWORD = "renkou-test-pass-2024"
TODAY = dt.date(2026, 6, 30)


def id_for(birth: dt.date, sex: str, area: str = "110101", seq: int = 12) -> str:
    body = f"{area}{birth:%Y%m%d}{seq:02d}{1 if sex == 'M' else 2}"
    return body + ric.calc_check_digit(body + "0")


def unit(code: str, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    u = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural=UrbanRural.RURAL)
    u.save()
    return u


def person(org: OrgUnit, name: str, sex: str, birth: dt.date, *, id_number: str | None = None,
           mother: Person | None = None, father: Person | None = None, status: str = "resident",
           entered: dt.date | None = None, recorded_days: int = 0) -> Person:
    """A person and the event that brought it into the ledger (birth when a mother is
    given, else enrolment), recorded ``recorded_days`` after it happened."""
    full = "".join(lazy_pinyin(name))
    p = Person.objects.create(name=name, name_pinyin=full, name_initials=full[:3], sex=sex,
                              birth_date=birth, id_number=id_number, hukou_type="rural",
                              registered_org=org, mother=mother, father=father, status=status)
    day = entered or (birth if mother else dt.date(2020, 1, 1))
    event(p, "birth" if mother else "enrol", max(day, birth) if mother else day, org,
          recorded_days)
    return p


def event(p: Person, kind: str, day: dt.date, org: OrgUnit, recorded_days: int = 0,
          **payload) -> LifeEvent:
    stamp = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=recorded_days),
                                                    dt.time(10, 0)))
    return LifeEvent.objects.create(event_type=kind, person=p, event_date=day, recorded_at=stamp,
                                    org=org, payload=payload)


@pytest.fixture
def tree(db):
    county = unit("110101000000", "东城县", OrgKind.COUNTY, None)
    town = unit("110101001000", "和平镇", OrgKind.TOWN, county)
    east = unit("110101001201", "东村", OrgKind.VILLAGE, town)
    west = unit("110101001202", "西村", OrgKind.VILLAGE, town)
    town2 = unit("110101002000", "平安乡", OrgKind.TOWNSHIP, county)
    south = unit("110101002201", "南村", OrgKind.VILLAGE, town2)
    return SimpleNamespace(county=county, town=town, east=east, west=west, town2=town2,
                           south=south)


def make_user(name: str, role: str, org: OrgUnit) -> User:
    return User.objects.create_user(username=name, password=PASSWORD, role=role, org=org)


@pytest.fixture
def users(tree):
    return SimpleNamespace(
        county=make_user("county", Role.COUNTY_OFFICER, tree.county),
        township=make_user("township", Role.TOWNSHIP_OFFICER, tree.town),
        clerk=make_user("clerk", Role.VILLAGE_CLERK, tree.east),
        west_clerk=make_user("westclerk", Role.VILLAGE_CLERK, tree.west),
        statistician=make_user("stat", Role.STATISTICIAN, tree.county),
    )
