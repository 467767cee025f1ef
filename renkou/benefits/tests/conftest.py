"""A small rural county built through the register services, with one user per review level."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from renkou.accounts.models import Role, User
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural
from renkou.register import services as reg
from renkou.register.models import HukouType, Sex
from renkou.testing.factories import make_id_number

ENROLLED_ON = dt.date(2020, 1, 1)
PASSWORD = "renkou-test-pass-2024"


def _unit(code, name, kind, parent):
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural=UrbanRural.RURAL)
    unit.save()
    return unit


@pytest.fixture
def county(db):
    c = _unit("340621000000", "涡阳县", OrgKind.COUNTY, None)
    town = _unit("340621100000", "城关镇", OrgKind.TOWN, c)
    village = _unit("340621100201", "东村", OrgKind.VILLAGE, town)
    other = _unit("340621100202", "西村", OrgKind.VILLAGE, town)
    return SimpleNamespace(county=c, town=town, village=village, other=other)


_seq = iter(range(10, 10_000))


@pytest.fixture
def person(county):
    """``person(name, sex, birth_date, **fields)`` enrols a rural resident of 东村 on 2020-01-01."""

    def make(name: str, sex: str, birth: dt.date, *, org=None, hukou=HukouType.RURAL,
             with_id: bool = True, **fields):
        return reg.enrol_person(
            name=name, sex=sex, birth_date=birth, org=org or county.village, hukou_type=hukou,
            id_number=make_id_number(birth, sex, area="340621", seq=next(_seq) % 100)
            if with_id else None,
            event_date=ENROLLED_ON, **fields)

    return make


@pytest.fixture
def users(county):
    def user(name, role, org):
        return User.objects.create_user(username=name, password=PASSWORD, role=role, org=org)

    return SimpleNamespace(
        clerk=user("clerk", Role.VILLAGE_CLERK, county.village),
        other_clerk=user("clerk2", Role.VILLAGE_CLERK, county.other),
        township=user("township", Role.TOWNSHIP_OFFICER, county.town),
        county=user("countyofficer", Role.COUNTY_OFFICER, county.county),
        statistician=user("stat", Role.STATISTICIAN, county.county),
    )


@pytest.fixture
def elderly_couple(person):
    """A rural couple in their sixties with one son (born 1985)."""
    father = person("王大山", Sex.MALE, dt.date(1955, 4, 2))
    mother = person("李桂兰", Sex.FEMALE, dt.date(1957, 8, 9))
    son = person("王小山", Sex.MALE, dt.date(1985, 2, 1), mother=mother, father=father)
    return SimpleNamespace(father=father, mother=mother, son=son)
