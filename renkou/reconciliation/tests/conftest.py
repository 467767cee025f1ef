"""A hand-built county where every reconciliation figure can be counted by hand.

Tree: 东城县 110101000000 → 和平镇 (东村 V1 sampled, 西村 V2 not sampled),
城关镇 (南村 V3 sampled), 山乡 (北村 V4 not sampled).

Register (everyone enrolled 2020-01-01 unless said), with the register households:

V1 东村, household H1: 张晓明 M 1990-03-07 ID · 李秀英 F 1992-05-10 ID · 张伟 M
2015-04-01 · 张丽 F born 2023-10-01 to 李秀英 (a registered birth) · 王强 M 1960-01-01
ID (dies 2024-09-01) · 赵军 M 1970-02-02 ID, moved out 2024-03-01; household H5: 钱芳
F 1985-06-06 enrolled 2024-08-01 (after the survey).
V3 南村, household H3: 刘晓明 M 1980-01-01; household H4: 陈静 F 1988-08-08 ID · 周华
M 1975-07-07 ID; 周华 and 陈静 marry 2024-02-01; 陈宝 M born 2024-07-15 to 陈静.

The survey of 2024-06-30 (reference period from 2023-07-01) finds in V1: in H1 张晓明
(ID), 李秀银 (李秀英's ID, name written differently), 张伟, 张丽, 张小红 F 2024-05-05
(an unregistered newborn), and in H2 (no register household) 孙明 M 1980-02-02 (not in
the register); in V3: in H3 刘小明 (same pinyin as 刘晓明), in H4 陈静 (ID), 周华 (ID).
Its households visited, inferred from the file, are H1 and H2 in V1 and H3 and H4 in V3:
every register household with a resident on the survey date, so the figures are those
of the whole villages.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from renkou.accounts.models import Role, User
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural
from renkou.register import services
from renkou.register.models import Household, HukouType, Sex
from renkou.testing.factories import make_id_number, write_xlsx

PASSWORD = "renkou-test-pass-2024"
ENROLLED = dt.date(2020, 1, 1)
SURVEY_DATE = dt.date(2024, 6, 30)


def _unit(code, name, kind, parent):
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural=UrbanRural.RURAL)
    unit.save()
    return unit


def _person(name, sex, birth, org, with_id=True, seq=12, event_date=ENROLLED, household=None):
    return services.enrol_person(
        name=name, sex=sex, birth_date=birth, org=org, event_date=event_date,
        hukou_type=HukouType.RURAL, household=household,
        id_number=make_id_number(birth, sex, seq=seq) if with_id else None)


def _household(number, org):
    return Household.objects.create(household_no=number, org=org)


@pytest.fixture
def county(db):
    c = _unit("110101000000", "东城县", OrgKind.COUNTY, None)
    t1 = _unit("110101001000", "和平镇", OrgKind.TOWN, c)
    v1 = _unit("110101001201", "东村", OrgKind.VILLAGE, t1)
    v2 = _unit("110101001202", "西村", OrgKind.VILLAGE, t1)
    t2 = _unit("110101002000", "城关镇", OrgKind.TOWN, c)
    v3 = _unit("110101002201", "南村", OrgKind.VILLAGE, t2)
    t3 = _unit("110101003000", "山乡", OrgKind.TOWNSHIP, c)
    v4 = _unit("110101003201", "北村", OrgKind.VILLAGE, t3)
    M, F = Sex.MALE, Sex.FEMALE
    h1, h3, h4, h5 = (_household("H1", v1), _household("H3", v3), _household("H4", v3),
                      _household("H5", v1))
    zxm = _person("张晓明", M, dt.date(1990, 3, 7), v1, household=h1)
    lxy = _person("李秀英", F, dt.date(1992, 5, 10), v1, household=h1)
    zw = _person("张伟", M, dt.date(2015, 4, 1), v1, with_id=False, household=h1)
    zl = services.record_birth(mother=lxy, father=zxm, name="张丽", sex=F,
                               birth_date=dt.date(2023, 10, 1))
    wq = _person("王强", M, dt.date(1960, 1, 1), v1, household=h1)
    zj = _person("赵军", M, dt.date(1970, 2, 2), v1, household=h1)
    services.record_move_out(zj, event_date=dt.date(2024, 3, 1), destination="外省")
    qf = _person("钱芳", F, dt.date(1985, 6, 6), v1, event_date=dt.date(2024, 8, 1),
                 household=h5)
    services.record_death(wq, event_date=dt.date(2024, 9, 1))
    lxm = _person("刘晓明", M, dt.date(1980, 1, 1), v3, with_id=False, household=h3)
    cj = _person("陈静", F, dt.date(1988, 8, 8), v3, household=h4)
    zh = _person("周华", M, dt.date(1975, 7, 7), v3, household=h4)
    services.record_marriage(zh, cj, event_date=dt.date(2024, 2, 1))
    cb = services.record_birth(mother=cj, father=zh, name="陈宝", sex=M,
                               birth_date=dt.date(2024, 7, 15))
    for p in (zxm, lxy, zw, zl, wq, zj, qf, lxm, cj, zh, cb):
        p.refresh_from_db()
    return SimpleNamespace(county=c, t1=t1, t2=t2, t3=t3, v1=v1, v2=v2, v3=v3, v4=v4,
                           zxm=zxm, lxy=lxy, zw=zw, zl=zl, wq=wq, zj=zj, qf=qf, lxm=lxm,
                           cj=cj, zh=zh, cb=cb)


SURVEY_HEADER = ["village_code", "household_no", "name", "sex", "birth_date", "id_number",
                 "relationship", "remarks"]


@pytest.fixture
def survey_file(county, tmp_path):
    k = county
    rows = [
        ["110101001201", "H1", "张晓明", "男", "1990-03-07", k.zxm.id_number, "户主", ""],
        ["110101001201", "H1", "李秀银", "女", "1992-05-10", k.lxy.id_number, "配偶", ""],
        ["110101001201", "H1", "张伟", "男", "2015-04-01", "", "子", ""],
        ["110101001201", "H1", "张丽", "女", "2023-10-01", "", "女", ""],
        ["110101001201", "H1", "张小红", "女", "2024-05-05", "", "女", "未登记"],
        ["110101001201", "H2", "孙明", "男", "1980-02-02", "", "户主", ""],
        ["110101002201", "H3", "刘小明", "男", "1980-01-01", "", "户主", ""],
        ["110101002201", "H4", "陈静", "女", "1988-08-08", k.cj.id_number, "户主", ""],
        ["110101002201", "H4", "周华", "男", "1975-07-07", k.zh.id_number, "配偶", ""],
    ]
    return write_xlsx(tmp_path / "survey.xlsx", SURVEY_HEADER, rows)


def _user(username, role, org):
    return User.objects.create_user(username=username, password=PASSWORD, role=role, org=org)


@pytest.fixture
def users(county):
    return SimpleNamespace(
        officer=_user("officer", Role.COUNTY_OFFICER, county.county),
        township=_user("township", Role.TOWNSHIP_OFFICER, county.t1),
        clerk=_user("clerk", Role.VILLAGE_CLERK, county.v1),
        clerk3=_user("clerk3", Role.VILLAGE_CLERK, county.v3),
        statistician=_user("stat", Role.STATISTICIAN, county.county),
    )
