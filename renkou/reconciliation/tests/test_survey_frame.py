"""Surveys with their frame (the households visited), on a village of 299 households.

大村 110101003202 (under 山乡, beside 北村, which is not sampled) has 299 register
households, numbered as the register numbers them (``110101003202`` + five digits):
households 1–6 of two persons each (with ID numbers), 7–181 of two persons and 182–299
of one: 480 residents, all enrolled on 2020-01-01. The survey of 2024-06-30 visits
households 1–6 and finds their twelve members as registered, the household numbers
written in the short forms a clerk writes (``1``, ``002``, ``110101003202-00003`` …).

Taken as the whole village (as a survey without a frame is, and as every survey was
before frames were kept) that gives 468 of 480 entries not found: 水分 97.5%.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.html import escape
from openpyxl import Workbook

from renkou.core.models import AuditEntry
from renkou.core.tables import ImportRejected
from renkou.orgunits.models import OrgKind
from renkou.reconciliation import services
from renkou.reconciliation.models import (
    Discrepancy,
    DiscrepancyKind,
    FrameSource,
    Survey,
    SurveyEntry,
    SurveyHousehold,
    SurveyMember,
    SurveyVillage,
)
from renkou.reconciliation.survey import household_key
from renkou.register import services as register
from renkou.register.models import Household, HukouType, Person, Sex
from renkou.testing.factories import make_id_number, write_xlsx

from .conftest import ENROLLED, SURVEY_DATE, SURVEY_HEADER, _unit
from .test_survey import wilson

CODE = "110101003202"
#: how the clerk wrote the numbers of households 1–6
WRITTEN = {1: "1", 2: "002", 3: "110101003202-00003", 4: "11010100320200004", 5: "00005",
           6: "6"}


def _number(i: int) -> str:
    return f"{CODE}{i:05d}"


@pytest.fixture
def big(county):
    """大村 and its register: 299 households, 480 residents."""
    village = _unit(CODE, "大村", OrgKind.VILLAGE, county.t3)
    households = Household.objects.bulk_create(
        Household(household_no=_number(i), org=village) for i in range(1, 300))
    members: dict[int, list[Person]] = {}
    day = dt.date(1950, 1, 1)
    for i, household in enumerate(households, start=1):
        size = 2 if i <= 181 else 1
        for k in range(size):
            day += dt.timedelta(days=29)
            sex = Sex.MALE if k == 0 else Sex.FEMALE
            person = register.enrol_person(
                name=f"户{i}员{k + 1}", sex=sex, birth_date=day, org=village,
                event_date=ENROLLED, hukou_type=HukouType.RURAL, household=household,
                id_number=make_id_number(day, sex, seq=40) if i <= 6 else None)
            members.setdefault(i, []).append(person)
    assert sum(len(m) for m in members.values()) == 480
    return village, households, members


def _rows(members, households=range(1, 7), extra=()):
    rows = []
    for i in households:
        for p in members[i]:
            rows.append([CODE, WRITTEN.get(i, _number(i)), p.name,
                         "男" if p.sex == Sex.MALE else "女", p.birth_date.isoformat(),
                         p.id_number or "", "", ""])
    return rows + list(extra)


@pytest.fixture
def six_households(big, tmp_path):
    _village, _households, members = big
    return write_xlsx(tmp_path / "six.xlsx", SURVEY_HEADER, _rows(members))


def _village_row(survey, code=CODE):
    return next(r for r in services.survey_rates(survey) if r.unit.code == code)


def test_household_numbers_compared_in_one_form():
    assert household_key("110101001201-00023", "110101001201") == "23"
    assert household_key("0023", "110101001201") == "23"
    assert household_key(" h 1 ", "110101001201") == "H1"
    assert household_key("11010100120100023", "110101001201") == "23"
    assert household_key("110101001201", "110101001201") == "110101001201"  # nothing after it
    assert household_key("000", "110101001201") == "0"


def test_six_of_299_households_are_measured_on_those_six(county, big, six_households):
    village, households, members = big
    survey = services.import_survey(six_households, name="大村抽查", survey_date=SURVEY_DATE)
    row = _village_row(survey)
    c = row.counts
    assert (c["households_visited"], c["households_visited_registered"],
            c["households_in_register"]) == (6, 6, 299)
    assert (c["checked"], c["confirmed"], c["not_found"]) == (12, 12, 0)
    assert (c["found"], c["found_only"]) == (12, 0)
    assert row.accuracy.value == 1.0 and row.not_found.value == 0.0  # not 97.5% not found
    lo, hi = wilson(12, 12)
    assert (row.accuracy.lower, row.accuracy.upper) == (pytest.approx(lo), pytest.approx(hi))
    assert row.under_count.value is None  # no birth found: missing, not zero
    assert row.frame_source == FrameSource.INFERRED
    assert services.survey_frame_source(survey) == FrameSource.INFERRED
    # the short forms written are the register's households 1–6
    frame = dict(SurveyHousehold.objects.filter(survey=survey).values_list("household_no",
                                                                           "household_id"))
    assert frame == {WRITTEN[i]: households[i - 1].pk for i in range(1, 7)}
    assert set(SurveyEntry.objects.filter(survey=survey).values_list("person_id", flat=True)) \
        == {p.pk for i in range(1, 7) for p in members[i]}
    assert not Discrepancy.objects.filter(survey=survey).exists()
    # the township (山乡) sums its one sampled village; 北村 borrows its ratio
    township = _village_row(survey, county.t3.code)
    assert (township.counts["checked"], township.counts["households_visited"]) == (12, 6)
    assert township.frame_source == FrameSource.INFERRED
    extrapolated = {e.unit.code: e for e in services.extrapolate(survey)}
    north = extrapolated[county.v4.code]
    assert north.basis == county.t3 and north.accuracy.value == 1.0
    assert north.not_found.value == 0.0 and north.unconfirmed_estimate == 0
    entry = AuditEntry.objects.get(action="import", object_type="survey")
    assert entry.details["frame"] == "inferred" and entry.details["households_visited"] == 6


def test_listed_household_where_nobody_was_found_counts_as_not_found(county, big, tmp_path):
    _village, households, members = big
    newborn = [CODE, "1", "户1新生", "女", "2024-05-05", "", "女", "未登记"]
    path = write_xlsx(tmp_path / "s.xlsx", SURVEY_HEADER, _rows(members, extra=[newborn]))
    visited = [(CODE, WRITTEN[i]) for i in range(1, 7)] + [(CODE, _number(7)), (CODE, "1")]
    survey = services.import_survey(path, name="名单", survey_date=SURVEY_DATE, visited=visited)
    row = _village_row(survey)
    c = row.counts
    assert (c["households_visited"], c["households_in_register"]) == (7, 299)
    assert (c["checked"], c["confirmed"], c["not_found"]) == (14, 12, 2)
    assert row.accuracy.value == pytest.approx(12 / 14)
    assert row.not_found.value == pytest.approx(2 / 14)  # 14.3%
    # the births found are those in the households visited: one, not in the register
    assert (c["births_found"], c["births_missing"]) == (1, 1)
    assert row.under_count.value == 1.0
    assert row.frame_source == FrameSource.LISTED
    not_found = set(Discrepancy.objects.filter(survey=survey, kind=DiscrepancyKind.NOT_FOUND)
                    .values_list("person_id", flat=True))
    assert not_found == {p.pk for p in members[7]}
    assert SurveyHousehold.objects.get(survey=survey, household_no=_number(7)).household_id \
        == households[6].pk


def test_listed_frame_from_a_sheet_of_the_workbook(county, big, tmp_path):
    _village, _households, members = big
    book = Workbook()
    sheet = book.active
    sheet.title = "入户核查"
    sheet.append(SURVEY_HEADER)
    for r in _rows(members):
        sheet.append(r)
    listed = book.create_sheet("走访户")
    listed.append(["村代码", "户号", "户主姓名"])
    for i in range(1, 9):
        listed.append([CODE, f"{i:05d}", f"户{i}员1"])
    book.save(tmp_path / "two-sheets.xlsx")
    survey = services.import_survey(tmp_path / "two-sheets.xlsx", name="两表",
                                    survey_date=SURVEY_DATE)
    c = _village_row(survey).counts
    assert (c["households_visited"], c["checked"], c["confirmed"], c["not_found"]) \
        == (8, 16, 12, 4)
    assert services.survey_frame_source(survey) == FrameSource.LISTED
    entry = AuditEntry.objects.get(action="import", object_type="survey")
    assert entry.details["visited_file"] == "two-sheets.xlsx [走访户]"


def test_a_row_outside_the_list_or_a_bad_list_writes_nothing(county, big, six_households):
    visited = [(CODE, WRITTEN[i]) for i in range(1, 6)] + [("999999999999", "1"), (CODE, "")]
    with pytest.raises(ImportRejected) as caught:
        services.import_survey(six_households, name="x", survey_date=SURVEY_DATE,
                               visited=visited)
    problems = {(e.row, e.field, e.value) for e in caught.value.errors}
    # household 6 (rows 12 and 13 of the file) is not in the list
    assert problems == {(12, "household_no", "6"), (13, "household_no", "6"),
                        (6, "visited.village_code", "999999999999"),
                        (7, "visited.household_no", "")}
    reasons = {e.row: e.reason for e in caught.value.errors}
    assert reasons[12] == "该户不在走访户名单中"
    with pytest.raises(ImportRejected) as caught:
        services.import_survey(six_households, name="x", survey_date=SURVEY_DATE, visited=[])
    assert [e.field for e in caught.value.errors] == ["visited.household_no"]
    assert not Survey.objects.exists() and not SurveyMember.objects.exists()
    assert not SurveyHousehold.objects.exists()


def test_a_short_number_two_register_households_share_is_refused(county, tmp_path):
    Household.objects.create(household_no="0010001", org=county.v1)
    Household.objects.create(household_no="10001", org=county.v1)
    path = write_xlsx(tmp_path / "s.xlsx", SURVEY_HEADER, [
        ["110101001201", "010001", "张晓明", "男", "1990-03-07", county.zxm.id_number, "", ""]])
    with pytest.raises(ImportRejected) as caught:
        services.import_survey(path, name="x", survey_date=SURVEY_DATE)
    [error] = caught.value.errors
    assert (error.row, error.field, error.value) == (2, "household_no", "010001")
    assert "0010001、10001" in error.reason
    assert not Survey.objects.exists()
    # written as the register has it, it is that household
    path = write_xlsx(tmp_path / "t.xlsx", SURVEY_HEADER, [
        ["110101001201", "10001", "张晓明", "男", "1990-03-07", county.zxm.id_number, "", ""]])
    survey = services.import_survey(path, name="x", survey_date=SURVEY_DATE)
    assert SurveyHousehold.objects.get(survey=survey).household.household_no == "10001"


def test_inferred_frame_is_reported_as_inferred_on_the_page(client, users, big, six_households):
    survey = services.import_survey(six_households, name="大村抽查", survey_date=SURVEY_DATE)
    client.force_login(users.officer)
    page = client.get(f"/reconciliation/surveys/{survey.pk}/").content.decode()
    with translation.override("zh-hans"):
        said = escape(translation.gettext(
            "Households visited: inferred from the households in the file (every household "
            "number in the file is a household visited). Only the register entries resident "
            "in those households on the survey date are checked; a household where nobody "
            "was found has no row in the file, so its register entries are not counted as not "
            "found (import a list of the households visited to count them)."))
        label = escape(str(FrameSource.INFERRED.label))
    assert said in page and label in page
    assert '<td class="num">6</td>' in page and '<td class="num">299</td>' in page
    assert "100.0%" in page and "97.5%" not in page


def _as_imported_before_frames(survey):
    """What an import before frames were kept left, and the migration leaves: no households
    visited, frame_source "" and an entry for every resident of the village, not found
    unless matched."""
    SurveyHousehold.objects.filter(survey=survey).delete()
    SurveyVillage.objects.filter(survey=survey).update(frame_source="", register_households=None)
    village = SurveyVillage.objects.get(survey=survey).village
    checked = set(SurveyEntry.objects.filter(survey=survey).values_list("person_id", flat=True))
    SurveyEntry.objects.bulk_create(
        SurveyEntry(survey=survey, village=village, person=p, member=None, confirmed=False)
        for p in Person.objects.filter(registered_org=village).exclude(pk__in=checked))


def test_old_survey_without_frame_keeps_the_whole_village(client, users, big, six_households):
    survey = services.import_survey(six_households, name="旧核查", survey_date=SURVEY_DATE)
    _as_imported_before_frames(survey)
    row = _village_row(survey)
    c = row.counts
    assert (c["checked"], c["confirmed"], c["not_found"]) == (480, 12, 468)
    assert row.not_found.value == pytest.approx(0.975) and row.accuracy.value == pytest.approx(0.025)
    assert row.frame_source == FrameSource.WHOLE_VILLAGE
    assert services.survey_frame_source(survey) == FrameSource.WHOLE_VILLAGE
    assert services.survey_accuracy_by_org()[row.unit.pk] == (12, 480)
    client.force_login(users.officer)
    page = client.get(f"/reconciliation/surveys/{survey.pk}/").content.decode()
    with translation.override("zh-hans"):
        said = escape(translation.gettext(
            "Households visited: not kept (the survey was imported before the households "
            "visited were recorded), so every register entry resident in the sampled villages "
            "on the survey date is checked."))
    assert said in page and "97.5%" in page


@pytest.mark.django_db(transaction=True)
def test_migration_leaves_old_surveys_on_the_whole_village(county):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = ("reconciliation", "0001_initial"), ("reconciliation", "0002_survey_frame")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    survey = old.get_model("reconciliation", "Survey").objects.create(
        name="旧核查", survey_date=SURVEY_DATE, reference_start=dt.date(2023, 7, 1),
        imported_at=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    old.get_model("reconciliation", "SurveyVillage").objects.create(
        survey_id=survey.pk, village_id=county.v1.pk)
    executor = MigrationExecutor(connection)
    executor.migrate([after])
    sampled = SurveyVillage.objects.get(survey_id=survey.pk)
    assert (sampled.frame_source, sampled.register_households) == ("", None)
    assert not SurveyHousehold.objects.filter(survey_id=survey.pk).exists()
    assert services.survey_frame_source(Survey.objects.get(pk=survey.pk)) \
        == FrameSource.WHOLE_VILLAGE


def test_command_line_visited_file(county, big, six_households, tmp_path):
    visited = tmp_path / "visited.csv"
    with open(visited, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["village_code", "household_no"])
        writer.writerows([CODE, WRITTEN.get(i, _number(i))] for i in range(1, 8))
    out = io.StringIO()
    call_command("reconciliation", "import-survey", str(six_households), "--name", "命令行",
                 "--date", SURVEY_DATE.isoformat(), "--visited", str(visited), "--lang", "en",
                 stdout=out)
    survey = Survey.objects.get()
    assert "households visited (7): listed with the import" in out.getvalue()
    c = _village_row(survey).counts
    assert (c["checked"], c["not_found"]) == (14, 2)
    line = next(x for x in out.getvalue().splitlines() if x.startswith(CODE))
    assert line.split("\t")[1:4] == ["7", "299", "14"]
    out = io.StringIO()
    call_command("reconciliation", "import-survey", str(six_households), "--name", "推断",
                 "--date", SURVEY_DATE.isoformat(), "--lang", "en", stdout=out)
    assert "households visited (6): inferred from the households in the file" in out.getvalue()
