"""Eligibility edges on a hand-built register: boundaries, twins, deaths, adoption, moves,
versions changing mid-year and jurisdiction overrides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renkou.benefits.eligibility import evaluate
from renkou.benefits.programme_versions import add_version
from renkou.benefits.programmes import ProgrammeError, load_programmes, programme
from renkou.register import services as reg
from renkou.register.models import Person, Sex

pytestmark = pytest.mark.django_db
Y = 2025


def result(code, person, year=Y):
    """One person's evaluation (with the reason when not eligible)."""
    rs = evaluate(programme(code), year, persons=Person.objects.filter(pk=person.pk).values("pk"))
    return rs[0] if rs else None


def eligible(code, year=Y):
    return {r.person_id: r for r in evaluate(programme(code), year) if r.eligible}


def test_shipped_yaml_has_the_four_programmes():
    progs = load_programmes()
    assert set(progs) == {"rural-reward", "special-assistance", "only-child-reward",
                          "childcare-subsidy"}
    assert progs["special-assistance"].rates() == ["death", "disability"]


def test_yaml_mistakes_name_programme_and_field(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("programmes:\n  x:\n    name: X\n    rule: magic\n    unit: person_year\n"
                   "    period: year\n    versions: [{from: 2020-01-01, amount: 1}]\n")
    with pytest.raises(ProgrammeError, match="programme x: rule"):
        load_programmes(bad)


def test_turning_60_on_31_december_counts_for_that_year_not_1_january(person):
    dec = person("甲", Sex.MALE, dt.date(1965, 12, 31))
    jan = person("乙", Sex.MALE, dt.date(1966, 1, 1))
    person("甲子", Sex.MALE, dt.date(1990, 1, 1), father=dec)
    person("乙子", Sex.MALE, dt.date(1991, 1, 1), father=jan)
    found = eligible("rural-reward")
    assert dec.pk in found and found[dec.pk].amount == Decimal("960.00")
    assert found[dec.pk].months == list(range(1, 13))
    assert jan.pk not in found
    assert "59" in result("rural-reward", jan).reason
    assert jan.pk in eligible("rural-reward", 2026)


def test_twins_count_as_two_children(person):
    mother = person("赵母", Sex.FEMALE, dt.date(1960, 3, 3))
    person("赵甲", Sex.MALE, dt.date(1988, 6, 6), mother=mother)
    person("赵乙", Sex.MALE, dt.date(1988, 6, 6), mother=mother)
    girls = person("钱母", Sex.FEMALE, dt.date(1960, 3, 3))
    person("钱甲", Sex.FEMALE, dt.date(1988, 6, 6), mother=girls)
    person("钱乙", Sex.FEMALE, dt.date(1988, 6, 6), mother=girls)
    found = eligible("rural-reward")
    assert mother.pk not in found  # two sons
    assert found[girls.pk].facts["basis"] == "two_daughters"
    assert found[girls.pk].facts["children"] == 2
    young = person("孙母", Sex.FEMALE, dt.date(1990, 3, 3))
    person("孙甲", Sex.MALE, dt.date(2015, 6, 6), mother=young)
    person("孙乙", Sex.MALE, dt.date(2015, 6, 6), mother=young)
    assert young.pk not in eligible("only-child-reward")


def test_a_child_who_died(person):
    mother = person("周母", Sex.FEMALE, dt.date(1970, 1, 5))
    child = person("周子", Sex.MALE, dt.date(1995, 1, 1), mother=mother)
    reg.record_death(child, event_date=dt.date(2024, 5, 20))
    found = eligible("special-assistance")
    assert found[mother.pk].rate == "death"
    assert found[mother.pk].amount == Decimal("7080.00")  # 12 × 590
    assert found[mother.pk].facts["child_died_on"] == "2024-05-20"
    # died mid-2025: due from the month after the death
    m2 = person("吴母", Sex.FEMALE, dt.date(1970, 1, 5))
    c2 = person("吴子", Sex.MALE, dt.date(1996, 1, 1), mother=m2)
    reg.record_death(c2, event_date=dt.date(2025, 6, 10))
    assert eligible("special-assistance")[m2.pk].months == [7, 8, 9, 10, 11, 12]
    # in 2023 the child was alive
    assert mother.pk not in eligible("special-assistance", 2023)
    # rural reward: all recorded children died
    old = person("郑父", Sex.MALE, dt.date(1950, 1, 1))
    for i, name in enumerate(["郑一", "郑二", "郑三"]):
        kid = person(name, Sex.MALE, dt.date(1975 + i, 1, 1), father=old)
        reg.record_death(kid, event_date=dt.date(2022, 1, 1 + i))
    assert eligible("rural-reward")[old.pk].facts["basis"] == "all_children_died"


def test_a_voided_death_is_no_death(person):
    mother = person("冯母", Sex.FEMALE, dt.date(1970, 1, 5))
    child = person("冯子", Sex.MALE, dt.date(1995, 1, 1), mother=mother)
    death = reg.record_death(child, event_date=dt.date(2024, 5, 20))
    reg.void_event(death, reason="登记错误")
    assert mother.pk not in eligible("special-assistance")


def test_an_adopted_child_recorded_in_the_register_counts(person):
    father = person("陈父", Sex.MALE, dt.date(1980, 1, 1))
    adopted = person("陈养子", Sex.FEMALE, dt.date(2012, 9, 9), father=father)
    found = eligible("only-child-reward")
    assert found[father.pk].facts["child_person_id"] == adopted.pk
    assert found[father.pk].amount == Decimal("120.00")


def test_only_child_reward_until_the_child_is_18(person):
    father = person("褚父", Sex.MALE, dt.date(1980, 1, 1))
    person("褚子", Sex.MALE, dt.date(2007, 5, 15), father=father)
    r = eligible("only-child-reward")[father.pk]
    assert r.months == [1, 2, 3, 4, 5]  # 18th birthday 2025-05-15
    assert r.amount == Decimal("50.00")


def test_a_move_out_mid_year(person, elderly_couple):
    reg.record_move_out(elderly_couple.father, event_date=dt.date(2025, 3, 15), destination="合肥")
    r = eligible("rural-reward")[elderly_couple.father.pk]
    assert r.months == [1, 2, 3]
    assert r.amount == Decimal("240.00")
    assert r.left_on == dt.date(2025, 3, 15) and r.left_reason == "move_out"
    assert elderly_couple.mother.pk in eligible("rural-reward")
    assert elderly_couple.father.pk not in eligible("rural-reward", 2026)


def test_a_death_mid_month_pays_through_that_month(person, elderly_couple):
    reg.record_death(elderly_couple.mother, event_date=dt.date(2025, 6, 15))
    r = eligible("rural-reward")[elderly_couple.mother.pk]
    assert r.months == [1, 2, 3, 4, 5, 6]
    assert r.amount == Decimal("480.00")
    assert r.left_reason == "death"


def test_a_version_changing_mid_year_is_prorated(person, elderly_couple):
    add_version(None, "rural-reward", effective_from=dt.date(2025, 7, 1),
                amounts={"default": 1200})
    r = eligible("rural-reward")[elderly_couple.father.pk]
    assert r.amount == Decimal("1080.00")  # 6 × 80 + 6 × 100


def test_a_township_version_overrides_the_default(person, county, elderly_couple):
    add_version(None, "rural-reward", effective_from=dt.date(2020, 1, 1),
                org_prefix="340621100", amounts={"default": 1440})
    other = person("西村人", Sex.MALE, dt.date(1950, 1, 1), org=county.other)
    person("西村子", Sex.MALE, dt.date(1980, 1, 1), father=other, org=county.other)
    assert eligible("rural-reward")[other.pk].amount == Decimal("1440.00")
    add_version(None, "rural-reward", effective_from=dt.date(2020, 1, 1),
                org_prefix="340621999", amounts={"default": 2000})
    assert eligible("rural-reward")[other.pk].amount == Decimal("1440.00")
    # a later default version does not override the township's own
    add_version(None, "rural-reward", effective_from=dt.date(2025, 1, 1),
                amounts={"default": 1000})
    assert eligible("rural-reward")[other.pk].amount == Decimal("1440.00")


def test_urban_hukou_is_not_rural_reward(person):
    p = person("城里人", Sex.MALE, dt.date(1950, 1, 1), hukou="urban")
    person("城里子", Sex.MALE, dt.date(1980, 1, 1), father=p)
    assert p.pk not in eligible("rural-reward")


def test_no_recorded_child_is_not_listed(person):
    p = person("孤老", Sex.MALE, dt.date(1950, 1, 1))
    assert p.pk not in eligible("rural-reward")


def test_childcare_subsidy_prorated_by_months_under_3(person):
    mother = person("蒋母", Sex.FEMALE, dt.date(1995, 1, 1))
    baby = reg.record_birth(mother=mother, name="蒋宝", sex=Sex.FEMALE, birth_date=dt.date(2025, 3, 10))
    older = reg.record_birth(mother=mother, name="蒋大", sex=Sex.MALE, birth_date=dt.date(2022, 5, 20))
    found = eligible("childcare-subsidy")
    assert found[baby.pk].months == list(range(3, 13))
    assert found[baby.pk].amount == Decimal("3000.00")
    assert found[baby.pk].payee == "蒋母"
    assert found[older.pk].months == [1, 2, 3, 4, 5]
    assert found[older.pk].amount == Decimal("1500.00")
    assert not eligible("childcare-subsidy", 2024)  # no version before 2025


def test_screening_is_set_based(person):
    for i in range(12):
        p = person(f"老{i}", Sex.MALE, dt.date(1950, 1, 1 + i))
        person(f"子{i}", Sex.MALE, dt.date(1980, 1, 1 + i), father=p)
    with CaptureQueriesContext(connection) as queries:
        found = eligible("rural-reward")
    assert len(found) == 12
    assert len(queries) <= 8


def test_a_child_of_two_candidates_in_different_id_chunks_counts_once(person, monkeypatch):
    from renkou.benefits import eligibility

    monkeypatch.setattr(eligibility, "CHUNK", 1)
    father = person("杨父", Sex.MALE, dt.date(1980, 1, 1))
    mother = person("杨母", Sex.FEMALE, dt.date(1982, 1, 1))
    person("杨子", Sex.MALE, dt.date(2012, 1, 1), mother=mother, father=father)
    found = eligible("only-child-reward")
    assert {father.pk, mother.pk} <= set(found)
    assert found[father.pk].facts["children"] == 1
