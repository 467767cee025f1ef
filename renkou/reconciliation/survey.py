"""Survey reconciliation (抽样调查/入户核查): import what a field check found in the
sampled villages, match it to the register as of the survey date, and measure.

A survey has a frame: the households visited in each sampled village. It is either
listed with the import (a list of ``village_code, household_no`` rows: a second file,
the CLI's ``--visited``, or a sheet named 走访户 or ``visited`` in the survey workbook)
or inferred from the file (every household number in the survey rows is a household
visited); the survey records which (``SurveyVillage.frame_source``). Only the register
entries resident on the survey date in the households visited are checked, so a survey
of 6 of a village's 299 households is measured on those 6. Inference cannot see a
household where nobody was found (it has no row in the file): its register entries are
not counted as not found; a list of the households visited counts them. A survey
imported before frames were kept has none: it was, and stays, measured on the whole
village.

A household number of the frame is the register's household (``Household.household_no``)
of the village: written as the register has it, or in a shorter form that
:func:`household_key` makes the same (spaces and hyphens dropped, letters in capitals,
the village's 12-digit code in front dropped, leading zeros of a number dropped: the
register's ``110101001201-00023`` is the form's ``23``). A number that two register
households of the village share in that form must be written in full.

Matching, village by village, between the persons found on the ground and the
register entries resident in that village at the end of the survey date (the fold
of the ledger, :func:`renkou.reconciliation.common.register_households_as_of`): first
by ID number, then by name + birth date + sex (the same characters, then the same
pinyin, so 张晓明 and 张小明 meet). A match is one to one. Persons found are matched
against the whole village, so someone found in a household visited whom the register
places in another household (or in none) is still in the register.

Measures (DESIGN.md §4, last paragraph), per sampled village and rolled up to the
township and the county by summing numerators and denominators:

- accuracy 准确率 = register entries confirmed by the field check / register entries
  checked. Checked: every register entry resident on the survey date in a household
  visited of a sampled village (in the whole village for a survey without a frame).
  Confirmed: found on the ground with name, sex, birth date and ID number agreeing (an
  ID number on the form that the register lacks is a disagreement; a form without one
  leaves the register's number unchecked).
- not found 水分率 = register entries checked not found on the ground / entries checked.
- under-count 漏报率 = births found on the ground but missing from the register /
  births found on the ground, births being persons found (in the households visited)
  whose birth date lies in the reference period (``reference_start`` to the survey
  date).

Each rate carries its 95% Wilson interval (:func:`renkou.demography.intervals.wilson_interval`).

Extrapolation to unsampled villages (:func:`extrapolate`) is a ratio estimator on these
frame-restricted counts: an
unsampled village takes the pooled rate of the sampled villages of its own township
(Σ numerators / Σ denominators); a township without a sampled village takes the
county's pooled rate. The interval is the Wilson interval of the pooled counts with
the sample size divided by a design effect — 2 for the township's rate, 4 for the
county's — since the village itself was not observed and villages differ more than
persons within a village (a conservative rule of thumb for cluster samples; Kish,
*Survey Sampling*, 1965, §5.4). The estimated number of register entries not
confirmed is (1 − accuracy) × the village's residents today.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.tables import ImportRejected, Problems, RowError, input_limits, read_table
from renkou.core.text import clean_text
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.identity import name_spellings
from renkou.register.models import Household, Person, PersonStatus

from .common import (
    Rate,
    check_id,
    parse_date,
    parse_sex,
    rate,
    register_households_as_of,
    rollup,
    units_under,
    visible_rollup,
)
from .models import (
    Discrepancy,
    DiscrepancyKind,
    FrameSource,
    Survey,
    SurveyEntry,
    SurveyHousehold,
    SurveyMember,
    SurveyVillage,
)

__all__ = [
    "SURVEY_COLUMNS",
    "SURVEY_REQUIRED",
    "HEADER_ALIASES",
    "VISITED_COLUMNS",
    "VISITED_SHEETS",
    "SurveyRow",
    "household_key",
    "validate_survey",
    "import_survey",
    "match_village",
    "UnitRates",
    "survey_rates",
    "survey_frame_source",
    "extrapolate",
    "DEFF_TOWNSHIP",
    "DEFF_COUNTY",
]

SURVEY_REQUIRED = ("village_code", "household_no", "name", "sex", "birth_date")
SURVEY_COLUMNS = SURVEY_REQUIRED + ("id_number", "relationship", "remarks")
#: The columns of a list of the households visited (other columns are ignored).
VISITED_COLUMNS = ("village_code", "household_no")
#: Names of the sheet of a survey workbook that lists the households visited.
VISITED_SHEETS = ("走访户", "visited")
#: Chinese headers accepted for the English ones.
HEADER_ALIASES = {
    "村代码": "village_code", "村（居）代码": "village_code", "区划代码": "village_code",
    "户号": "household_no", "姓名": "name", "性别": "sex", "出生日期": "birth_date",
    "公民身份号码": "id_number", "身份证号": "id_number", "与户主关系": "relationship",
    "备注": "remarks",
}
DEFF_TOWNSHIP = 2.0
DEFF_COUNTY = 4.0
#: Fields compared between a register entry and the person found.
COMPARED_FIELDS = ("name", "sex", "birth_date", "id_number")
#: Where the problems of a list of the households visited are reported (its columns).
VISITED_FIELD = "visited.%s"

#: A list of the households visited: a file (.xlsx or .csv), or (village_code,
#: household_no) pairs.
Visited = str | Path | Iterable[tuple[str, str]]


@dataclass(slots=True)
class SurveyRow:
    row: int
    village_id: int
    household_no: str
    name: str
    sex: str
    birth_date: dt.date
    id_number: str
    relationship: str
    remarks: str


@dataclass(slots=True)
class FrameHousehold:
    """A household visited: its number as first written, the row it was first written
    in (of the list of households visited, or of the survey file when inferred) and,
    once resolved, the register household it is."""

    household_no: str
    row: int
    household_id: int | None = None


@dataclass
class SurveyPlan:
    rows: list[SurveyRow] = field(default_factory=list)
    errors: Problems = field(default_factory=Problems)
    villages: dict[int, OrgUnit] = field(default_factory=dict)
    #: village id -> household key (:func:`household_key`) -> the household visited
    frame: dict[int, dict[str, FrameHousehold]] = field(default_factory=dict)
    frame_source: str = FrameSource.INFERRED
    #: where a listed frame came from: a file name, or the survey file and its sheet
    frame_file: str = ""

    @property
    def frame_field(self) -> str:
        """The column a problem of a household visited is reported in."""
        return (VISITED_FIELD % "household_no" if self.frame_source == FrameSource.LISTED
                else "household_no")


_SEPARATORS = str.maketrans("", "", " -_/\\·")


def household_key(number: str, village_code: str) -> str:
    """The form of a household number in which the survey's and the register's are
    compared within a village: spaces, hyphens, underscores, slashes and middle dots
    dropped, letters in capitals, the village's code dropped from the front (when more
    follows), and a number without its leading zeros. ``110101001201-00023``,
    ``0023`` and ``23`` are the same household of village 110101001201."""
    key = number.strip().upper().translate(_SEPARATORS)
    if village_code and key.startswith(village_code) and len(key) > len(village_code):
        key = key[len(village_code):]
    if key.isascii() and key.isdigit():
        key = key.lstrip("0") or "0"
    return key


def _header(raw: list[str]) -> list[str]:
    return [HEADER_ALIASES.get(h, h) for h in raw]


def _first_data_row(header: list[str]) -> int:
    """The spreadsheet row of the first data row: below the header, which the reader may
    have found under title rows (``Header.row``)."""
    return getattr(header, "row", 1) + 1


def validate_survey(path: str | Path, *, survey_date: dt.date, user=None,
                    today: dt.date | None = None, visited: Visited | None = None) -> SurveyPlan:
    """Check every row of a field-check file and its frame; nothing is written.

    Every problem is collected with its spreadsheet row (the header is row 1), column
    and reason. With ``user``, villages must lie in that user's subtree. The frame is
    ``visited`` (a file or ``(village_code, household_no)`` pairs) when given, else the
    survey workbook's sheet 走访户 (or ``visited``) when it has one, else inferred from
    the household numbers of the rows (see the module docstring).
    """
    today = today or clock.today()
    plan = SurveyPlan()
    errors = plan.errors
    if survey_date > today:
        errors.append(RowError(0, "date", _("the survey date is in the future")))
    raw_header, cells_iter = read_table(path)
    first_row = _first_data_row(raw_header)
    header = _header(raw_header)
    missing = [c for c in SURVEY_REQUIRED if c not in header]
    if missing:
        errors.extend(RowError(first_row - 1, c, _("the column is missing")) for c in missing)
        return plan
    col = {name: i for i, name in enumerate(header)}
    width = len(header)
    villages = _villages(user)
    seen_ids: dict[str, int] = {}

    def cell(cells: list[str], name: str) -> str:
        i = col.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    for rownum, cells in enumerate(cells_iter, start=first_row):
        if not any(cells[:width]):
            continue
        problems_before = errors.total
        code = cell(cells, "village_code")
        village = villages.get(code)
        if not code:
            errors.append(RowError(rownum, "village_code", _("the village code is required")))
        elif village is None:
            errors.append(RowError(rownum, "village_code",
                                   _("no village (or community) with this code in your area"),
                                   code))
        household_no = cell(cells, "household_no")
        if not household_no:
            errors.append(RowError(rownum, "household_no", _("the household number is required")))
        elif len(household_no) > 24:
            errors.append(RowError(rownum, "household_no",
                                   _("the household number is longer than 24 characters"),
                                   household_no))
        name = cell(cells, "name")
        if not name:
            errors.append(RowError(rownum, "name", _("the name is required")))
        elif len(name) > 50:
            errors.append(RowError(rownum, "name", _("the name is longer than 50 characters"),
                                   name))
        raw_sex = cell(cells, "sex")
        sex = parse_sex(raw_sex)
        if not sex:
            errors.append(RowError(rownum, "sex", _("the sex must be M or F (男/女)"), raw_sex))
        raw_bd = cell(cells, "birth_date")
        birth_date = parse_date(raw_bd) if raw_bd else None
        if not raw_bd:
            errors.append(RowError(rownum, "birth_date", _("the birth date is required")))
        elif birth_date is None:
            errors.append(RowError(rownum, "birth_date",
                                   _("not a date; write it as YYYY-MM-DD"), raw_bd))
        elif birth_date > survey_date:
            errors.append(RowError(rownum, "birth_date",
                                   _("the birth date is after the survey date"), raw_bd))
        id_number, id_problems = check_id(cell(cells, "id_number"), birth_date, sex)
        errors.extend(RowError(rownum, "id_number", p, id_number) for p in id_problems)
        if id_number:
            first = seen_ids.setdefault(id_number, rownum)
            if first != rownum:
                errors.append(RowError(rownum, "id_number",
                                       _("the ID number is repeated (first in row %(row)s)")
                                       % {"row": first}, id_number))
        relationship = cell(cells, "relationship")
        if len(relationship) > 20:
            errors.append(RowError(rownum, "relationship",
                                   _("the relationship is longer than 20 characters"),
                                   relationship))
        remarks = cell(cells, "remarks")
        if len(remarks) > 200:
            errors.append(RowError(rownum, "remarks",
                                   _("the remarks are longer than 200 characters"), remarks[:20]))
        if errors.total == problems_before and village is not None and birth_date is not None:
            plan.villages[village.pk] = village
            plan.rows.append(SurveyRow(rownum, village.pk, household_no, name, sex, birth_date,
                                       id_number, relationship, remarks))
    if not plan.rows and not errors:
        errors.append(RowError(first_row, "", _("the file has no rows")))
    _plan_frame(plan, path, visited, villages)
    return plan


def _villages(user) -> dict[str, OrgUnit]:
    """The villages (and communities) by code: all of them, or those in ``user``'s subtree."""
    units = OrgUnit.objects.all() if user is None else OrgUnit.objects.visible_to(user)
    return {u.code: u for u in units.filter(level=OrgLevel.VILLAGE)}


# --------------------------------------------------------------------------- the frame


def _plan_frame(plan: SurveyPlan, path: str | Path, visited: Visited | None,
                villages: dict[str, OrgUnit]) -> None:
    """The households visited: listed (``visited``, else the workbook's sheet of them)
    or inferred from the rows. A listed frame adds its villages to the sample (their
    households were visited even if nobody was found there), and every row must lie in
    a household it lists."""
    listed: _Listed
    if visited is None:
        sheet = _visited_sheet_name(path)
        if sheet is None:
            plan.frame_source = FrameSource.INFERRED
            for r in plan.rows:
                code = plan.villages[r.village_id].code
                plan.frame.setdefault(r.village_id, {}).setdefault(
                    household_key(r.household_no, code), FrameHousehold(r.household_no, r.row))
            return
        plan.frame_file = f"{Path(path).name} [{sheet}]"
        listed = _read_listed(lambda: _read_sheet(path, sheet))
    elif isinstance(visited, (str, Path)):
        plan.frame_file = Path(visited).name
        listed = _read_listed(lambda: _read_file(visited))
    else:
        listed = (1, [(i, [clean_text(str(code)), clean_text(str(no))])
                      for i, (code, no) in enumerate(visited, start=1)])
    plan.frame_source = FrameSource.LISTED
    if isinstance(listed, list):
        plan.errors.extend(listed)
        return
    _listed_frame(plan, listed, villages)
    if not plan.frame:
        return  # no household listed: that is the problem, not every row outside the list
    for r in plan.rows:
        code = plan.villages[r.village_id].code
        if household_key(r.household_no, code) not in plan.frame.get(r.village_id, {}):
            plan.errors.append(RowError(
                r.row, "household_no",
                _("the household is not in the list of households visited"), r.household_no))


#: The rows of a list of households visited, ``(first data row, [(row, [village_code,
#: household_no]), …])``, or the problems that kept it from being read.
_Listed = tuple[int, list[tuple[int, list[str]]]] | list[RowError]


def _read_listed(read) -> _Listed:
    """A list of households visited read by ``read`` (→ header and rows), its problems
    reported in the columns ``visited.…``."""
    try:
        header, rows = read()
    except ImportRejected as rejected:
        return [RowError(e.row, VISITED_FIELD % e.field if e.field else "visited", e.reason,
                         e.value) for e in rejected.errors]
    first_row = _first_data_row(header)
    names = _header(header)
    missing = [c for c in VISITED_COLUMNS if c not in names]
    if missing:
        return [RowError(first_row - 1, VISITED_FIELD % c, _("the column is missing"))
                for c in missing]
    i_code, i_no = names.index("village_code"), names.index("household_no")
    return first_row, [(n, [cells[i] if i < len(cells) else "" for i in (i_code, i_no)])
                       for n, cells in enumerate(rows, start=first_row)]


def _read_file(path: str | Path) -> tuple[list[str], list[list[str]]]:
    header, rows = read_table(path)
    return header, list(rows)  # a list of households is short, and bounded by the reader


def _visited_sheet_name(path: str | Path) -> str | None:
    """The name of the sheet 走访户 (or ``visited``) of a survey workbook other than the
    one read as the survey, or ``None``. Called after the survey file was read, so the
    workbook has passed the reader's checks of its size."""
    with open(path, "rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            return None
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 (the reader has already said what is wrong with it)
        return None
    try:
        wanted = {n.casefold() for n in VISITED_SHEETS}
        name = next((n for n in book.sheetnames if n.strip().casefold() in wanted), None)
        return None if name is None or name == book.active.title else name
    finally:
        book.close()


def _read_sheet(path: str | Path, name: str) -> tuple[list[str], list[list[str]]]:
    """One sheet of a workbook, read by the same reader as every file (its limits, title
    rows and cell cleaning): copied, values only, into a workbook of its own."""
    from openpyxl import Workbook, load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    out = Workbook(write_only=True)
    copy = out.create_sheet(name)
    most = input_limits().rows + 1  # the reader refuses a sheet longer than this, and says so
    try:
        for i, row in enumerate(book[name].iter_rows(values_only=True)):
            if i > most:
                break
            copy.append(list(row))
    finally:
        book.close()
    with tempfile.TemporaryDirectory(prefix="renkou-visited-") as folder:
        target = Path(folder) / "visited.xlsx"
        out.save(target)
        return _read_file(target)


def _listed_frame(plan: SurveyPlan, listed: tuple[int, list[tuple[int, list[str]]]],
                  villages: dict[str, OrgUnit]) -> None:
    first_row, rows = listed
    field_code, field_no = VISITED_FIELD % "village_code", VISITED_FIELD % "household_no"
    seen = False
    for rownum, (code, number) in rows:
        if not code and not number:
            continue
        seen = True
        village = villages.get(code)
        if not code:
            plan.errors.append(RowError(rownum, field_code, _("the village code is required")))
        elif village is None:
            plan.errors.append(RowError(
                rownum, field_code, _("no village (or community) with this code in your area"),
                code))
        if not number:
            plan.errors.append(RowError(rownum, field_no, _("the household number is required")))
        elif len(number) > 24:
            plan.errors.append(RowError(
                rownum, field_no, _("the household number is longer than 24 characters"),
                number))
        elif village is not None:
            plan.villages.setdefault(village.pk, village)
            plan.frame.setdefault(village.pk, {}).setdefault(
                household_key(number, village.code), FrameHousehold(number, rownum))
    if not seen:
        plan.errors.append(RowError(first_row, field_no,
                                    _("the list of households visited has no rows")))


# --------------------------------------------------------------------------- matching


def match_village(found: list[dict[str, Any]], expected: list[dict[str, Any]]
                  ) -> dict[int, tuple[int, str]]:
    """One-to-one matches between persons found (``key``, ``name``, ``sex``,
    ``birth_date``, ``id_number``) and register entries (``pk`` and the same fields).

    Returns ``found key -> (person pk, method)`` with method ``id``, ``name`` or
    ``pinyin``: ID number first, then name + birth date + sex, then pinyin + birth
    date + sex, each pass over what is still unmatched, in row order. Among entries
    that fit equally, one whose ID number agrees (both blank) comes first, then one in
    the same household (``household_id``, when both have one).
    """
    result: dict[int, tuple[int, str]] = {}
    used: set[int] = set()
    by_id = {e["id_number"]: e["pk"] for e in expected if e["id_number"]}
    ids = {e["pk"]: e["id_number"] for e in expected}
    homes = {e["pk"]: e.get("household_id") for e in expected}
    for f in found:
        pk = by_id.get(f["id_number"]) if f["id_number"] else None
        if pk is not None and pk not in used:
            result[f["key"]] = (pk, "id")
            used.add(pk)
    for method, keyf in (("name", lambda r: (r["name"], r["birth_date"], r["sex"])),
                         ("pinyin", lambda r: (name_spellings(r["name"])[0], r["birth_date"],
                                               r["sex"]))):
        pool: dict[tuple, list[int]] = defaultdict(list)
        for e in expected:
            if e["pk"] not in used:
                pool[keyf(e)].append(e["pk"])
        for f in found:
            if f["key"] in result:
                continue
            candidates = [pk for pk in pool.get(keyf(f), ()) if pk not in used]
            if candidates:
                # an entry whose ID number agrees (both blank) before one that does not,
                # then one in the household where the person was found
                same = [pk for pk in candidates if ids[pk] == f["id_number"]] or candidates
                home = f.get("household_id")
                pk = next((pk for pk in same if home is not None and homes[pk] == home),
                          same[0])
                result[f["key"]] = (pk, method)
                used.add(pk)
    return result


def _differences(found: dict[str, Any], person: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for name in COMPARED_FIELDS:
        a, b = person[name] or "", found[name] or ""
        if name == "id_number" and not b:
            continue  # no ID number on the form: nothing to compare
        if a != b:
            out.append((name, str(a), str(b)))
    return out


def _register_households(plan: SurveyPlan, resident: dict[int, tuple[int, int | None]]
                         ) -> dict[int, dict[int, str]]:
    """The register's households of each sampled village, ``village id -> {household id:
    number}``: those of its residents on the survey date and those kept under its units."""
    unit_of = units_under(plan.villages.values())
    by_village: dict[int, dict[int, str]] = defaultdict(dict)
    village_of = {hid: vid for vid, hid in resident.values() if hid is not None}
    for pk, number, org_id in Household.objects.filter(
            Q(pk__in=list(village_of)) | Q(org_id__in=list(unit_of))).values_list(
            "pk", "household_no", "org_id"):
        vid = village_of.get(pk, unit_of.get(org_id))
        if vid is not None:
            by_village[vid][pk] = number
    return by_village


def _resolve_frame(plan: SurveyPlan, households: dict[int, dict[int, str]]) -> Problems:
    """Each household visited as the register household it is (``household_id``): the one
    with the number as written (in capitals), else the one with the same
    :func:`household_key`; none when the register has no such household in the village.
    A short form that two register households share is a problem."""
    problems = Problems()
    for vid, frame in plan.frame.items():
        code = plan.villages[vid].code
        exact: dict[str, list[int]] = defaultdict(list)
        keyed: dict[str, list[int]] = defaultdict(list)
        for hid, number in households.get(vid, {}).items():
            exact[number.strip().upper()].append(hid)
            keyed[household_key(number, code)].append(hid)
        for key, fh in frame.items():
            hits = exact.get(fh.household_no.strip().upper()) or keyed.get(key, [])
            if len(hits) == 1:
                fh.household_id = hits[0]
            elif hits:
                numbers = "、".join(sorted(households[vid][h] for h in hits))
                problems.append(RowError(
                    fh.row, plan.frame_field,
                    _("the household number is that of several register households of the "
                      "village (%(numbers)s): write it as the register has it")
                    % {"numbers": numbers}, fh.household_no))
    return problems


@transaction.atomic
def _write_survey(plan: SurveyPlan, *, name: str, survey_date: dt.date,
                  reference_start: dt.date, user, file_name: str) -> Survey:
    resident = register_households_as_of(plan.villages.values(), survey_date)
    problems = _resolve_frame(plan, _register_households(plan, resident))
    if problems:
        raise ImportRejected(problems, len(plan.rows))
    visited = {vid: {fh.household_id for fh in frame.values() if fh.household_id is not None}
               for vid, frame in plan.frame.items()}
    register_households: dict[int, set[int]] = defaultdict(set)
    for vid, hid in resident.values():
        if hid is not None:
            register_households[vid].add(hid)
    survey = Survey.objects.create(
        name=name, survey_date=survey_date, reference_start=reference_start,
        imported_by=user if user is not None and user.is_authenticated else None,
        imported_at=clock.now(), file_name=file_name)
    SurveyVillage.objects.bulk_create(
        SurveyVillage(survey=survey, village_id=v, frame_source=plan.frame_source,
                      register_households=len(register_households[v]))
        for v in sorted(plan.villages))
    SurveyHousehold.objects.bulk_create(
        (SurveyHousehold(survey=survey, village_id=vid, household_no=fh.household_no[:24],
                         row=fh.row, household_id=fh.household_id)
         for vid in sorted(plan.frame) for fh in plan.frame[vid].values()), batch_size=2000)
    members = SurveyMember.objects.bulk_create(
        SurveyMember(survey=survey, village_id=r.village_id, row=r.row,
                     household_no=r.household_no, name=r.name, sex=r.sex,
                     birth_date=r.birth_date, id_number=r.id_number,
                     relationship=r.relationship, remarks=r.remarks)
        for r in plan.rows)
    persons = {
        p["pk"]: p for p in Person.objects.filter(pk__in=list(resident)).values(
            "pk", "name", "sex", "birth_date", "id_number")
    }
    for pk, p in persons.items():
        p["id_number"] = p["id_number"] or ""
        p["household_id"] = resident[pk][1]
    # persons found are matched against the whole village; the entries checked are those
    # in the households visited
    expected_by_village: dict[int, list[dict]] = defaultdict(list)
    checked: set[int] = set()
    for pk in sorted(resident):
        vid, hid = resident[pk]
        expected_by_village[vid].append(persons[pk])
        if hid is not None and hid in visited.get(vid, ()):
            checked.add(pk)
    found_by_village: dict[int, list[dict]] = defaultdict(list)
    for m in members:
        visited_household = plan.frame.get(m.village_id, {}).get(
            household_key(m.household_no, plan.villages[m.village_id].code))
        found_by_village[m.village_id].append(
            {"key": m.pk, "name": m.name, "sex": m.sex, "birth_date": m.birth_date,
             "id_number": m.id_number, "member": m,
             "household_id": visited_household.household_id if visited_household else None})
    entries: list[SurveyEntry] = []
    items: list[Discrepancy] = []
    matched_members: list[SurveyMember] = []
    for village_id in sorted(plan.villages):
        found = found_by_village[village_id]
        expected = expected_by_village[village_id]
        matches = match_village(found, expected)
        member_of: dict[int, SurveyMember] = {}
        for f in found:
            m = f["member"]
            hit = matches.get(m.pk)
            if hit is None:
                items.append(Discrepancy(
                    kind=DiscrepancyKind.FOUND_NOT_IN_REGISTER, survey=survey, org_id=village_id,
                    member=m, found_value=f"{m.name} {m.sex} {m.birth_date}"))
                continue
            pk, method = hit
            m.person_id, m.match_method = pk, method
            matched_members.append(m)
            member_of[pk] = m
            diffs = _differences(f, persons[pk])
            for field_name, reg, got in diffs:
                items.append(Discrepancy(
                    kind=DiscrepancyKind.FIELD_MISMATCH, survey=survey, org_id=village_id,
                    person_id=pk, member=m, field=field_name, register_value=reg[:100],
                    found_value=got[:100]))
            f["confirmed"] = not diffs
        confirmed = {f["member"].person_id for f in found if f.get("confirmed")}
        for e in expected:
            if e["pk"] not in checked:
                continue
            member = member_of.get(e["pk"])
            entries.append(SurveyEntry(survey=survey, village_id=village_id, person_id=e["pk"],
                                       member=member, confirmed=e["pk"] in confirmed))
            if member is None:
                items.append(Discrepancy(
                    kind=DiscrepancyKind.NOT_FOUND, survey=survey, org_id=village_id,
                    person_id=e["pk"],
                    register_value=f"{e['name']} {e['sex']} {e['birth_date']}"))
    SurveyMember.objects.bulk_update(matched_members, ["person", "match_method"], batch_size=2000)
    SurveyEntry.objects.bulk_create(entries, batch_size=2000)
    Discrepancy.objects.bulk_create(items, batch_size=2000)
    return survey


def import_survey(path: str | Path, *, name: str, survey_date: dt.date,
                  reference_start: dt.date | None = None, user=None,
                  today: dt.date | None = None, visited: Visited | None = None) -> Survey:
    """Validate a field-check file and, if it has no problem, store and match it in one
    transaction. Raises :class:`ImportRejected` with every problem otherwise.

    ``reference_start`` defaults to one year before the survey date. ``visited`` lists
    the households visited: a file (.xlsx or .csv with the columns ``village_code`` and
    ``household_no``, or 村代码 and 户号) or ``(village_code, household_no)`` pairs;
    without it, the survey workbook's sheet 走访户 (or ``visited``) lists them, and
    without that they are inferred from the file (:func:`validate_survey`).
    """
    if user is not None and not has_capability(user, Capability.EDIT_REGISTER):
        raise PermissionDenied(_("this role may not change the register"))
    started = time.perf_counter()
    plan = validate_survey(path, survey_date=survey_date, user=user, today=today,
                           visited=visited)
    name = (name or "").strip()
    if not name:
        plan.errors.insert(0, RowError(0, "name", _("the survey needs a name")))
    if reference_start is None:
        reference_start = _one_year_before(survey_date)
    if reference_start > survey_date:
        plan.errors.insert(0, RowError(0, "reference_start",
                                       _("the reference period starts after the survey date")))
    if plan.errors:
        raise ImportRejected(plan.errors, len(plan.rows))
    with transaction.atomic():  # the survey and its log entry, or neither
        survey = _write_survey(plan, name=name[:100], survey_date=survey_date,
                               reference_start=reference_start, user=user,
                               file_name=Path(path).name[:200])
        audit.record(AuditAction.IMPORT, "survey", survey.pk, details={
            "file": Path(path).name, "rows": len(plan.rows), "villages": len(plan.villages),
            "survey_date": survey_date.isoformat(), "frame": plan.frame_source,
            "visited_file": plan.frame_file,
            "households_visited": sum(len(f) for f in plan.frame.values()),
            "seconds": round(time.perf_counter() - started, 2)}, user=user)
    return survey


def _one_year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28) + dt.timedelta(days=1)


# --------------------------------------------------------------------------- measures

COUNT_KEYS = ("checked", "confirmed", "not_found", "found", "found_only", "births_found",
              "births_missing")
#: The frame's counts: households visited, those of them the register has, the register's
#: households (with a resident on the survey date), and the villages whose households
#: visited were listed or inferred (a village without a frame is neither).
FRAME_KEYS = ("households_visited", "households_visited_registered", "households_in_register",
              "frame_listed", "frame_inferred")


@dataclass
class UnitRates:
    """The measures of one unit (a sampled village, or a township/county rolled up)."""

    unit: OrgUnit
    counts: dict[str, float]
    accuracy: Rate
    not_found: Rate
    under_count: Rate
    sampled_villages: int = 0

    @property
    def frame_source(self) -> str:
        """How the households visited are known, for every sampled village of the unit
        (:class:`FrameSource`); "" — the whole village — when they are not kept."""
        n = self.sampled_villages
        for source, key in ((FrameSource.LISTED, "frame_listed"),
                            (FrameSource.INFERRED, "frame_inferred")):
            if n and self.counts.get(key) == n:
                return source
        return FrameSource.WHOLE_VILLAGE

    @property
    def frame_label(self) -> str:
        return str(FrameSource(self.frame_source).label)


def village_counts(survey: Survey) -> dict[int, dict[str, float]]:
    """Counts per sampled village: one GROUP BY over the register entries checked, one
    over the persons found and one over the households visited."""
    counts: dict[int, dict[str, float]] = {}
    for vid, source, in_register in survey.sampled.values_list(
            "village_id", "frame_source", "register_households"):
        counts[vid] = dict.fromkeys(COUNT_KEYS + FRAME_KEYS, 0)
        counts[vid].update(households_in_register=in_register or 0,
                           frame_listed=int(source == FrameSource.LISTED),
                           frame_inferred=int(source == FrameSource.INFERRED))
    for row in (SurveyHousehold.objects.filter(survey=survey).values("village_id").annotate(
            visited=Count("id"), registered=Count("id", filter=Q(household__isnull=False)))):
        counts[row["village_id"]].update(households_visited=row["visited"],
                                         households_visited_registered=row["registered"])
    for row in (SurveyEntry.objects.filter(survey=survey).values("village_id").annotate(
            checked=Count("id"), confirmed=Count("id", filter=Q(confirmed=True)),
            not_found=Count("id", filter=Q(member__isnull=True)))):
        counts[row["village_id"]].update(checked=row["checked"], confirmed=row["confirmed"],
                                         not_found=row["not_found"])
    in_period = Q(birth_date__gte=survey.reference_start, birth_date__lte=survey.survey_date)
    for row in (SurveyMember.objects.filter(survey=survey).values("village_id").annotate(
            found=Count("id"), found_only=Count("id", filter=Q(person__isnull=True)),
            births_found=Count("id", filter=in_period),
            births_missing=Count("id", filter=in_period & Q(person__isnull=True)))):
        counts[row["village_id"]].update(
            found=row["found"], found_only=row["found_only"], births_found=row["births_found"],
            births_missing=row["births_missing"])
    return counts


def _rates(unit: OrgUnit, c: dict[str, float], deff: float = 1.0, method: str = "",
           sampled: int = 0) -> UnitRates:
    return UnitRates(
        unit=unit, counts=c,
        accuracy=rate(c["confirmed"], c["checked"], deff, method),
        not_found=rate(c["not_found"], c["checked"], deff, method),
        under_count=rate(c["births_missing"], c["births_found"], deff, method),
        sampled_villages=sampled,
    )


def survey_rates(survey: Survey, user=None) -> list[UnitRates]:
    """Measures per sampled village, township and county, in tree order; with ``user``
    only the units in that user's subtree."""
    counts = village_counts(survey)
    for c in counts.values():
        c["sampled"] = 1
    keys = (*COUNT_KEYS, *FRAME_KEYS, "sampled")
    rows = [_rates(unit, c, sampled=int(c["sampled"]))
            for unit, c in visible_rollup(counts, keys, user)]
    return rows


def survey_frame_source(survey: Survey) -> str:
    """How the survey's households visited are known (:class:`FrameSource`): listed,
    inferred, or "" — not kept, the whole villages compared — for a survey imported
    before frames were kept."""
    sources = set(survey.sampled.values_list("frame_source", flat=True))
    return sources.pop() if len(sources) == 1 else FrameSource.WHOLE_VILLAGE


@dataclass
class Extrapolated:
    """An unsampled village with rates borrowed from its township or the county."""

    unit: OrgUnit
    residents: int
    basis: OrgUnit
    method: str
    accuracy: Rate
    not_found: Rate
    under_count: Rate

    @property
    def unconfirmed_estimate(self) -> float | None:
        if self.accuracy.value is None:
            return None
        return (1 - self.accuracy.value) * self.residents


def extrapolate(survey: Survey, user=None) -> list[Extrapolated]:
    """Rates for every village not sampled, by the ratio estimator of the module
    docstring: the pooled rate of the township's sampled villages (design effect 2),
    else the county's (design effect 4), from the counts of the households visited
    (:func:`village_counts`)."""
    counts = village_counts(survey)
    sampled_units = OrgUnit.objects.in_bulk(list(counts))
    totals = rollup(counts, COUNT_KEYS, sampled_units)
    unsampled = OrgUnit.objects.filter(level=OrgLevel.VILLAGE).exclude(pk__in=list(counts))
    if user is not None:
        unsampled = unsampled.filter(pk__in=OrgUnit.objects.visible_to(user).values("pk"))
    villages = list(unsampled.order_by("path"))
    if not villages:
        return []
    top_codes = {v.path.split("/")[0] for v in villages}
    tops = {u.code: u for u in OrgUnit.objects.filter(code__in=top_codes)}
    parents = OrgUnit.objects.in_bulk({v.parent_id for v in villages})
    residents = dict(
        Person.objects.filter(status=PersonStatus.RESIDENT,
                              registered_org_id__in=[v.pk for v in villages])
        .values_list("registered_org_id").annotate(n=Count("id")).values_list(
            "registered_org_id", "n"))
    out: list[Extrapolated] = []
    township_label, county_label = _("township ratio"), _("county ratio")
    for v in villages:
        township = parents.get(v.parent_id)
        county = tops.get(v.path.split("/")[0])
        if township is not None and township.pk in totals:
            basis, deff, label = township, DEFF_TOWNSHIP, township_label
        elif county is not None and county.pk in totals:
            basis, deff, label = county, DEFF_COUNTY, county_label
        else:
            continue
        c = totals[basis.pk]
        r = _rates(basis, c, deff, label)
        out.append(Extrapolated(v, residents.get(v.pk, 0), basis, label, r.accuracy,
                                r.not_found, r.under_count))
    return out
