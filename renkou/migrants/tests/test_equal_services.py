"""Equal services (issue 15, item 7): an inflow migrant is screened for the residence's
benefits on the same terms as residents, unless the programme's configuration says its
rules depend on the hukou (``eligible_by: hukou``); the person page names the three places."""

from __future__ import annotations

import datetime as dt

from renkou.benefits.eligibility import evaluate
from renkou.benefits.programmes import programme
from renkou.migrants import services
from renkou.register.models import Person
from renkou.testing.factories import make_id_number


def _arrive(unit, name: str, sex: str, birth: dt.date, seq: int, on: dt.date):
    return services.register_arrival(
        hukou_code="340621201005", residence_org=unit, arrival_date=on, reason="family",
        id_number=make_id_number(birth, sex, area="340621", seq=seq), name=name, sex=sex,
        birth_date=birth).person


def _result(code: str, person: Person, year: int = 2026):
    return evaluate(programme(code), year, persons=Person.objects.filter(pk=person.pk).values("pk"))[0]


def test_a_programme_by_residence_screens_a_migrants_child_like_a_residents(small_register):
    child = _arrive(small_register.village, "周小宝", "M", dt.date(2025, 6, 1), 31, dt.date(2025, 8, 1))
    result = _result("childcare-subsidy", child)
    assert result.eligible and result.months == list(range(1, 13))


def test_a_programme_by_hukou_lists_the_migrant_with_the_reason(small_register):
    father = _arrive(small_register.village, "周大山", "M", dt.date(1960, 3, 3), 33, dt.date(2024, 3, 1))
    son = _arrive(small_register.village, "周小山", "M", dt.date(1990, 3, 3), 35, dt.date(2024, 3, 1))
    Person.objects.filter(pk=son.pk).update(father=father)
    assert programme("rural-reward").eligible_by == "hukou"
    result = _result("rural-reward", father)
    assert not result.eligible
    assert "340621201005" in result.reason
    # the same facts for a resident whose hukou is here: eligible
    Person.objects.filter(pk=small_register.zxm.pk).update(birth_date=dt.date(1960, 3, 3))
    Person.objects.filter(pk=small_register.zhao.pk).update(father=small_register.zxm)
    assert _result("rural-reward", small_register.zxm).eligible


def test_the_programme_page_says_who_may_receive_it(officer_client):
    page = officer_client.get("/benefits/programmes/rural-reward/").content.decode()
    assert "户籍" in page
    page = officer_client.get("/benefits/programmes/childcare-subsidy/").content.decode()
    assert "流入人口" in page
