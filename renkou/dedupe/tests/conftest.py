"""A hand-built register with known duplicates, built through the register's services."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest

from renkou.accounts.models import Role, User
from renkou.register import services
from renkou.register.models import HukouType, Sex
from renkou.testing.factories import PASSWORD, make_id_number

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文红建国志海波云"


@pytest.fixture
def dup_register(small_register):
    """``small_register`` plus 160 distinct fillers and these pairs:

    - 张小明 (no ID, in the street's community) — a homophone duplicate of 张晓明;
    - 王芳 (no ID, born 1995-01-08, same community) — 王芳 with day and month swapped;
    - 李秀英 with a different valid ID number and the same birth date as 李秀英 —
      two different people by the rule of valid IDs.
    """
    r = small_register
    rng = random.Random(5)
    units = [r.village, r.community]
    seen = {"张晓明", "李秀英", "王芳", "赵强", "张小明"}
    made = 0
    while made < 160:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name in seen:
            continue
        seen.add(name)
        sex = rng.choice((Sex.MALE, Sex.FEMALE))
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 80 * 365))
        with_id = rng.random() < 0.7
        services.enrol_person(
            name=name, sex=sex, birth_date=birth, org=units[made % 2],
            id_number=make_id_number(birth, sex, seq=10 + made % 80) if with_id else None,
            event_date=dt.date(2021, 1, 1), hukou_type=HukouType.RURAL)
        made += 1
    zhang_dup = services.enrol_person(
        name="张小明", sex=Sex.MALE, birth_date=dt.date(1990, 3, 7), org=r.community,
        event_date=dt.date(2022, 5, 1), hukou_type=HukouType.URBAN)
    wang_dup = services.enrol_person(
        name="王芳", sex=Sex.FEMALE, birth_date=dt.date(1995, 1, 8), org=r.community,
        event_date=dt.date(2022, 5, 1), hukou_type=HukouType.RURAL)
    li_other = services.enrol_person(
        name="李秀英", sex=Sex.FEMALE, birth_date=dt.date(1992, 5, 10), org=r.village,
        id_number=make_id_number(dt.date(1992, 5, 10), Sex.FEMALE, seq=44),
        event_date=dt.date(2022, 5, 1), hukou_type=HukouType.RURAL)
    return SimpleNamespace(**vars(r), zhang_dup=zhang_dup, wang_dup=wang_dup, li_other=li_other)


def make_user(username: str, role: str, org) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role, org=org)


@pytest.fixture
def town_officer(small_register) -> User:
    """A township officer of 和平镇 (the village's township), not of the street."""
    return make_user("town", Role.TOWNSHIP_OFFICER, small_register.town)


__all__ = ["make_user", "Role"]
