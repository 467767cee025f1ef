"""Survey reconciliation (抽样调查/入户核查): import what a field check found in the
sampled villages, match it to the register as of the survey date, and measure.

Matching, village by village, between the persons found on the ground and the
register entries resident in that village at the end of the survey date (the fold
of the ledger, :func:`renkou.reconciliation.common.register_as_of`): first by ID
number, then by name + birth date + sex (the same characters, then the same pinyin,
so 张晓明 and 张小明 meet). A match is one to one.

Measures (DESIGN.md §4, last paragraph), per sampled village and rolled up to the
township and the county by summing numerators and denominators:

- accuracy 准确率 = register entries confirmed by the field check / register entries
  checked. Checked: every register entry resident in a sampled village on the survey
  date. Confirmed: found on the ground with name, sex, birth date and ID number
  agreeing (an ID number on the form that the register lacks is a disagreement; a
  form without one leaves the register's number unchecked).
- not found 水分率 = register entries not found on the ground / entries checked.
- under-count 漏报率 = births found on the ground but missing from the register /
  births found on the ground, births being persons found whose birth date lies in the
  reference period (``reference_start`` to the survey date).

Each rate carries its 95% Wilson interval (:func:`renkou.demography.intervals.wilson_interval`).

Extrapolation to unsampled villages (:func:`extrapolate`) is a ratio estimator: an
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
import time
from collections import defaultdict
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
from renkou.core.tables import ImportRejected, Problems, RowError, read_table
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.identity import name_spellings
from renkou.register.models import Person, PersonStatus

from .common import (
    Rate,
    check_id,
    parse_date,
    parse_sex,
    rate,
    register_as_of,
    rollup,
    visible_rollup,
)
from .models import (
    Discrepancy,
    DiscrepancyKind,
    Survey,
    SurveyEntry,
    SurveyMember,
    SurveyVillage,
)

__all__ = [
    "SURVEY_COLUMNS",
    "SURVEY_REQUIRED",
    "HEADER_ALIASES",
    "SurveyRow",
    "validate_survey",
    "import_survey",
    "match_village",
    "UnitRates",
    "survey_rates",
    "extrapolate",
    "DEFF_TOWNSHIP",
    "DEFF_COUNTY",
]

SURVEY_REQUIRED = ("village_code", "household_no", "name", "sex", "birth_date")
SURVEY_COLUMNS = SURVEY_REQUIRED + ("id_number", "relationship", "remarks")
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


@dataclass
class SurveyPlan:
    rows: list[SurveyRow] = field(default_factory=list)
    errors: Problems = field(default_factory=Problems)
    villages: dict[int, OrgUnit] = field(default_factory=dict)


def _header(raw: list[str]) -> list[str]:
    return [HEADER_ALIASES.get(h, h) for h in raw]


def validate_survey(path: str | Path, *, survey_date: dt.date, user=None,
                    today: dt.date | None = None) -> SurveyPlan:
    """Check every row of a field-check file; nothing is written.

    Every problem is collected with its spreadsheet row (the header is row 1), column
    and reason. With ``user``, villages must lie in that user's subtree.
    """
    today = today or clock.today()
    plan = SurveyPlan()
    errors = plan.errors
    if survey_date > today:
        errors.append(RowError(0, "date", _("the survey date is in the future")))
    header, cells_iter = read_table(path)
    header = _header(header)
    missing = [c for c in SURVEY_REQUIRED if c not in header]
    if missing:
        errors.extend(RowError(1, c, _("the column is missing")) for c in missing)
        return plan
    col = {name: i for i, name in enumerate(header)}
    width = len(header)
    units = OrgUnit.objects.all() if user is None else OrgUnit.objects.visible_to(user)
    villages = {u.code: u for u in units.filter(level=OrgLevel.VILLAGE)}
    seen_ids: dict[str, int] = {}

    def cell(cells: list[str], name: str) -> str:
        i = col.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    for rownum, cells in enumerate(cells_iter, start=2):
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
        if errors.total == problems_before:
            plan.villages[village.pk] = village
            plan.rows.append(SurveyRow(rownum, village.pk, household_no, name, sex, birth_date,
                                       id_number, relationship, remarks))
    if not plan.rows and not errors:
        errors.append(RowError(2, "", _("the file has no rows")))
    return plan


def match_village(found: list[dict[str, Any]], expected: list[dict[str, Any]]
                  ) -> dict[int, tuple[int, str]]:
    """One-to-one matches between persons found (``key``, ``name``, ``sex``,
    ``birth_date``, ``id_number``) and register entries (``pk`` and the same fields).

    Returns ``found key -> (person pk, method)`` with method ``id``, ``name`` or
    ``pinyin``: ID number first, then name + birth date + sex, then pinyin + birth
    date + sex, each pass over what is still unmatched, in row order.
    """
    result: dict[int, tuple[int, str]] = {}
    used: set[int] = set()
    by_id = {e["id_number"]: e["pk"] for e in expected if e["id_number"]}
    ids = {e["pk"]: e["id_number"] for e in expected}
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
                # an entry whose ID number agrees (both blank) before one that does not
                same = [pk for pk in candidates if ids[pk] == f["id_number"]]
                pk = (same or candidates)[0]
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


@transaction.atomic
def _write_survey(plan: SurveyPlan, *, name: str, survey_date: dt.date,
                  reference_start: dt.date, user, file_name: str) -> Survey:
    survey = Survey.objects.create(
        name=name, survey_date=survey_date, reference_start=reference_start,
        imported_by=user if user is not None and user.is_authenticated else None,
        imported_at=clock.now(), file_name=file_name)
    SurveyVillage.objects.bulk_create(
        SurveyVillage(survey=survey, village_id=v) for v in sorted(plan.villages))
    members = SurveyMember.objects.bulk_create(
        SurveyMember(survey=survey, village_id=r.village_id, row=r.row,
                     household_no=r.household_no, name=r.name, sex=r.sex,
                     birth_date=r.birth_date, id_number=r.id_number,
                     relationship=r.relationship, remarks=r.remarks)
        for r in plan.rows)
    resident = register_as_of(plan.villages.values(), survey_date)
    persons = {
        p["pk"]: p for p in Person.objects.filter(pk__in=list(resident)).values(
            "pk", "name", "sex", "birth_date", "id_number")
    }
    for p in persons.values():
        p["id_number"] = p["id_number"] or ""
    expected_by_village: dict[int, list[dict]] = defaultdict(list)
    for pk in sorted(resident):
        expected_by_village[resident[pk]].append(persons[pk])
    found_by_village: dict[int, list[dict]] = defaultdict(list)
    for m in members:
        found_by_village[m.village_id].append(
            {"key": m.pk, "name": m.name, "sex": m.sex, "birth_date": m.birth_date,
             "id_number": m.id_number, "member": m})
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
            m = member_of.get(e["pk"])
            entries.append(SurveyEntry(survey=survey, village_id=village_id, person_id=e["pk"],
                                       member=m, confirmed=e["pk"] in confirmed))
            if m is None:
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
                  today: dt.date | None = None) -> Survey:
    """Validate a field-check file and, if it has no problem, store and match it in one
    transaction. Raises :class:`ImportRejected` with every problem otherwise.

    ``reference_start`` defaults to one year before the survey date.
    """
    if user is not None and not has_capability(user, Capability.EDIT_REGISTER):
        raise PermissionDenied(_("this role may not change the register"))
    started = time.perf_counter()
    plan = validate_survey(path, survey_date=survey_date, user=user, today=today)
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
            "survey_date": survey_date.isoformat(),
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


@dataclass
class UnitRates:
    """The measures of one unit (a sampled village, or a township/county rolled up)."""

    unit: OrgUnit
    counts: dict[str, float]
    accuracy: Rate
    not_found: Rate
    under_count: Rate
    sampled_villages: int = 0


def village_counts(survey: Survey) -> dict[int, dict[str, float]]:
    """Counts per sampled village: one GROUP BY over the register entries checked and
    one over the persons found."""
    counts: dict[int, dict[str, float]] = {
        v: dict.fromkeys(COUNT_KEYS, 0)
        for v in survey.sampled.values_list("village_id", flat=True)}
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
    keys = (*COUNT_KEYS, "sampled")
    rows = [_rates(unit, c, sampled=int(c["sampled"]))
            for unit, c in visible_rollup(counts, keys, user)]
    return rows


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
    else the county's (design effect 4)."""
    counts = village_counts(survey)
    sampled_units = OrgUnit.objects.in_bulk(list(counts))
    totals = rollup(counts, COUNT_KEYS, sampled_units)
    villages = OrgUnit.objects.filter(level=OrgLevel.VILLAGE).exclude(pk__in=list(counts))
    if user is not None:
        villages = villages.filter(pk__in=OrgUnit.objects.visible_to(user).values("pk"))
    villages = list(villages.order_by("path"))
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
