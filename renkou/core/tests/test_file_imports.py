"""Imports from a file in the browser (issue 13 item 1): the one flow every import
shares — title rows over the header (WPS), old .xls workbooks, GBK CSV, the preview,
the marked copy — and each app's import through it: org units, walk-in lists and
office rules (persons: renkou/register/tests; the background job: test_jobs.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from renkou.accounts.roles import Role
from renkou.benefits.models import Application
from renkou.core.models import AuditEntry
from renkou.core.tables import read_table
from renkou.orgunits.models import OrgUnit
from renkou.quality.models import OfficeRule
from renkou.register.models import Person
from renkou.testing.factories import make_user, write_xlsx

FILES = Path(__file__).parent / "files"


def _wps_workbook(path, rows, title="东村人员信息登记表"):
    """A sheet as WPS or Excel makes one: a merged title, a line of 填报单位, the header."""
    book = Workbook()
    sheet = book.active
    sheet["A1"] = title
    sheet.merge_cells("A1:F1")
    sheet["A2"], sheet["D2"] = "填报单位：东村", "填报日期：2026-11-20"
    sheet.append(["姓名", "性别", "出生日期", "区划代码", "户口性质", "户号"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_the_header_is_found_under_merged_title_rows_and_rows_keep_their_numbers(tmp_path, db):
    path = _wps_workbook(tmp_path / "wps.xlsx", [["刘一", "男", "1970-03-04", "110101001201",
                                                  "农业户口", "0010001"]])
    header, rows = read_table(path)
    assert header == ["姓名", "性别", "出生日期", "区划代码", "户口性质", "户号"]
    assert header.row == 3
    assert header.above[0][0] == "东村人员信息登记表"
    assert list(rows) == [["刘一", "男", "1970-03-04", "110101001201", "农业户口", "0010001"]]


def test_an_old_xls_workbook_from_wps_is_read_with_its_dates(db):
    # made once with xlwt: a merged title, a 填报单位 line, then the header in row 3
    header, rows = read_table(FILES / "wps_title_rows.xls")
    assert header.row == 3
    assert list(rows)[0] == ["刘一", "男", "1970-03-04", "110101001201", "农业户口", "0010001"]


def test_a_person_file_with_title_rows_is_refused_at_the_row_the_clerk_sees(
        client, small_register, tmp_path):
    clerk = make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    client.force_login(clerk)
    path = _wps_workbook(tmp_path / "东村.xlsx", [
        ["刘一", "男", "1970-03-04", "110101001201", "农业户口", "0010001"],
        ["刘二", "女", "1972-13-06", "110101001201", "农业户口", "0010001"]])
    with open(path, "rb") as handle:
        answer = client.post("/persons/import/", {"file": handle})
    page = client.get(answer["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "column names found in row 3" in text or "第 3 行" in text
    problems = page.context["preview"].problems
    assert [(row, header) for row, header, _reason, _value in problems] == [(5, "出生日期")]
    marked = client.get(answer["Location"] + "marked.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(marked.streaming_content))).worksheets[0]
    assert sheet["A1"].value == "东村人员信息登记表"  # her title stays: row numbers agree
    assert sheet["C5"].value == "1972-13-06" and sheet["C5"].fill.fgColor.rgb.endswith("FFC7CE")
    assert Person.objects.filter(name="刘一").count() == 0


def test_the_xls_file_imports_through_the_page(client, small_register):
    clerk = make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    client.force_login(clerk)
    with open(FILES / "wps_title_rows.xls", "rb") as handle:
        answer = client.post("/persons/import/", {"file": handle})
    preview = client.get(answer["Location"]).context["preview"]
    assert preview.problem_count == 0 and preview.total_rows == 3
    done = client.post(answer["Location"])
    assert done.status_code == 302
    assert sorted(Person.objects.filter(name__startswith="刘").values_list("name", flat=True)) == [
        "刘一", "刘三", "刘二"]
    entry = AuditEntry.objects.filter(action="import", object_type="persons").latest("pk")
    assert entry.details["file"] == "wps_title_rows.xls" and entry.username == "clerk"


# ------------------------------------------------------------------------ org units


def _org_file(path, rows, header=("区划代码", "名称", "类型", "上级区划代码", "城乡分类")):
    text = ",".join(header) + "\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    path.write_bytes(text.encode("gbk"))  # saved as CSV by Excel on a Chinese Windows
    return path


def test_a_county_officer_adds_villages_from_a_gbk_csv_with_chinese_values(
        client, small_register, tmp_path):
    officer = make_user("county", Role.COUNTY_OFFICER, small_register.county)
    client.force_login(officer)
    path = _org_file(tmp_path / "新村.csv", [["110101001202", "西村", "村", "110101001000", "乡村"],
                                            ["110101001203", "北村", "村", "110101001000", "乡村"]])
    with open(path, "rb") as handle:
        answer = client.post("/org/import/", {"file": handle})
    preview = client.get(answer["Location"]).context["preview"]
    assert preview.problem_count == 0, preview.problems
    assert ("区划代码", "区划代码") in preview.columns
    client.post(answer["Location"])
    west = OrgUnit.objects.get(code="110101001202")
    assert (west.name, west.kind, west.parent.code, west.urban_rural) == (
        "西村", "village", "110101001000", "rural")
    assert AuditEntry.objects.filter(action="import", object_type="orgunits",
                                     username="county").exists()


def test_a_unit_outside_ones_own_subtree_is_refused_and_nothing_is_written(
        small_register, tmp_path):
    from renkou.orgunits.excel import validate_orgunits

    town_officer = make_user("town", Role.TOWNSHIP_OFFICER, small_register.town)
    path = _org_file(tmp_path / "x.csv", [["110101001204", "南村", "村", "110101001000", "乡村"],
                                          ["110101002002", "东门社区", "社区", "110101002000",
                                           "城镇"]])
    _rows, errors = validate_orgunits(path, user=town_officer)
    assert [(e.row, e.field) for e in errors] == [(3, "code")]
    assert errors[0].reason == "该单位不在您管辖的范围内"


def test_only_a_county_officer_may_open_the_org_unit_import(client, role_users):
    for role, status in ((Role.COUNTY_OFFICER, 200), (Role.TOWNSHIP_OFFICER, 403),
                         (Role.VILLAGE_CLERK, 403), (Role.STATISTICIAN, 403)):
        client.force_login(role_users[role])
        assert client.get("/org/import/").status_code == status, role


def test_the_org_unit_template_has_chinese_headers_and_lists(client, small_register):
    client.force_login(make_user("county", Role.COUNTY_OFFICER, small_register.county))
    answer = client.get("/org/import/template.xlsx")
    book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    assert [c.value for c in book["区划"][1]] == ["区划代码", "名称", "类型", "上级区划代码", "城乡分类"]
    assert book["区划"].data_validations.dataValidation  # 类型 and 城乡分类 drop-downs
    assert "和平镇" in [row[1] for row in book["现有单位"].iter_rows(values_only=True)]


# ------------------------------------------------------------------------ walk-ins


def _benefit_programme_and_person(small_register):
    from renkou.benefits.programmes import programmes

    code, prog = next(iter(programmes().items()))
    return code, prog, small_register


def test_a_walk_in_list_with_one_bad_row_opens_nothing_and_names_the_row(client, small_register,
                                                                          tmp_path):
    officer = make_user("county", Role.COUNTY_OFFICER, small_register.county)
    client.force_login(officer)
    code, prog, reg = _benefit_programme_and_person(small_register)
    path = write_xlsx(tmp_path / "来访.xlsx", ["公民身份号码", "姓名", "项目", "年度"], [
        [reg.zxm.id_number, reg.zxm.name, prog.name, "2026"],
        ["110101199001011234", "无名", prog.name, "2026"]])
    with open(path, "rb") as handle:
        answer = client.post("/benefits/applications/walk-in/list/", {"file": handle})
    preview = client.get(answer["Location"]).context["preview"]
    assert (3, "公民身份号码") in [(row, header) for row, header, *_ in preview.problems]
    assert Application.objects.count() == 0  # the check rolled its trial back
    assert client.post(answer["Location"]).status_code == 200  # refused again, not imported
    assert Application.objects.count() == 0


# ------------------------------------------------------------------------ office rules


RULE = """rules:
  - code: OFFICE_OLD
    name: {zh: 年龄超过120岁, en: Older than 120}
    message: {zh: 年龄超过120岁, en: Older than 120}
    importance: low
    scope: person
    check: age <= 120
"""


def test_office_rules_are_added_from_a_yaml_file_in_the_browser(client, small_register, tmp_path):
    officer = make_user("county", Role.COUNTY_OFFICER, small_register.county)
    client.force_login(officer)
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULE.replace("age <= 120", "no_such_column <= 120"), encoding="utf-8")
    with open(bad, "rb") as handle:
        answer = client.post("/quality/rules/import/", {"file": handle})
    preview = client.get(answer["Location"]).context["preview"]
    assert preview.problem_count == 1 and not preview.readable
    assert OfficeRule.objects.count() == 0
    good = tmp_path / "good.yaml"
    good.write_text(RULE, encoding="utf-8")
    with open(good, "rb") as handle:
        answer = client.post("/quality/rules/import/", {"file": handle})
    assert client.get(answer["Location"]).context["preview"].problem_count == 0
    assert client.post(answer["Location"]).status_code == 302
    assert list(OfficeRule.objects.values_list("code", flat=True)) == ["OFFICE_OLD"]


@pytest.mark.parametrize("url", ["/persons/import/", "/org/import/", "/quality/rules/import/",
                                 "/benefits/applications/walk-in/list/"])
def test_every_upload_page_refuses_a_file_of_the_wrong_kind_with_a_reason(client, small_register,
                                                                          url):
    client.force_login(make_user("county", Role.COUNTY_OFFICER, small_register.county))
    answer = client.post(url, {"file": io.BytesIO(b"MZ\x90\x00")}, format="multipart")
    assert answer.status_code in (200, 400)
    files = {"file": _named(b"MZ\x90\x00", "virus.exe")}
    answer = client.post(url, files)
    assert answer.status_code == 200
    assert answer.context["form"].errors["file"]


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
