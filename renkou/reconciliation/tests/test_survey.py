"""Survey reconciliation on the hand-built county of conftest.py: every figure by hand."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import translation

from renkou.core.models import AuditEntry
from renkou.core.tables import ImportRejected
from renkou.reconciliation import services
from renkou.reconciliation.models import (
    Discrepancy,
    DiscrepancyKind,
    Survey,
    SurveyEntry,
    SurveyMember,
)
from renkou.reconciliation.survey import DEFF_COUNTY, DEFF_TOWNSHIP
from renkou.testing.factories import write_xlsx

from .conftest import SURVEY_DATE, SURVEY_HEADER


def wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927) written out again, independently of renkou.demography."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@pytest.fixture
def survey(survey_file):
    return services.import_survey(survey_file, name="2024年抽查", survey_date=SURVEY_DATE)


def _by_code(rows):
    return {r.unit.code: r for r in rows}


def test_as_of_register_and_matching(county, survey):
    expected = set(SurveyEntry.objects.filter(survey=survey).values_list("person__name",
                                                                         flat=True))
    # 赵军 moved out before the survey date, 钱芳 arrived after it, 陈宝 was born after it;
    # 王强 died after it, so he was still expected on the ground.
    assert expected == {"张晓明", "李秀英", "张伟", "张丽", "王强", "刘晓明", "陈静", "周华"}
    methods = dict(SurveyMember.objects.filter(survey=survey).values_list("name", "match_method"))
    assert methods == {"张晓明": "id", "李秀银": "id", "张伟": "name", "张丽": "name",
                       "张小红": "", "孙明": "", "刘小明": "pinyin", "陈静": "id", "周华": "id"}


def test_rates_per_village_and_rolled_up(county, survey):
    rows = _by_code(services.survey_rates(survey))
    v1, v3 = rows["110101001201"], rows["110101002201"]
    assert (v1.counts["checked"], v1.counts["confirmed"], v1.counts["not_found"]) == (5, 3, 1)
    assert (v1.counts["found"], v1.counts["found_only"]) == (6, 2)
    assert (v1.counts["births_found"], v1.counts["births_missing"]) == (2, 1)
    assert v1.accuracy.value == pytest.approx(3 / 5)
    assert v1.not_found.value == pytest.approx(1 / 5)
    assert v1.under_count.value == pytest.approx(1 / 2)
    assert (v3.counts["checked"], v3.counts["confirmed"], v3.counts["not_found"]) == (3, 2, 0)
    assert v3.under_count.value is None  # no birth found: missing, not zero
    town = rows["110101001000"]
    assert town.counts["checked"] == 5 and town.sampled_villages == 1
    county_row = rows["110101000000"]
    assert (county_row.counts["checked"], county_row.counts["confirmed"]) == (8, 5)
    assert (county_row.counts["births_found"], county_row.counts["births_missing"]) == (2, 1)
    assert county_row.sampled_villages == 2
    assert county_row.accuracy.value == pytest.approx(5 / 8)
    lo, hi = wilson(5, 8)
    assert (county_row.accuracy.lower, county_row.accuracy.upper) == (
        pytest.approx(lo), pytest.approx(hi))
    lo, hi = wilson(1, 2)
    assert (v1.under_count.lower, v1.under_count.upper) == (pytest.approx(lo), pytest.approx(hi))
    # unsampled units have no row of their own
    assert "110101001202" not in rows and "110101003000" not in rows


def test_worklist_items(county, survey):
    items = Discrepancy.objects.filter(survey=survey)
    kinds = sorted((i.kind, i.org.code, i.field) for i in items)
    assert kinds == sorted([
        (DiscrepancyKind.FOUND_NOT_IN_REGISTER, "110101001201", ""),  # 张小红
        (DiscrepancyKind.FOUND_NOT_IN_REGISTER, "110101001201", ""),  # 孙明
        (DiscrepancyKind.NOT_FOUND, "110101001201", ""),  # 王强
        (DiscrepancyKind.FIELD_MISMATCH, "110101001201", "name"),  # 李秀英 / 李秀银
        (DiscrepancyKind.FIELD_MISMATCH, "110101002201", "name"),  # 刘晓明 / 刘小明
    ])
    mismatch = items.get(field="name", org=county.v1)
    assert (mismatch.register_value, mismatch.found_value) == ("李秀英", "李秀银")


def test_extrapolation_township_then_county(county, survey):
    rows = {e.unit.code: e for e in services.extrapolate(survey)}
    assert set(rows) == {"110101001202", "110101003201"}
    v2, v4 = rows["110101001202"], rows["110101003201"]
    assert v2.basis == county.t1 and v2.accuracy.value == pytest.approx(3 / 5)
    lo, hi = wilson(3 / DEFF_TOWNSHIP, 5 / DEFF_TOWNSHIP)
    assert (v2.accuracy.lower, v2.accuracy.upper) == (pytest.approx(lo), pytest.approx(hi))
    assert v4.basis == county.county and v4.accuracy.value == pytest.approx(5 / 8)
    lo, hi = wilson(5 / DEFF_COUNTY, 8 / DEFF_COUNTY)
    assert (v4.accuracy.lower, v4.accuracy.upper) == (pytest.approx(lo), pytest.approx(hi))
    # widened: wider than the pooled sample's own interval
    plain = wilson(5, 8)
    assert v4.accuracy.upper - v4.accuracy.lower > plain[1] - plain[0]
    assert v2.residents == 0 and v2.unconfirmed_estimate == 0


def test_provider_for_the_scorecard_uses_the_latest_survey(county, survey, survey_file):
    assert services.survey_accuracy_by_org() == {county.v1.pk: (3, 5), county.v3.pk: (2, 3)}
    # a later survey of V1 alone, where everyone is found as registered
    k = county
    later = write_xlsx(survey_file.parent / "later.xlsx", SURVEY_HEADER, [
        ["110101001201", "H1", "张晓明", "男", "1990-03-07", k.zxm.id_number, "", ""],
        ["110101001201", "H1", "李秀英", "女", "1992-05-10", k.lxy.id_number, "", ""],
    ])
    services.import_survey(later, name="复查", survey_date=dt.date(2024, 7, 31))
    # 张伟, 张丽 and 王强 not found this time: 2 confirmed of 5
    assert services.survey_accuracy_by_org() == {county.v1.pk: (2, 5), county.v3.pk: (2, 3)}


def test_import_errors_name_row_field_reason_and_write_nothing(county, tmp_path):
    bad = write_xlsx(tmp_path / "bad.xlsx", SURVEY_HEADER, [
        ["110101001201", "H1", "张晓明", "男", "1990-03-07", "", "", ""],
        ["999999999999", "H1", "", "X", "1990-13-01", "", "", ""],
        ["110101001201", "H1", "李四", "男", "1990-03-07", "110101199003071234", "", ""],
        ["110101001201", "H1", "王五", "女", "2025-01-01", "", "", ""],
    ])
    with translation.override("zh-hans"), pytest.raises(ImportRejected) as caught:
        services.import_survey(bad, name="坏文件", survey_date=SURVEY_DATE)
    problems = {(e.row, e.field) for e in caught.value.errors}
    assert problems == {(3, "village_code"), (3, "name"), (3, "sex"), (3, "birth_date"),
                        (4, "id_number"), (5, "birth_date")}
    reasons = {(e.row, e.field): e.reason for e in caught.value.errors}
    assert "必填" in reasons[(3, "name")]
    assert reasons[(5, "birth_date")] == "出生日期晚于核查日期"
    assert "第 3 行" in str(caught.value.errors[0])
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        services.import_survey(bad, name="bad", survey_date=SURVEY_DATE)
    assert "the birth date is after the survey date" in {e.reason for e in caught.value.errors}
    assert not Survey.objects.exists() and not SurveyMember.objects.exists()
    assert not Discrepancy.objects.exists()


def test_missing_columns_and_permissions(county, users, tmp_path):
    bad = write_xlsx(tmp_path / "cols.xlsx", ["village_code", "name"], [["110101001201", "甲"]])
    with pytest.raises(ImportRejected) as caught:
        services.import_survey(bad, name="x", survey_date=SURVEY_DATE)
    assert {e.field for e in caught.value.errors} == {"household_no", "sex", "birth_date"}
    from django.core.exceptions import PermissionDenied
    with pytest.raises(PermissionDenied):
        services.import_survey(bad, name="x", survey_date=SURVEY_DATE, user=users.statistician)


def test_clerk_cannot_import_another_village(county, users, survey_file):
    with pytest.raises(ImportRejected) as caught:
        services.import_survey(survey_file, name="x", survey_date=SURVEY_DATE, user=users.clerk)
    assert {e.row for e in caught.value.errors} == {8, 9, 10}


def test_import_is_logged(county, survey):
    entry = AuditEntry.objects.get(action="import", object_type="survey")
    assert entry.details["rows"] == 9 and entry.details["villages"] == 2
