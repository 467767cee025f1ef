"""Statistics exports: Excel, PDF with an embedded Chinese font, DHIS2 dataValueSets, the
download views and ``renkou stats export`` — on the hand-made indicators of test_views."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from renkou.analytics import dhis2, exports
from renkou.core import pdf
from renkou.core.models import AuditAction, AuditEntry

from .test_views import COUNTY, T1, T2, V1A, in_english, stats_world  # noqa: F401 (fixtures)


@pytest.fixture
def world(stats_world):  # noqa: F811 (the fixture of test_views)
    return stats_world


def _exports() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="statistics"))


# --------------------------------------------------------------------------- DHIS2

@pytest.mark.parametrize(("label", "start", "expected"), [
    ("2024", None, "2024"), ("2024Q3", None, "2024Q3"), ("2024H1", None, "2024S1"),
    ("2024H2", None, "2024S2"), ("2024-05", None, "202405"), ("2024-12", None, "202412"),
    ("SY2024", dt.date(2023, 10, 1), "2023Oct"), ("SY2024", None, "2023Oct"),
])
def test_dhis2_period_ids(label, start, expected):
    assert dhis2.dhis2_period(label, start) == expected


def test_dhis2_data_value_set_shape(world):
    document = dhis2.data_value_set(T1, "2024")
    assert set(document) == {"dataValues"}
    values = document["dataValues"]
    assert {v["orgUnit"] for v in values} == {T1, "340621100201", "340621100202"}  # its subtree
    for v in values:
        assert set(v) >= {"dataElement", "period", "orgUnit", "value"}
        assert isinstance(v["value"], str) and v["period"] == "2024"
    pop = next(v for v in values if v["orgUnit"] == T1 and v["dataElement"] == "RK_POP")
    assert pop["value"] == "6000" and "categoryOptionCombo" not in pop  # a total: the default
    srb = next(v for v in values if v["orgUnit"] == T1 and v["dataElement"] == "RK_SRB")
    assert srb["value"] == "133.3" and srb["comment"].startswith("small_number; 95% CI 83")


def test_dhis2_disaggregations_and_missing_left_out(world):
    values = dhis2.data_value_set(COUNTY, "2024")["dataValues"]
    county = [v for v in values if v["orgUnit"] == COUNTY]
    combos = {(v["dataElement"], v.get("categoryOptionCombo")) for v in county}
    assert ("RK_POP_SEX_AGE", "RK_CC_SEX_AGE_M_0-4") in combos
    assert ("RK_SRB_ORD", "RK_CC_ORD_2") in combos
    assert not any(v["dataElement"] == "RK_DIVORCES" for v in county)  # missing: no value
    months = dhis2.data_value_set(COUNTY, "2024-05")["dataValues"]
    assert months == [{"dataElement": "RK_BIRTHS", "period": "202405", "orgUnit": COUNTY,
                       "value": "10"}]


# --------------------------------------------------------------------------- Excel, PDF

def test_excel_opens_and_has_the_numbers(world):
    buffer = io.BytesIO()
    n = exports.export_statistics(COUNTY, "2024", "xlsx", buffer)
    assert n > 0
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    assert len(book.sheetnames) == 7  # six tables and the numerators and denominators
    change = book[book.sheetnames[1]]
    rows = {r[0]: r[1:] for r in change.iter_rows(min_row=4, values_only=True) if r[0]}
    cbr = next(v for k, v in rows.items() if k.startswith(("Crude birth rate", "出生率")))
    assert cbr[0] == 12.06 and cbr[1] == 13.2 and cbr[2] == pytest.approx(-1.14)
    births = next(v for k, v in rows.items() if k.startswith(("Births", "出生")))
    assert births[:3] == (120, 131, -11)  # numbers, not text
    tfr_sheet = book[book.sheetnames[3]]
    tfr = next(r for r in tfr_sheet.iter_rows(min_row=4, values_only=True)
               if r[0] and r[0].startswith(("Total fertility", "总和生育率")))
    assert tfr[1:] == (1.35, "—", "—")  # missing stays missing
    detail = book[book.sheetnames[-1]]
    header = [c.value for c in detail[1]]
    assert len(header) == 16  # and the places of migrant figures, the service of service figures
    assert any(r[1] == "CBR" and r[8] == 120 and r[9] == 9950
               for r in detail.iter_rows(min_row=2, values_only=True))


def test_excel_headers_in_chinese(world):
    buffer = io.BytesIO()
    with translation.override("zh-hans"):
        exports.export_statistics(COUNTY, "2024", "xlsx", buffer)
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    headers = [c.value for c in book[book.sheetnames[1]][3]]
    assert headers[0] == "指标" and "本期" in headers


def test_pdf_starts_with_pdf_and_embeds_the_chinese_font(world):
    try:
        pdf.find_cjk_font()
    except pdf.CJKFontMissing:
        pytest.skip("fonts-wqy-microhei is not installed")
    buffer = io.BytesIO()
    exports.export_statistics(COUNTY, "2024", "pdf", buffer)
    data = buffer.getvalue()
    assert data.startswith(b"%PDF")
    assert b"WenQuanYiMicroHei" in data  # the embedded (subset) font's name
    assert b"/FontFile2" in data  # a TrueType font program is embedded, not just named


def test_missing_font_fails_with_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "CJK_FONT_PATHS", (str(tmp_path / "none.ttc"),))
    monkeypatch.delenv("RENKOU_PDF_FONT", raising=False)
    with pytest.raises(pdf.CJKFontMissing, match="fonts-wqy-microhei"):
        pdf.find_cjk_font()


# --------------------------------------------------------------------------- downloads

@pytest.mark.parametrize(("fmt", "content_type", "magic"), [
    ("xlsx", "spreadsheetml", b"PK"), ("pdf", "application/pdf", b"%PDF"),
    ("dhis2", "application/json", b"{"),
])
def test_download_views_are_logged(client, world, fmt, content_type, magic):
    if fmt == "pdf":
        try:
            pdf.find_cjk_font()
        except pdf.CJKFontMissing:
            pytest.skip("fonts-wqy-microhei is not installed")
    client.force_login(world.users["stat_t1"])
    response = client.get(reverse("analytics:download", args=[fmt]),
                          {"org": T1, "period": "2024"})
    assert response.status_code == 200
    assert content_type in response["Content-Type"]
    assert response.content.startswith(magic)
    assert f"statistics-{T1}-2024" in response["Content-Disposition"]
    entries = _exports()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.username == "stat_t1" and entry.object_id == T1
    assert entry.details["period"] == "2024" and entry.details["format"] == fmt
    assert entry.details["rows"] > 0


def test_download_outside_scope_is_not_found_and_not_logged(client, world):
    client.force_login(world.users["stat_t1"])
    response = client.get(reverse("analytics:download", args=["dhis2"]),
                          {"org": T2, "period": "2024"})
    assert response.status_code == 404 and _exports() == []
    response = client.get(reverse("analytics:download", args=["csv"]),
                          {"org": T1, "period": "2024"})
    assert response.status_code == 404


def test_dhis2_download_is_the_document(client, world):
    client.force_login(world.users["clerk_v1a"])
    response = client.get(reverse("analytics:download", args=["dhis2"]), {"period": "2024"})
    document = json.loads(response.content)
    assert {v["orgUnit"] for v in document["dataValues"]} == {V1A}


# --------------------------------------------------------------------------- CLI

def test_cli_export_writes_and_logs(world, tmp_path):
    out = tmp_path / "t1.json"
    call_command("stats", "export", "--period", "2024", "--org", T1, "--format", "dhis2",
                 "--out", str(out), "--user", "stat_t1", stdout=io.StringIO())
    assert json.loads(out.read_text(encoding="utf-8"))["dataValues"]
    entry = _exports()[0]
    assert entry.channel == "cli" and entry.username == "stat_t1"

    xlsx = tmp_path / "county.xlsx"
    call_command("stats", "export", "--period", "2024", "--org", COUNTY, "--out", str(xlsx),
                 stdout=io.StringIO())
    assert load_workbook(xlsx).sheetnames


def test_cli_refuses_out_of_scope_and_unknown_period(world, tmp_path):
    with pytest.raises(CommandError):
        call_command("stats", "export", "--period", "2024", "--org", T2, "--format", "dhis2",
                     "--out", str(tmp_path / "x.json"), "--user", "stat_t1")
    with pytest.raises(CommandError, match="2024"):
        call_command("stats", "export", "--period", "1999", "--org", T1, "--format", "dhis2",
                     "--out", str(tmp_path / "x.json"))
    assert _exports() == []


# --------------------------------------------------------------------------- DHIS2 shapes
# The shapes a stock DHIS2 (2.38–2.41) accepts on POST /api/metadata and
# POST /api/dataValueSets?idScheme=CODE: the required fields of each object type, UIDs of
# 11 letters and digits starting with a letter, short names of at most 50 characters
# unique per type, references that resolve, one category combo per data element.

UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
REQUIRED = {
    "categoryOptions": {"id", "code", "name", "shortName"},
    "categories": {"id", "code", "name", "shortName", "dataDimensionType", "categoryOptions"},
    "categoryCombos": {"id", "code", "name", "dataDimensionType", "categories"},
    "categoryOptionCombos": {"id", "code", "name", "categoryCombo", "categoryOptions"},
    "dataElements": {"id", "code", "name", "shortName", "domainType", "valueType",
                     "aggregationType", "categoryCombo", "zeroIsSignificant"},
}


def _check_metadata(package: dict) -> dict[str, dict]:
    assert set(package) == set(REQUIRED)
    ids: dict[str, dict] = {}
    for kind, required in REQUIRED.items():
        assert package[kind], kind
        for obj in package[kind]:
            assert required <= set(obj), (kind, obj.get("code"))
            assert UID.match(obj["id"]) and obj["id"] not in ids, obj
            assert len(obj.get("shortName", "")) <= 50 and len(obj["code"]) <= 50
            ids[obj["id"]] = obj
        for field in ("name", "shortName", "code"):
            values = [o[field] for o in package[kind] if field in o]
            assert len(values) == len(set(values)), (kind, field)
    by_kind = {kind: {o["id"] for o in package[kind]} for kind in REQUIRED}
    for c in package["categories"]:
        assert {r["id"] for r in c["categoryOptions"]} <= by_kind["categoryOptions"]
    for cc in package["categoryCombos"]:
        assert {r["id"] for r in cc["categories"]} <= by_kind["categories"]
    for coc in package["categoryOptionCombos"]:
        assert coc["categoryCombo"]["id"] in by_kind["categoryCombos"]
        combo = ids[coc["categoryCombo"]["id"]]
        assert len(coc["categoryOptions"]) == len(combo["categories"])
    for de in package["dataElements"]:
        assert de["domainType"] == "AGGREGATE" and de["zeroIsSignificant"] is True
        assert de["valueType"] in ("NUMBER", "INTEGER_ZERO_OR_POSITIVE")
        assert de["categoryCombo"]["id"] in by_kind["categoryCombos"] | {dhis2.DEFAULT_COMBO_ID}
    return {o["code"]: o for kind in REQUIRED for o in package[kind]}


def test_dhis2_metadata_package_has_the_shapes_dhis2_imports(tmp_path):
    out = tmp_path / "renkou-metadata.json"
    call_command("stats", "export", "--format", "dhis2-metadata", "--out", str(out),
                 stdout=io.StringIO())
    package = json.loads(out.read_text(encoding="utf-8"))
    by_code = _check_metadata(package)
    assert by_code["RK_POP_SEX_AGE"]["categoryCombo"]["id"] == dhis2.uid("RK_CC_SEX_AGE")
    assert by_code["RK_POP"]["categoryCombo"]["id"] == dhis2.DEFAULT_COMBO_ID
    assert json.loads(out.read_text(encoding="utf-8")) == dhis2.metadata_package()  # stable


def test_dhis2_values_reference_the_package_by_code_without_totals_beside_breakdowns(world):
    by_code = _check_metadata(dhis2.metadata_package())
    combo_of = {o["code"]: o["categoryCombo"]["id"] for o in by_code.values()
                if "categoryCombo" in o and o["code"].startswith("RK_CC_")}
    values = dhis2.data_value_set(COUNTY, "2024")["dataValues"]
    assert values
    for v in values:
        element = by_code[v["dataElement"]]
        assert set(v) <= {"dataElement", "period", "orgUnit", "categoryOptionCombo", "value",
                          "comment"}
        if element["categoryCombo"]["id"] == dhis2.DEFAULT_COMBO_ID:
            assert "categoryOptionCombo" not in v
        else:  # a breakdown: only its own option combos, never a total beside them
            assert combo_of[v["categoryOptionCombo"]] == element["categoryCombo"]["id"], v
    zeros = dhis2.data_value_set(COUNTY, "2023")["dataValues"]
    assert {"dataElement": "RK_MARRIAGES", "period": "2023", "orgUnit": COUNTY,
            "value": "0"} in zeros  # a zero is a figure: sent, and significant
