"""The person upload page (issue 13, item 1 and 2): a clerk downloads the template,
fills it in Chinese, uploads it, sees the problems and her file with them marked,
corrects it and imports it; every import takes Chinese headers and values."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from renkou.accounts.roles import Role
from renkou.core.models import AuditAction, AuditEntry
from renkou.register.exporting import export_persons
from renkou.register.importing import import_persons
from renkou.register.models import Person
from renkou.testing.factories import make_id_number

pytestmark = pytest.mark.django_db


def _template(client) -> bytes:
    response = client.get("/persons/import/template.xlsx")
    return b"".join(response.streaming_content)


def _fill(template: bytes, rows: list[list[str]]) -> io.BytesIO:
    book = load_workbook(io.BytesIO(template))
    sheet = book["人员信息"]
    for number, row in enumerate(rows, start=2):  # over the example row, as a clerk types
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "东村新登记.xlsx"
    return out


def test_the_template_has_chinese_headers_drop_down_lists_and_the_users_units(
        client, small_register, role_users):
    client.force_login(role_users[Role.VILLAGE_CLERK])
    book = load_workbook(io.BytesIO(_template(client)))
    assert book.sheetnames == ["人员信息", "代码表", "单位代码", "填写说明"]
    sheet = book["人员信息"]
    assert [c.value for c in sheet[1]][:5] == ["姓名", "性别", "出生日期", "公民身份号码", "区划代码"]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["B2:B1001"].startswith("=代码表!$A$2")  # 性别 from the list of values
    assert book["代码表"]["A2"].value == "男" and sheet["D2"].number_format == "@"
    assert sheet["A2"].value == "张三" and sheet.max_row == 1001  # the example, in row 2
    assert [r[0].value for r in book["单位代码"].iter_rows(min_row=2)] == [
        small_register.village.code]  # the clerk's own village only


def test_a_clerk_uploads_a_chinese_file_fixes_the_marked_row_and_imports_it(
        client, small_register, role_users):
    clerk = role_users[Role.VILLAGE_CLERK]
    client.force_login(clerk)
    village = small_register.village.code
    good = ["王小红", "女", "2001-05-06", make_id_number(dt.date(2001, 5, 6), "F", seq=55), village,
            "0010001", "子女", "农业户口", "未婚", "汉族", "高中（中专）", "2024-01-02"]
    bad = ["李四", "男", "2001-13-40", "", village, "0010001", "子女", "农业", "未婚", "回族", "", ""]
    template = _template(client)
    response = client.post("/persons/import/", {"file": _fill(template, [good, bad])})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    page = preview.content.decode()
    assert "出生日期" in page and "→ 姓名" in page
    assert preview.context["preview"].problems[0][:2] == (3, "出生日期")
    assert not Person.objects.filter(name="王小红").exists()
    marked = client.get(response["Location"] + "marked.xlsx")
    book = load_workbook(io.BytesIO(b"".join(marked.streaming_content)))
    cell = book.active["C3"]  # 李四's birth date
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and cell.comment is not None
    assert book[book.sheetnames[1]]["B2"].value == "出生日期"  # the header as written

    bad[2] = "2001-12-30"
    response = client.post("/persons/import/", {"file": _fill(template, [good, bad])})
    preview = client.get(response["Location"])
    assert preview.context["preview"].problem_count == 0 and preview.context["preview"].total_rows == 2
    done = client.post(response["Location"])
    assert done.status_code == 302
    red = Person.objects.get(name="王小红")
    assert (red.sex, red.hukou_type, red.marital_status, red.ethnicity, red.education,
            red.relationship) == ("F", "rural", "single", "01", "senior", "child")
    assert Person.objects.get(name="李四").ethnicity == "03"
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT, object_type="persons",
                                     username=clerk.username).exists()


def test_a_chinese_export_imports_back_unchanged(small_register, tmp_path):
    export_persons(tmp_path / "zh.xlsx", labels="zh")
    header = [c.value for c in load_workbook(tmp_path / "zh.xlsx").active[1]]
    assert header[:5] == ["人员编号", "公民身份号码", "姓名", "性别", "出生日期"]
    values = [c.value for c in load_workbook(tmp_path / "zh.xlsx").active[2]]
    assert "男" in values and "农业户口" in values
    # the Chinese form is read as the machine form: the same persons are recognised as
    # already there (each person id is refused as taken, none for its values)
    from renkou.core.tables import ImportRejected

    with pytest.raises(ImportRejected) as caught:
        import_persons(tmp_path / "zh.xlsx")
    assert {e.field for e in caught.value.errors} <= {"person_id", "id_number"}
