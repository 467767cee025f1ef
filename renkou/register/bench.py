"""Deterministic rows for the import benchmark (``renkou bench import``).

:func:`bench_org_tree` is a small county (area code 341122) with towns of villages
and streets of communities; :func:`write_bench_file` writes N valid persons in
households — heads, spouses, children whose mothers (and often fathers) are linked
to earlier rows by ID number or by person id — with ID numbers whose check digit
comes from ``stdnum.cn.ric``. Same seed, same file.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

from stdnum.cn import ric

from renkou.core import clock

__all__ = ["BENCH_AREA", "BENCH_COLUMNS", "bench_org_tree", "ensure_org_tree",
           "bench_rows", "write_bench_file"]

BENCH_AREA = "341122"
BENCH_COLUMNS = (
    "person_id", "id_number", "name", "sex", "birth_date", "org_code", "household_no",
    "hukou_type", "marital_status", "status", "mother_person_id", "father_person_id",
    "mother_id_number", "father_id_number", "relationship", "source_ref", "enrolled_date",
    "status_date",
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金"  # noqa: E501
_SURNAME_WEIGHTS = [max(1.0, 30.0 - i) for i in range(len(_SURNAMES))]
_GIVEN = {
    "M": "建国军华明伟强平德福志勇海成斌磊涛超鹏杰刚峰波亮辉健飞俊东文宇浩轩然睿博泽航晨熙皓辰铭哲嘉瑞",  # noqa: E501
    "F": "秀英兰芳桂珍玉凤琴梅霞翠云丽静敏燕娟艳玲红婷慧琳莉雪春媛洁倩涵萱欣怡雨诺汐馨佳琪思悦彤语瑶",  # noqa: E501
}
_TOWNS = ("新安", "水口", "半塔", "汊河", "大英", "雷官", "施官", "舜山", "三城", "杨郢")
_PLACES = "东西南北前后大小新老高黄白石马杨李河湖山岭坡湾桥庄店集岗寨沟塘圩铺营"


def bench_org_tree(towns: int = 8, villages: int = 12) -> list[tuple[str, str, str, str, str]]:
    """Rows ``(code, name, kind, parent_code, urban_rural)``, parents first."""
    county = f"{BENCH_AREA}000000"
    rows = [(county, "来安县", "county", "", "rural")]
    rnd = random.Random(341122)
    for t in range(towns):
        street = t < 2
        town_code = f"{BENCH_AREA}{(1 if street else 100) + t:03d}000"
        kind = "street" if street else "town"
        rows.append((town_code, _TOWNS[t % len(_TOWNS)] + ("街道" if street else "镇"), kind,
                     county, "urban" if street else "rural"))
        for v in range(villages):
            name = rnd.choice(_PLACES) + rnd.choice(_PLACES)
            if street:
                rows.append((f"{town_code[:9]}{v + 1:03d}", name + "社区", "community",
                             town_code, "urban"))
            else:
                rows.append((f"{town_code[:9]}{200 + v + 1:03d}", name + "村", "village",
                             town_code, "rural"))
    return rows


def ensure_org_tree() -> int:
    """Create the benchmark org tree in the configured database if it has no org units.

    Returns the number of units created (0 when the tree was already there).
    """
    from renkou.orgunits.models import KIND_LEVEL, OrgUnit

    if OrgUnit.objects.exists():
        return 0
    units: dict[str, OrgUnit] = {}
    for code, name, kind, parent_code, urban_rural in bench_org_tree():
        unit = OrgUnit(code=code, name=name, kind=kind, level=KIND_LEVEL[kind],
                       parent=units.get(parent_code), urban_rural=urban_rural)
        unit.save()
        units[code] = unit
    return len(units)


class _IdNumbers:
    """Unique resident ID numbers of 来安县, check digit from stdnum."""

    def __init__(self) -> None:
        self.used: dict[tuple[dt.date, str], int] = {}

    def make(self, birth: dt.date, sex: str) -> str:
        key = (birth, sex)
        n = self.used.get(key, 0)
        self.used[key] = n + 1
        seq = 2 * n + (1 if sex == "M" else 2)  # odd for men, even for women
        if seq > 999:
            raise ValueError("too many persons born on one day")
        # 来安县 is 341122 since 1992; people born earlier carry its old code 342322.
        area = BENCH_AREA if birth.year >= 1992 else "342322"
        body = f"{area}{birth:%Y%m%d}{seq:03d}"
        return body + ric.calc_check_digit(body + "0")


def bench_rows(persons: int, seed: int = 1) -> Iterator[list[str]]:
    """``persons`` valid rows in :data:`BENCH_COLUMNS` order, household by household."""
    rnd = random.Random(seed)
    ids = _IdNumbers()
    villages = [(code, ur) for code, _n, kind, _p, ur in bench_org_tree()
                if kind in ("village", "community")]
    today = clock.today()
    last_enrol = min(today, dt.date(2020, 12, 31))
    epoch = dt.date(1935, 1, 1).toordinal()
    surnames = list(_SURNAMES)
    written, household, pid = 0, 0, 100_000

    def name(surname: str, sex: str) -> str:
        chars = _GIVEN[sex]
        given = rnd.choice(chars) + (rnd.choice(chars) if rnd.random() < 0.7 else "")
        return surname + given

    def day_between(lo: dt.date, hi: dt.date) -> dt.date:
        return dt.date.fromordinal(rnd.randint(lo.toordinal(), max(lo, hi).toordinal()))

    while written < persons:
        household += 1
        village, urban_rural = villages[household % len(villages)]
        hh_no = f"{village}{household:06d}"
        hukou = "urban" if urban_rural == "urban" else "rural"
        head_birth = dt.date.fromordinal(rnd.randint(epoch, today.toordinal() - 25 * 365))
        members: list[dict] = []
        surname = rnd.choices(surnames, _SURNAME_WEIGHTS)[0]
        head = {"sex": "M" if rnd.random() < 0.8 else "F", "birth": head_birth,
                "surname": surname, "rel": "head"}
        members.append(head)
        if rnd.random() < 0.75:
            spouse_birth = head_birth + dt.timedelta(days=rnd.randint(-5 * 365, 5 * 365))
            if spouse_birth > today - dt.timedelta(days=22 * 365):
                spouse_birth = head_birth - dt.timedelta(days=rnd.randint(0, 5 * 365))
            members.append({"sex": "F" if head["sex"] == "M" else "M", "birth": spouse_birth,
                            "surname": rnd.choices(surnames, _SURNAME_WEIGHTS)[0],
                            "rel": "spouse"})
            mother = members[0] if head["sex"] == "F" else members[1]
            father = members[1] if head["sex"] == "F" else members[0]
            first_birth = mother["birth"] + dt.timedelta(days=rnd.randint(20 * 365, 32 * 365))
            for k in range(rnd.choice((0, 1, 1, 2, 2, 3))):
                birth = first_birth + dt.timedelta(days=k * rnd.randint(400, 1800))
                if birth >= today:
                    break
                members.append({"sex": rnd.choice("MF"), "birth": birth,
                                "surname": father["surname"], "rel": "child",
                                "mother": mother, "father": father})
        for m in members[: persons - written]:
            pid += 1
            m["pid"] = pid
            age = (today - m["birth"]).days // 365
            has_id = age >= 16 or rnd.random() < 0.8
            m["id"] = ids.make(m["birth"], m["sex"]) if has_id else ""
            mother, father = m.get("mother"), m.get("father")
            by_pid = rnd.random() < 0.5
            enrolled = day_between(max(m["birth"], dt.date(2016, 1, 1)), last_enrol)
            status, status_date = "resident", ""
            roll = rnd.random()
            if roll < 0.02:
                status = "dead"
                status_date = day_between(enrolled, today).isoformat()
            elif roll < 0.04:
                status = "moved_out"
                status_date = day_between(enrolled, today).isoformat()
            married = m["rel"] in ("head", "spouse") and len(members) > 1
            yield [
                str(pid), m["id"], name(m["surname"], m["sex"]), m["sex"],
                m["birth"].isoformat(), village, hh_no, hukou,
                "married" if married else "single", status,
                str(mother["pid"]) if mother and by_pid else "",
                str(father["pid"]) if father and by_pid and rnd.random() < 0.8 else "",
                mother["id"] if mother and not by_pid and mother["id"] else "",
                father["id"] if father and not by_pid and father["id"] else "",
                m["rel"], f"bench-{pid}", enrolled.isoformat(), status_date,
            ]
            written += 1


def write_bench_file(path: str | Path, persons: int, seed: int = 1) -> int:
    """Write the benchmark person file (CSV, UTF-8); return the number of rows."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(BENCH_COLUMNS)
        for row in bench_rows(persons, seed):
            writer.writerow(row)
            n += 1
    return n
