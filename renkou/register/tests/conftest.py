"""Shared fixtures for the register's page tests: a small county built through the services."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from stdnum.cn import ric

from renkou.accounts.models import Role, User
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural
from renkou.register import services
from renkou.register.models import Household, HukouType, MaritalStatus, Relationship, Sex

PASSWORD = "renkou-test-pass-2024"
ENROLLED_ON = dt.date(2020, 1, 1)


def make_id_number(birth_date: dt.date, sex: str, area: str = "110101", seq: int = 12) -> str:
    """A valid 18-character resident ID number for this birth date and sex."""
    sex_digit = 1 if sex == Sex.MALE else 2
    body = f"{area}{birth_date:%Y%m%d}{seq:02d}{sex_digit}"
    return body + ric.calc_check_digit(body + "0")  # the last character is ignored


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None, urban_rural: str) -> OrgUnit:
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural=urban_rural)
    unit.save()
    return unit


@pytest.fixture
def small_register(db):
    """A county with a rural township and an urban street, one household, four persons.

    张晓明 (male, head of household 0010001, with ID), his wife 李秀英 (with ID),
    王芳 (no ID, in the street's community) and 赵强 (single man of marriageable age).
    Everyone was enrolled on 2020-01-01.
    """
    county = _unit("110101000000", "东城县", OrgKind.COUNTY, None, UrbanRural.URBAN)
    town = _unit("110101001000", "和平镇", OrgKind.TOWN, county, UrbanRural.RURAL)
    village = _unit("110101001201", "东村", OrgKind.VILLAGE, town, UrbanRural.RURAL)
    street = _unit("110101002000", "城关街道", OrgKind.STREET, county, UrbanRural.URBAN)
    community = _unit("110101002001", "南门社区", OrgKind.COMMUNITY, street, UrbanRural.URBAN)
    household = Household.objects.create(household_no="0010001", address="东村1组12号",
                                         org=village)
    common = {"event_date": ENROLLED_ON, "hukou_type": HukouType.RURAL}
    zxm = services.enrol_person(
        name="张晓明", sex=Sex.MALE, birth_date=dt.date(1990, 3, 7), org=village,
        id_number=make_id_number(dt.date(1990, 3, 7), Sex.MALE), household=household,
        relationship=Relationship.HEAD, marital_status=MaritalStatus.MARRIED, **common,
    )
    household.head = zxm
    household.save(update_fields=["head"])
    mother = services.enrol_person(
        name="李秀英", sex=Sex.FEMALE, birth_date=dt.date(1992, 5, 10), org=village,
        id_number=make_id_number(dt.date(1992, 5, 10), Sex.FEMALE), household=household,
        relationship=Relationship.SPOUSE, marital_status=MaritalStatus.MARRIED, **common,
    )
    wang = services.enrol_person(
        name="王芳", sex=Sex.FEMALE, birth_date=dt.date(1995, 8, 1), org=community,
        event_date=ENROLLED_ON, hukou_type=HukouType.URBAN,
    )
    zhao = services.enrol_person(
        name="赵强", sex=Sex.MALE, birth_date=dt.date(1994, 2, 2), org=community,
        event_date=ENROLLED_ON, hukou_type=HukouType.URBAN,
    )
    return SimpleNamespace(county=county, town=town, village=village, street=street,
                           community=community, household=household, zxm=zxm, mother=mother,
                           wang=wang, zhao=zhao)


@pytest.fixture
def officer(small_register) -> User:
    """A county officer who sees the whole small county."""
    return User.objects.create_user(username="officer", password=PASSWORD,
                                    role=Role.COUNTY_OFFICER, org=small_register.county)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client
