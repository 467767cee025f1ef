"""The service catalogue as data: the shipped services, an office's own file, and the
loader's refusals (DESIGN.md §2)."""

from __future__ import annotations

import pytest
from django.utils import translation

from renkou.services import catalogue
from renkou.services.catalogue import CatalogueError, load_catalogue

SHIPPED = {"PRE_PREGNANCY", "PREMARITAL", "SCREENING", "CONTRACEPTIVE_COUNSELLING",
           "MATERNAL_VISIT", "CHILD_HEALTH", "PSYCHOLOGICAL_COUNSELLING"}

OFFICE_FILE = """
services:
  - code: NUTRITION
    name_zh: 营养咨询
    name_en: nutrition counselling
    who_may_ask_zh: 任何有需要的人
    information_version: 营养咨询知情同意书 2026 版
    items:
      - {code: advice, name_zh: 咨询要点, name_en: advice given, kind: text, sensitive: true}
"""


def _one(tmp_path, service_yaml: str):
    path = tmp_path / "catalogue.yaml"
    path.write_text("services:\n" + service_yaml, encoding="utf-8")
    return load_catalogue(path)


def test_the_shipped_catalogue_has_the_built_in_services():
    shipped = load_catalogue()
    assert set(shipped) == SHIPPED
    check = shipped["PRE_PREGNANCY"]
    assert [i.code for i in check.items] == ["counselling", "history", "physical_exam",
                                            "blood_pressure", "lab_tests", "risk_assessment",
                                            "advice"]
    assert check.risk_item == "risk_assessment"
    assert {f.code for f in check.follow_ups} == {"pregnancy_outcome", "risk_review"}
    supplies = shipped["CONTRACEPTIVE_COUNSELLING"].item("supplies_chosen")
    assert supplies is not None and supplies.choice("none") is not None  # any method, or none


def test_an_office_adds_a_service_without_code(tmp_path, settings):
    path = tmp_path / "office.yaml"
    path.write_text(OFFICE_FILE, encoding="utf-8")
    settings.RENKOU_SERVICE_CATALOGUE = str(path)
    found = catalogue.services()
    assert set(found) == SHIPPED | {"NUTRITION"}
    assert found["NUTRITION"].source == "office"


@pytest.mark.parametrize(("item", "word"), [
    ("{code: pregnancy_status, name_zh: 妊娠状态, kind: text}", "pregnancy_status"),
    ("{code: iud_check, name_zh: 查环结果, kind: text}", "iud_check"),
    ("{code: method, name_zh: 避孕措施落实情况, kind: text}", "避孕措施落实"),
    ("{code: compliance, name_zh: 是否符合政策, kind: yes_no}", "compliance"),
])
def test_out_of_scope_items_are_refused_citing_the_design(tmp_path, item, word):
    spec = f"""  - code: BAD
    name_zh: 不当项目
    items:
      - {item}
"""
    with translation.override("en"), pytest.raises(CatalogueError) as refused:
        _one(tmp_path, spec)
    assert word in str(refused.value) and "DESIGN.md §2" in str(refused.value)
    with translation.override("zh-hans"), pytest.raises(CatalogueError) as refused:
        _one(tmp_path, spec)
    assert "DESIGN.md 第2节" in str(refused.value) and "服务项目 BAD" in str(refused.value)


def test_a_follow_up_without_follow_up_consent_is_refused(tmp_path):
    spec = """  - code: TRACK
    name_zh: 随访
    items:
      - {code: advice, name_zh: 意见, kind: text}
    follow_ups:
      - {code: outcome, name_zh: 妊娠结局随访, after_days: 300}
"""
    with translation.override("en"), pytest.raises(CatalogueError) as refused:
        _one(tmp_path, spec)
    assert "follow-up consent" in str(refused.value)


def test_mistakes_name_the_service_and_item(tmp_path):
    with translation.override("en"), pytest.raises(CatalogueError) as refused:
        _one(tmp_path, """  - code: X1
    name_zh: 测试
    items:
      - {code: level, name_zh: 等级, kind: choice}
""")
    assert "service X1" in str(refused.value) and "level" in str(refused.value)
