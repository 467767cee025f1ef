"""Batch import and export of persons and events (issue 2, item 8).

A rejected import is reported through ``call_command`` as a ``CommandError`` whose
``returncode`` is 1; on the command line that is exit status 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from stdnum.cn import ric

from renkou.core.append_only import maintenance
from renkou.orgunits.models import OrgUnit
from renkou.register.bench import ensure_org_tree, write_bench_file
from renkou.register.exporting import PERSON_COLUMNS, export_events, export_persons
from renkou.register.importing import ImportRejected, import_persons, validate_persons
from renkou.register.ledger import EventRecord, fold
from renkou.register.models import Household, LifeEvent, Person
from renkou.register.services import enrol_person, record_death, record_move_out

pytestmark = pytest.mark.django_db

VILLAGE = "341122102201"  # a village of the benchmark tree
OTHER_VILLAGE = "341122102202"
COMMUNITY = "341122001001"
HEADER = ["person_id", "id_number", "name", "sex", "birth_date", "org_code", "household_no",
          "hukou_type", "marital_status", "status", "mother_person_id", "father_person_id",
          "mother_id_number", "father_id_number", "source_ref", "enrolled_date"]


def idn(birth: str, sex: str, seq: int = 1) -> str:
    """A valid ID number of 来安县 for this birth date and sex."""
    day = dt.date.fromisoformat(birth)
    area = "341122" if day.year >= 1992 else "342322"
    n = 2 * seq - 1 if sex == "M" else 2 * seq
    body = f"{area}{day:%Y%m%d}{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def row(**kw: str) -> dict[str, str]:
    base = {"org_code": VILLAGE, "hukou_type": "rural", "enrolled_date": "2020-01-01"}
    base.update(kw)
    return base


def write_csv(path: Path, rows: list[dict], header: list[str] = HEADER, bom: bool = False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.DictWriter(f, header)
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def counts() -> tuple[int, int, int]:
    return Person.objects.count(), LifeEvent.objects.count(), Household.objects.count()


def family_rows() -> list[dict[str, str]]:
    """Parents linked by person id and by ID number, within the file."""
    return [
        row(person_id="501", id_number=idn("1980-03-05", "M"), name="张建国", sex="M",
            birth_date="1980-03-05", household_no="H0001", marital_status="married",
            source_ref="old-1"),
        row(person_id="502", id_number=idn("1982-07-09", "F"), name="李秀英", sex="F",
            birth_date="1982-07-09", household_no="H0001", marital_status="married",
            source_ref="old-2"),
        # mother by person id, father by ID number
        row(id_number=idn("2008-01-02", "F"), name="张雨涵", sex="F", birth_date="2008-01-02",
            household_no="H0001", mother_person_id="502",
            father_id_number=idn("1980-03-05", "M")),
        # no ID number (a newborn), mother by ID number
        row(name="张浩宇", sex="M", birth_date="2024-02-03", household_no="H0001",
            mother_id_number=idn("1982-07-09", "F"), father_person_id="501",
            enrolled_date="2024-03-01"),
        row(id_number=idn("1940-05-06", "M"), name="王德福", sex="M", birth_date="1940-05-06",
            household_no="H0002", status="dead", marital_status="widowed"),
        row(id_number=idn("1990-10-10", "F"), name="赵丽", sex="F", birth_date="1990-10-10",
            household_no="H0003", status="moved_out", org_code=COMMUNITY, hukou_type="urban"),
    ]


@pytest.fixture
def tree() -> None:
    ensure_org_tree()


def test_valid_file_is_written_with_ledger_and_exports_back(tree, tmp_path):
    path = write_csv(tmp_path / "in.csv", family_rows(), bom=True)
    summary = import_persons(path)
    assert (summary.persons, summary.households, summary.events) == (6, 3, 8)
    assert counts() == (6, 8, 3)

    dad, mum = Person.objects.get(pk=501), Person.objects.get(pk=502)
    girl = Person.objects.get(name="张雨涵")
    boy = Person.objects.get(name="张浩宇")
    assert (girl.mother_id, girl.father_id) == (502, 501)
    assert (boy.mother_id, boy.father_id) == (502, 501)
    assert boy.id_number is None
    assert girl.pk > 502  # ids are reserved above those in use
    assert (dad.name_pinyin, dad.name_initials) == ("zhangjianguo", "zjg")
    assert dad.source_ref == "old-1"
    assert dad.household == mum.household and dad.household.org.code == VILLAGE
    assert Person.objects.get(name="王德福").status == "dead"
    assert Person.objects.get(name="赵丽").registered_org.code == COMMUNITY

    enrol = LifeEvent.objects.get(person=boy, event_type="enrol")
    assert enrol.event_date == dt.date(2024, 3, 1)
    assert enrol.recorded_via == "import"
    assert enrol.payload["household_id"] == boy.household_id
    # The fold of every person's ledger equals the register row.
    for person in Person.objects.all():
        state = fold(EventRecord(e.pk, e.person_id, e.event_type, e.event_date, e.org_id,
                                 e.payload, e.supersedes_id) for e in person.events.all())
        for name, value in state.items():
            assert getattr(person, name) == value, (person.name, name)

    out = tmp_path / "out.csv"
    call_command("export", "persons", "--out", str(out), "--quiet")
    exported = read_csv(out)
    assert list(exported[0]) == list(PERSON_COLUMNS)
    by_name = {r["name"]: r for r in exported}
    assert by_name["张雨涵"]["mother_person_id"] == "502"
    assert by_name["张雨涵"]["org_code"] == VILLAGE
    assert by_name["张浩宇"]["id_number"] == ""
    assert by_name["王德福"]["status"] == "dead"
    assert by_name["赵丽"]["hukou_type"] == "urban"
    assert by_name["张建国"]["source_ref"] == "old-1"


def _wipe_register() -> None:
    # the ledger refuses DELETE (the ORM and the database's triggers): only a test empties it
    with maintenance(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM register_lifeevent")
    Person.objects.update(mother=None, father=None)
    Household.objects.update(head=None)
    Person.objects.all().delete()
    Household.objects.all().delete()


def test_round_trip_export_import_export(tree, tmp_path):
    import_persons(write_csv(tmp_path / "in.csv", family_rows()))
    first = tmp_path / "first.csv"
    export_persons(first)
    _wipe_register()
    assert counts() == (0, 0, 0)
    import_persons(first)
    second = tmp_path / "second.csv"
    export_persons(second)
    assert read_csv(first) == read_csv(second)


def test_xlsx_round_trip_with_date_cells(tree, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["name", "sex", "birth_date", "org_code", "hukou_type", "id_number",
                  "household_no", "mother_id_number"])
    sheet.append(["陈静", "F", dt.datetime(1985, 4, 3), VILLAGE, "rural",
                  idn("1985-04-03", "F"), "X1", None])
    sheet.append(["陈晨", "M", dt.date(2010, 9, 1), VILLAGE, "rural",
                  idn("2010-09-01", "M"), "X1", idn("1985-04-03", "F")])
    path = tmp_path / "in.xlsx"
    book.save(path)
    assert import_persons(path).persons == 2
    child = Person.objects.get(name="陈晨")
    assert child.birth_date == dt.date(2010, 9, 1)
    assert child.mother.name == "陈静"

    out = tmp_path / "out.xlsx"
    assert export_persons(out) == 2
    from openpyxl import load_workbook

    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert list(rows[0]) == list(PERSON_COLUMNS)
    assert {r[2] for r in rows[1:]} == {"陈静", "陈晨"}


def test_parents_already_in_the_register(tree, tmp_path):
    org = OrgUnit.objects.get(code=VILLAGE)
    mum = enrol_person(name="刘芳", sex="F", birth_date=dt.date(1970, 1, 1), org=org,
                       hukou_type="rural", id_number=idn("1970-01-01", "F"))
    dad = enrol_person(name="周强", sex="M", birth_date=dt.date(1968, 1, 1), org=org,
                       hukou_type="rural")
    path = write_csv(tmp_path / "in.csv", [
        row(name="周敏", sex="F", birth_date="1995-05-05", mother_id_number=idn("1970-01-01", "F"),
            father_person_id=str(dad.pk)),
    ])
    import_persons(path)
    child = Person.objects.get(name="周敏")
    assert (child.mother_id, child.father_id) == (mum.pk, dad.pk)


def test_bad_rows_reject_the_whole_file_and_change_nothing(tree, tmp_path):
    org = OrgUnit.objects.get(code=VILLAGE)
    enrol_person(name="已有", sex="M", birth_date=dt.date(1975, 1, 1), org=org,
                 hukou_type="rural", id_number=idn("1975-01-01", "M"))
    Household.objects.create(household_no="OTHER-ORG", org=OrgUnit.objects.get(code=COMMUNITY))
    before = counts()
    good = family_rows()
    bad = [
        row(name="甲", sex="X", birth_date="1990-01-01"),                          # row 8
        row(name="乙", sex="M", birth_date="1990-02-30"),                          # row 9
        row(name="丙", sex="M", birth_date="1990-01-01", org_code="999999999999"),  # row 10
        row(name="丁", sex="M", birth_date="1990-01-01",
            id_number=idn("1990-01-01", "M")[:-1] + "0"),                          # row 11
        row(name="戊", sex="F", birth_date="1990-01-01", id_number=idn("1990-01-01", "M")),
        row(name="己", sex="M", birth_date="1975-01-01", id_number=idn("1975-01-01", "M")),
        row(name="庚", sex="M", birth_date="2000-01-01", mother_person_id="501"),   # male mother
        row(name="辛", sex="M", birth_date="1990-01-01", mother_person_id="502"),   # mother 7
        row(name="壬", sex="M", birth_date="2000-01-01", father_person_id="999999"),
        row(name="癸", sex="M", birth_date="2000-01-01", id_number=good[0]["id_number"]),
        row(name="子", sex="M", birth_date="2000-01-01", household_no="OTHER-ORG"),
        row(name="", sex="M", birth_date="2000-01-01", hukou_type="city"),
        row(person_id="501", name="丑", sex="M", birth_date="2000-01-01"),
    ]
    path = write_csv(tmp_path / "bad.csv", good + bad)
    with pytest.raises(ImportRejected) as caught:
        import_persons(path)
    found = {(e.row, e.field) for e in caught.value.errors}
    expected = {
        (8, "sex"), (9, "birth_date"), (10, "org_code"), (11, "id_number"), (12, "id_number"),
        (13, "id_number"), (14, "mother_person_id"), (15, "mother_person_id"),
        (16, "father_person_id"), (17, "id_number"), (18, "household_no"), (19, "name"),
        (19, "hukou_type"), (20, "person_id"),
    }
    assert expected <= found, expected - found
    assert all(e.row >= 8 for e in caught.value.errors)  # the good rows have no problem
    assert counts() == before

    # The command: report on stdout and in a file, exit status 1, nothing written.
    report = tmp_path / "report.csv"
    out = []

    class Out:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    with pytest.raises(CommandError) as failed:
        call_command("import_data", "persons", str(path), "--report", str(report), "--lang",
                     "en", "--quiet", stdout=Out())
    assert failed.value.returncode == 1
    text = "".join(out)
    assert "row 8, sex: the sex must be M or F" in text
    assert "row 15, mother_person_id: the mother was 7 at the birth, younger than 12" in text
    assert len(read_csv(report)) == len(caught.value.errors)
    assert counts() == before


def test_missing_columns_and_empty_optional_columns(tree, tmp_path):
    path = write_csv(tmp_path / "cols.csv", [{"name": "甲"}], header=["name", "sex"])
    plan = validate_persons(path)
    assert {(e.row, e.field) for e in plan.errors} == {
        (1, "birth_date"), (1, "org_code"), (1, "hukou_type")}


def test_as_of_export_reconstructs_the_register(tree, tmp_path):
    path = write_csv(tmp_path / "in.csv", [
        row(name="甲", sex="M", birth_date="1950-01-01", household_no="A1"),
        row(name="乙", sex="F", birth_date="1960-01-01", household_no="A1"),
        row(name="丙", sex="F", birth_date="1970-01-01", household_no="A2",
            org_code=COMMUNITY, hukou_type="urban"),
        row(name="丁", sex="M", birth_date="1980-01-01", enrolled_date="2023-01-01"),
    ])
    import_persons(path)
    record_death(Person.objects.get(name="甲"), event_date=dt.date(2022, 5, 1))
    record_move_out(Person.objects.get(name="乙"), event_date=dt.date(2022, 6, 1))

    def export(*args: str) -> dict[str, dict[str, str]]:
        out = tmp_path / "asof.csv"
        call_command("export", "persons", "--out", str(out), "--quiet", *args)
        return {r["name"]: r for r in read_csv(out)}

    then = export("--as-of", "2021-12-31")
    assert set(then) == {"甲", "乙", "丙"}  # 丁 enrolled after the date
    assert then["甲"]["status"] == then["乙"]["status"] == "resident"
    assert then["甲"]["household_no"] == "A1"
    assert then["丙"]["org_code"] == COMMUNITY

    now = export()
    assert (now["甲"]["status"], now["乙"]["status"], now["丁"]["status"]) == (
        "dead", "moved_out", "resident")
    assert set(export("--as-of", "2022-05-15")) == {"甲", "乙", "丙"}
    assert export("--as-of", "2022-05-15")["甲"]["status"] == "dead"
    assert set(export("--as-of", "2021-12-31", "--org", "341122102000")) == {"甲", "乙"}
    assert set(export("--org", "341122001000")) == {"丙"}


def test_export_events_with_filters(tree, tmp_path):
    import_persons(write_csv(tmp_path / "in.csv", family_rows()))
    out = tmp_path / "events.csv"
    n = export_events(out)
    events = read_csv(out)
    assert n == len(events) == 8
    assert set(events[0]) == {"event_id", "person_id", "event_type", "event_date",
                              "recorded_at", "recorded_by", "recorded_via", "org_code",
                              "supersedes_event_id", "payload"}
    enrol = next(e for e in events if e["event_type"] == "enrol")
    assert json.loads(enrol["payload"])["hukou_type"] in ("rural", "urban")
    call_command("export", "events", "--out", str(out), "--type", "death", "--quiet")
    assert [e["event_type"] for e in read_csv(out)] == ["death"]
    call_command("export", "events", "--out", str(out), "--from", "2024-01-01", "--to",
                 "2024-12-31", "--quiet")
    assert [e["person_id"] for e in read_csv(out)] == [
        str(Person.objects.get(name="张浩宇").pk)]
    call_command("export", "events", "--out", str(out), "--org", "341122001000", "--quiet")
    assert {e["org_code"] for e in read_csv(out)} == {COMMUNITY}


def test_bench_file_imports_cleanly(tree, tmp_path):
    path = tmp_path / "bench.csv"
    assert write_bench_file(path, 300, seed=3) == 300
    plan = validate_persons(path)
    assert plan.errors == []
    summary = import_persons(path)
    assert summary.persons == 300
    assert Person.objects.exclude(mother=None).exists()
    # Same seed, same file.
    again = tmp_path / "again.csv"
    write_bench_file(again, 300, seed=3)
    assert path.read_bytes() == again.read_bytes()
