"""Every built-in rule on a hand-built register: one record that breaks it, one that does not."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.quality.checks import evaluate
from renkou.quality.relations import id_columns, load_register
from renkou.quality.rules import builtin_rules
from renkou.register.models import LifeEvent

from .conftest import TODAY, event, id_for, person


@pytest.fixture
def register(tree):
    v = tree.east
    d = dt.date
    p = {}
    p["ok_man"] = person(v, "张伟", "M", d(1980, 5, 6), id_number=id_for(d(1980, 5, 6), "M"))
    p["ok_woman"] = person(v, "李娜", "F", d(1990, 7, 8), id_number=id_for(d(1990, 7, 8), "F"))
    p["ok_child"] = person(v, "张小宝", "M", d(2020, 3, 1), mother=p["ok_woman"],
                           father=p["ok_man"], recorded_days=10)
    p["bad_format"] = person(v, "格式", "M", d(1985, 1, 1), id_number="11010119850101")
    good = id_for(d(1986, 2, 3), "M", seq=31)
    p["bad_check"] = person(v, "校验", "M", d(1986, 2, 3),
                            id_number=good[:17] + ("0" if good[17] != "0" else "1"))
    p["bad_area"] = person(v, "地区", "F", d(1987, 3, 4), id_number=id_for(d(1987, 3, 4), "F",
                                                                        area="990101"))
    p["bad_birth"] = person(v, "生日", "F", d(1988, 4, 5), id_number=id_for(d(1988, 5, 4), "F"))
    p["bad_sex"] = person(v, "性别", "F", d(1989, 6, 7), id_number=id_for(d(1989, 6, 7), "M"))
    # one number twice: the 18-digit form and the 15-digit first-generation form
    p["dup_a"] = person(v, "重一", "M", d(1970, 8, 9), id_number=id_for(d(1970, 8, 9), "M", seq=55))
    p["dup_b"] = person(tree.south, "重二", "M", d(1970, 8, 9), id_number="110101700809551")
    p["young_mother"] = person(v, "小母", "F", d(2000, 1, 1))
    p["old_mother"] = person(v, "老母", "F", d(1960, 1, 1))
    p["child_young"] = person(v, "早生", "F", d(2011, 6, 1), mother=p["young_mother"])
    p["child_old"] = person(v, "晚生", "M", d(2017, 1, 2), mother=p["old_mother"])
    p["young_father"] = person(v, "小父", "M", d(2005, 1, 1))
    p["child_yf"] = person(v, "少父子", "M", d(2018, 1, 1), mother=p["ok_woman"],
                           father=p["young_father"])
    p["dead_mother"] = person(v, "亡母", "F", d(1985, 1, 1), status="dead")
    event(p["dead_mother"], "death", d(2015, 1, 1), v)
    p["posthumous"] = person(v, "遗孤", "F", d(2016, 1, 1), mother=p["dead_mother"])
    p["died_unborn"] = person(v, "倒序", "M", d(2000, 1, 1), status="dead")
    event(p["died_unborn"], "death", d(1999, 1, 1), v)
    p["ok_dead"] = person(v, "寿终", "M", d(1930, 1, 1), status="dead")
    event(p["ok_dead"], "death", d(2021, 1, 1), v)
    p["very_old"] = person(v, "人瑞", "F", d(1910, 1, 1))
    p["male_mother"] = person(v, "男母", "M", d(1975, 1, 1))
    p["female_father"] = person(v, "女父", "F", d(1975, 1, 1))
    p["child_wrong_parents"] = person(v, "错亲", "M", d(2005, 1, 1), mother=p["male_mother"],
                                      father=p["female_father"])
    p["late"] = person(v, "迟登", "M", d(2021, 1, 1), mother=p["ok_woman"], recorded_days=45)
    marriage = event(p["ok_man"], "marriage", d(2019, 1, 1), v, recorded_days=31)
    voided = event(p["ok_man"], "divorce", d(2022, 1, 1), v, recorded_days=90)
    LifeEvent.objects.create(event_type="correction", person=p["ok_man"],
                             event_date=d(2022, 6, 1), recorded_at=voided.recorded_at, org=v,
                             payload={"void": True, "reason": "录错"}, supersedes=voided)
    return p, marriage


EXPECTED = {
    ("ID_FORMAT", "bad_format"), ("ID_CHECK_DIGIT", "bad_check"), ("ID_AREA_CODE", "bad_area"),
    ("ID_BIRTH_DATE", "bad_birth"), ("ID_SEX", "bad_sex"), ("DUPLICATE_ID", "dup_a"),
    ("DUPLICATE_ID", "dup_b"), ("ID_FORMAT", "dup_b"), ("MOTHER_AGE", "child_young"),
    ("MOTHER_AGE", "child_old"), ("FATHER_AGE", "child_yf"),
    ("BIRTH_AFTER_MOTHER_DEATH", "posthumous"), ("DEATH_BEFORE_BIRTH", "died_unborn"),
    ("AGE_OVER_110", "very_old"), ("MOTHER_SEX", "child_wrong_parents"),
    ("FATHER_SEX", "child_wrong_parents"), ("LATE_RECORDING", "late"),
}


def test_each_rule_finds_its_defect_and_nothing_else(register):
    persons, marriage = register
    name_of = {p.pk: key for key, p in persons.items()}
    reg = load_register(None, today=TODAY)
    found = evaluate(reg, builtin_rules())
    reg.close()
    person_findings = {(f.rule_code, name_of[f.person_id]) for f in found if f.person_id}
    late_marriage = [f for f in found if f.event_id == marriage.pk]
    assert person_findings == EXPECTED | {("LATE_RECORDING", "ok_man")}
    # the marriage was recorded 31 days late; the late divorce was voided by a correction
    assert [f.rule_code for f in late_marriage] == ["LATE_RECORDING"]
    assert sum(f.rule_code == "LATE_RECORDING" for f in found) == 2
    details = {(f.rule_code, name_of[f.person_id]): f.details for f in found if f.person_id}
    assert details[("MOTHER_AGE", "child_young")]["mother_age_at_birth"] == 11
    assert details[("MOTHER_AGE", "child_old")]["mother_age_at_birth"] == 57
    assert details[("FATHER_AGE", "child_yf")]["father_age_at_birth"] == 13
    assert details[("ID_BIRTH_DATE", "bad_birth")] == {
        "id_number": persons["bad_birth"].id_number, "id_birth_date": "1988-05-04",
        "birth_date": "1988-04-05"}
    assert details[("DUPLICATE_ID", "dup_a")]["id_body_count"] == 2
    assert details[("LATE_RECORDING", "late")]["delay_days"] == 45


def test_a_subtree_check_judges_duplicates_and_parents_against_the_whole_register(register, tree):
    persons, _marriage = register
    reg = load_register(tree.south, today=TODAY)
    found = evaluate(reg, builtin_rules())
    reg.close()
    assert {(f.rule_code, f.person_id) for f in found} == {
        ("DUPLICATE_ID", persons["dup_b"].pk), ("ID_FORMAT", persons["dup_b"].pk)}


def test_unit_without_events_is_a_finding_on_totals(tree):
    from renkou.register.models import Person

    Person.objects.bulk_create([Person(name=f"村民{i}", name_pinyin="cunmin", name_initials="cm",
                                       sex="MF"[i % 2], birth_date=dt.date(1970, 1, 1),
                                       hukou_type="rural", registered_org=tree.west)
                                for i in range(200)])
    rule = next(r for r in builtin_rules() if r.code == "UNIT_NO_EVENTS")
    reg = load_register(None, today=TODAY)
    found = evaluate(reg, [rule])
    reg.close()
    assert [(f.subject, f.org_id, f.details) for f in found] == [
        (f"o:{tree.west.pk}", tree.west.pk, {"residents": 200, "events_12m": 0})]


def test_id_columns():
    n = id_for(dt.date(1990, 1, 2), "F")
    assert id_columns(n) == (True, True, True, True, dt.date(1990, 1, 2), "F", n[:17])
    assert id_columns(None) == (None,) * 7
    assert id_columns("110101900102122")[6] == "11010119900102122"
    assert id_columns(n[:17] + "Y")[0] is False
