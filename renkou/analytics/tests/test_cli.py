"""``renkou analytics refresh`` and ``renkou indicators`` on the hand-built county."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from renkou.analytics import periods, store
from renkou.analytics.schema import ROW_FIELDS

from .test_engine import COUNTY, EAST, NORTH, TOWN, WEST, build_hand_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(tmp_path, settings):
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "analytics"
    build_hand_county()
    out, err = io.StringIO(), io.StringIO()
    call_command("analytics", "refresh", "--lang", "en", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def indicators(*args: str) -> str:
    out = io.StringIO()
    call_command("indicators", *args, "--lang", "en", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_refresh_reports_counts_and_writes_the_file(refreshed, tmp_path):
    out, err = refreshed
    assert "snapshot of 13 persons" in out and "indicator values" in out
    assert store.indicators_path().exists()
    snapshot = tmp_path / "analytics" / "snapshot"
    assert list((snapshot / "events").glob("county=340000/*.parquet"))
    assert list((snapshot / "persons").glob("county=340000/*.parquet"))
    assert list((snapshot / "org_units").glob("county=340000/*.parquet"))


def test_json_rows_for_a_unit(refreshed):
    rows = json.loads(indicators("--period", "2023", "--org", COUNTY))
    assert all(tuple(r) == ROW_FIELDS for r in rows)
    by_code = {r["indicator"]: r for r in rows}
    assert len(by_code) == len(rows)  # totals only
    cbr = by_code["CBR"]
    assert (cbr["org_code"], cbr["org_name"], cbr["period"]) == (COUNTY, "示范县", "2023")
    assert (cbr["numerator"], cbr["denominator"]) == (3, 10.5)
    assert cbr["value"] == pytest.approx(3 / 10.5 * 1000)
    assert cbr["flag"] == "small_number"
    # missing (an age group has no women), and resting on fewer than 20 births
    assert by_code["TFR"]["value"] is None and by_code["TFR"]["flag"] == "small_number,missing"
    assert by_code["POP"]["value"] == 12


def test_level_and_statistical_year(refreshed):
    rows = json.loads(indicators("--period", "SY2024", "--org", TOWN, "--level", "3",
                                 "--indicator", "BIRTHS"))
    assert [(r["org_code"], r["value"]) for r in rows] == [(EAST, 1), (WEST, 1), (NORTH, 0)]
    rows = json.loads(indicators("--period", "sy2023", "--level", "1", "--indicator", "BIRTHS"))
    assert [(r["org_code"], r["period"], r["value"]) for r in rows] == [(COUNTY, "SY2023", 1)]
    rows = json.loads(indicators("--period", "2024-2", "--level", "2", "--indicator", "POP"))
    assert [r["value"] for r in rows] == [4, 9]  # 城关街道 (001) sorts before 和平镇 (101)
    for word in ("township", "乡镇", "街道"):  # a level by name, as users say it
        named = json.loads(indicators("--period", "2024-2", "--level", word, "--indicator", "POP"))
        assert named == rows


def test_disaggregated_rows(refreshed):
    rows = json.loads(indicators("--period", "2023", "--org", COUNTY, "--indicator", "POP",
                                 "--disaggregated"))
    pyramid = {(r["sex"], r["age_group"]): r["value"] for r in rows
               if r["sex"] and r["age_group"]}
    assert len(pyramid) == 36 and pyramid[("M", "0-4")] == 2 and pyramid[("F", "0-4")] == 1
    assert sum(pyramid.values()) == 12


def test_csv_and_xlsx(refreshed, tmp_path):
    text = indicators("--period", "2023Q4", "--org", COUNTY, "--format", "csv")
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == ROW_FIELDS
    births = next(r for r in table[1:] if r[3] == "BIRTHS")
    assert births[4] == "2.0"
    tfr = next(r for r in table[1:] if r[3] == "TFR")
    assert tfr[4] == "" and "missing" in tfr[9].split(",")  # missing is empty, never 0

    out = tmp_path / "ind.xlsx"
    call_command("indicators", "--period", "2023Q4", "--org", COUNTY, "--out", str(out),
                 stdout=io.StringIO(), stderr=io.StringIO())
    sheet = load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ROW_FIELDS
    assert next(r for r in values[1:] if r[3] == "BIRTHS")[4] == 2
    assert next(r for r in values[1:] if r[3] == "TFR")[4] is None

    out = tmp_path / "ind.csv"
    call_command("indicators", "--period", "2023Q4", "--org", COUNTY, "--out", str(out),
                 stdout=io.StringIO(), stderr=io.StringIO())
    assert out.read_text(encoding="utf-8-sig").startswith(",".join(ROW_FIELDS))


@pytest.mark.parametrize("period", ["2024Q5", "24", "2024-13", "SY", "2024h3", "last year"])
def test_a_bad_period_is_explained(refreshed, period):
    with pytest.raises(CommandError, match="write a year \\(2024\\), a quarter \\(2024Q3\\)"):
        indicators("--period", period)


def test_chinese_messages(refreshed):
    with pytest.raises(CommandError, match="无法识别期间"):
        call_command("indicators", "--period", "2024Q5", "--lang", "zh-hans", stdout=io.StringIO())


def test_unknown_unit_and_period_without_data(refreshed):
    with pytest.raises(CommandError, match="no org unit has the code 999"):
        indicators("--period", "2023", "--org", "999")
    with pytest.raises(CommandError, match="no indicators for the period 2019"):
        indicators("--period", "2019")


def test_before_any_refresh(tmp_path, settings):
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "empty"
    with pytest.raises(CommandError, match="renkou analytics refresh"):
        indicators("--period", "2024")


def test_parse_period():
    p = periods.parse_period("2024Q3")
    assert (p.label, p.kind, p.start, p.end) == ("2024Q3", "quarter", dt.date(2024, 7, 1),
                                                  dt.date(2024, 9, 30))
    assert periods.parse_period("2024H1").end == dt.date(2024, 6, 30)
    assert periods.parse_period("2024-02").end == dt.date(2024, 2, 29)
    assert periods.parse_period(" sy2024 ").start == dt.date(2023, 10, 1)
    assert periods.parse_period("2024").kind == "year"


def test_refresh_of_an_empty_register(tmp_path, settings):
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "analytics"
    call_command("analytics", "refresh", "--quiet", stdout=io.StringIO(), stderr=io.StringIO())
    assert store.indicators_path().exists()
    with pytest.raises(CommandError, match="no indicators for the period 2024"):
        indicators("--period", "2024")
