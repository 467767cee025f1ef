"""Factories every app's tests share: valid ID numbers, a small county built through the
register's services, and one user per role."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from stdnum.cn import ric

PASSWORD = "renkou-test-pass-2024"
ENROLLED_ON = dt.date(2020, 1, 1)


def make_id_number(birth_date: dt.date, sex: str, area: str = "110101", seq: int = 12) -> str:
    """A valid 18-character resident ID number for this birth date and sex ('M'/'F')."""
    sex_digit = 1 if sex == "M" else 2
    body = f"{area}{birth_date:%Y%m%d}{seq:02d}{sex_digit}"
    return body + ric.calc_check_digit(body + "0")  # the last character is ignored


def make_unit(code: str, name: str, kind: str, parent=None, urban_rural: str = "rural"):
    from renkou.orgunits.models import OrgUnit

    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural=urban_rural)
    unit.save()
    return unit


def make_user(username: str, role: str, org, password: str = PASSWORD):
    from renkou.accounts.models import User

    return User.objects.create_user(username=username, password=password, role=role, org=org)


def build_small_register() -> SimpleNamespace:
    """A county with a rural township and an urban street, one household, four persons.

    张晓明 (male, head of household 0010001, with ID), his wife 李秀英 (with ID),
    王芳 (no ID, in the street's community) and 赵强 (single man of marriageable age).
    Everyone was enrolled on 2020-01-01.
    """
    from renkou.orgunits.models import OrgKind, UrbanRural
    from renkou.register import services
    from renkou.register.models import Household, HukouType, MaritalStatus, Relationship, Sex

    county = make_unit("110101000000", "东城县", OrgKind.COUNTY, None, UrbanRural.URBAN)
    town = make_unit("110101001000", "和平镇", OrgKind.TOWN, county, UrbanRural.RURAL)
    village = make_unit("110101001201", "东村", OrgKind.VILLAGE, town, UrbanRural.RURAL)
    street = make_unit("110101002000", "城关街道", OrgKind.STREET, county, UrbanRural.URBAN)
    community = make_unit("110101002001", "南门社区", OrgKind.COMMUNITY, street, UrbanRural.URBAN)
    household = Household.objects.create(household_no="0010001", address="东村1组12号",
                                         org=village)
    zxm = services.enrol_person(
        name="张晓明", sex=Sex.MALE, birth_date=dt.date(1990, 3, 7), org=village,
        id_number=make_id_number(dt.date(1990, 3, 7), Sex.MALE), household=household,
        relationship=Relationship.HEAD, marital_status=MaritalStatus.MARRIED,
        event_date=ENROLLED_ON, hukou_type=HukouType.RURAL,
    )
    household.head = zxm
    household.save(update_fields=["head"])
    mother = services.enrol_person(
        name="李秀英", sex=Sex.FEMALE, birth_date=dt.date(1992, 5, 10), org=village,
        id_number=make_id_number(dt.date(1992, 5, 10), Sex.FEMALE), household=household,
        relationship=Relationship.SPOUSE, marital_status=MaritalStatus.MARRIED,
        event_date=ENROLLED_ON, hukou_type=HukouType.RURAL,
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


def users_per_role(register: SimpleNamespace) -> dict[str, object]:
    """One user of each role: the clerk in 东村, the township officer of 和平镇, the
    county officer, statistician and auditor of the county."""
    from renkou.accounts.roles import Role

    units = {Role.VILLAGE_CLERK: register.village, Role.TOWNSHIP_OFFICER: register.town}
    return {role: make_user(f"t_{role}", role, units.get(role, register.county)) for role in Role}


def write_xlsx(path, header: list[str], rows: list[list]):
    """A one-sheet workbook: the header row, then ``rows`` (what a clerk's file holds)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path
