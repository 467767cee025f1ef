"""The indicator catalogue: the shipped YAML, its checks, and an indicator added as data."""

from __future__ import annotations

import copy

import pytest
import yaml
from django.utils import translation

from renkou.analytics import services
from renkou.analytics.catalogue import (
    DEFAULT_PATH,
    CatalogueError,
    EventMeasure,
    PopulationMeasure,
    load_catalogue,
    parse_catalogue,
)

from .test_engine import COUNTY, EAST, build_hand_county, row

DESIGN_CODES = {"CBR", "CDR", "RNI", "GFR", "ASFR", "TFR", "SRB", "ORD_1", "ORD_2", "ORD_3", "MAC",
                "e0", "OLD65", "DEP", "MIG_in", "MIG_out", "POP", "BIRTHS", "DEATHS", "MOVES_IN",
                "MOVES_OUT", "MARRIAGES", "DIVORCES"}


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English (the Chinese catalogue translates them)."""
    with translation.override("en"):
        yield


def shipped() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_the_shipped_catalogue_holds_every_design_indicator():
    indicators = {i.code: i for i in load_catalogue(DEFAULT_PATH)}
    assert DESIGN_CODES <= set(indicators)
    cbr = indicators["CBR"]
    assert (cbr.name_zh, cbr.unit, cbr.multiplier, cbr.interval) == ("出生率", "‰", 1000.0, "poisson")
    assert cbr.numerator == EventMeasure(types=("birth",))
    assert cbr.denominator == PopulationMeasure(kind="mid_period")
    assert indicators["RNI"].references() == ("CBR", "CDR")
    assert indicators["TFR"].unit == "per_woman"
    assert indicators["SRB"].small_number == 1000 and indicators["SRB"].interval == "srb"
    assert ("birth_order",) in indicators["SRB"].disaggregations
    assert ("sex", "age_group") in indicators["POP"].disaggregations
    assert indicators["ASFR"].age_groups() == ("15-19", "20-24", "25-29", "30-34", "35-39",
                                               "40-44", "45-49")
    assert indicators["e0"].method == "life_table"
    for ind in indicators.values():
        assert ind.name_en and ind.name_zh


def _with(entry_changes: dict, code: str = "CBR", drop: tuple[str, ...] = ()) -> dict:
    data = copy.deepcopy(shipped())
    entry = next(e for e in data["indicators"] if e["code"] == code)
    entry.update(entry_changes)
    for key in drop:
        entry.pop(key, None)
    return data


@pytest.mark.parametrize(("changes", "drop", "field", "words"), [
    ({"unit": "percent"}, (), "unit", "must be one of"),
    ({"interval": "bootstrap"}, (), "interval", "must be one of"),
    ({"colour": "red"}, (), "colour", "unknown field"),
    ({"numerator": {"events": {"type": "baptism"}}}, (), "numerator.type", "must be one of"),
    ({"denominator": {"population": {"kind": "average"}}}, (), "denominator.kind", "must be one of"),
    ({"denominator": {"population": {"kind": "end", "age": [15, 47]}}}, (), "denominator.age",
     "age groups"),
    ({"numerator": {"events": {"type": "death", "birth_order": 2}}}, (), "numerator.birth_order",
     "only for births"),
    ({"disaggregations": ["religion"]}, (), "disaggregations", "sex, age_group"),
    ({"disaggregations": ["birth_order"]}, (), "disaggregations", "birth order"),
    ({"multiplier": -5}, (), "multiplier", "positive"),
    ({"small_number": 2.5}, (), "small_number", "whole number"),
    ({}, ("numerator",), "numerator", "required"),
    ({}, ("name_zh",), "name_zh", "required"),
])
def test_a_mistake_names_the_entry_and_the_field(changes, drop, field, words):
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(_with(changes, drop=drop))
    message = str(caught.value)
    assert "(CBR)" in message and f"'{field}'" in message and words in message
    number = next(n for n, e in enumerate(shipped()["indicators"], 1) if e["code"] == "CBR")
    assert f"#{number}" in message


def test_formula_mistakes():
    with pytest.raises(CatalogueError, match=r"\(RNI\), field 'formula': no indicator has the code CBX"):
        parse_catalogue(_with({"formula": "CBX - CDR"}, code="RNI"))
    with pytest.raises(CatalogueError, match=r"\(RNI\), field 'formula'.*not a valid expression"):
        parse_catalogue(_with({"formula": "CBR - * CDR"}, code="RNI"))
    data = _with({"formula": "RNI + 1", "method": "formula"}, code="CBR",
                 drop=("numerator", "denominator", "multiplier", "interval", "small_number"))
    with pytest.raises(CatalogueError, match="in a circle"):
        parse_catalogue(data)
    with pytest.raises(CatalogueError, match=r"\(RNI\), field 'disaggregations'"):
        parse_catalogue(_with({"disaggregations": ["sex"]}, code="RNI"))


def test_duplicate_code_and_broken_yaml(tmp_path):
    data = shipped()
    data["indicators"].append(copy.deepcopy(data["indicators"][0]))
    with pytest.raises(CatalogueError, match="already used by entry #1"):
        parse_catalogue(data)
    bad = tmp_path / "bad.yaml"
    bad.write_text("indicators: [\n  - code: X\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(bad)
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "missing.yaml")


@pytest.mark.django_db
def test_an_office_adds_an_indicator_by_editing_the_yaml(tmp_path, settings):
    """A new entry in a copy of the catalogue is computed without any code change."""
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "analytics"
    data = shipped()
    data["indicators"] += [
        {"code": "BIRTHS_BOYS", "name_zh": "男婴出生数", "name_en": "male live births",
         "unit": "persons", "numerator": {"events": {"type": "birth", "sex": "M"}},
         "interval": "poisson", "disaggregations": ["urban_rural"]},
        {"code": "YOUNG", "name_zh": "少儿人口比重", "name_en": "share of children under 15",
         "unit": "%", "numerator": {"population": {"kind": "end", "age": [0, 14]}},
         "denominator": {"population": {"kind": "end"}}, "multiplier": 100,
         "interval": "wilson", "small_number": 20},
        {"code": "BIRTH_SURPLUS", "name_zh": "出生死亡差", "name_en": "births minus deaths",
         "unit": "persons", "formula": "BIRTHS - DEATHS"},
    ]
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings.RENKOU_INDICATOR_CATALOGUE = str(path)
    assert "BIRTHS_BOYS" in {i.code for i in services.catalogue()}

    build_hand_county()
    services.refresh()
    assert row("BIRTHS_BOYS", "2023", COUNTY).value == 2  # b1 and b3
    assert row("BIRTHS_BOYS", "2023", EAST).value == 1
    assert row("BIRTHS_BOYS", "2023", COUNTY, urban_rural="urban").value == 1  # b3
    young = row("YOUNG", "2023", COUNTY)  # b1, b2, b3 of 12 residents
    assert (young.numerator, young.denominator) == (3, 12)
    assert young.value == pytest.approx(25.0)
    assert row("BIRTH_SURPLUS", "2024", COUNTY).value == 0  # b4 − old1
    assert row("BIRTH_SURPLUS", "2023", COUNTY).value == 3
