"""Batch import of persons into the register (批量导入), all or nothing.

``import_persons(path)`` reads a .csv (UTF-8, with or without a byte-order mark) or
.xlsx file with the columns of the person export (see
:data:`renkou.register.exporting.PERSON_COLUMNS`) and optionally
``mother_id_number``, ``father_id_number``, ``enrolled_date`` (建档日期, the date of
the ``enrol`` event; default today), ``status_date`` (date of the death or move-out
for rows whose status is ``dead``/``moved_out``; default the enrolment date),
``relationship``, ``ethnicity`` and ``education``.

It works in two phases:

1. **Validate** every row in pure Python, with the database consulted in a few
   batched queries (existing person ids, ID numbers, households, parents).
   Every problem is collected with its spreadsheet row (the header is row 1),
   column and reason. If there is any, :class:`ImportRejected` is raised and
   nothing is written.
2. **Write** in one transaction: primary keys are reserved above the current
   maximum (the tables are locked against other writers on PostgreSQL; SQLite
   holds its write lock from ``BEGIN IMMEDIATE``), then households, persons and
   their ledger events are inserted in bulk — ``COPY`` on PostgreSQL,
   ``executemany`` elsewhere. Each person gets one ``enrol`` event (recorded via
   ``import``) whose details set household, relationship, marital status and
   hukou type, and a ``death``/``move_out`` event when the row's status says so,
   so the fold of the ledger equals the register row.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.color import no_style
from django.db import connection, models
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit, clock
from renkou.core.bulkload import bulk_load, first_free_id, insert_rows, worth_bulk_mode
from renkou.core.columns import machine_header
from renkou.core.models import AuditAction
from renkou.core.progress import progress_bar
from renkou.core.tables import ImportRejected, Problems, RowError, parse_date_cell, read_table
from renkou.orgunits.models import OrgUnit

from .ethnicity import parse_ethnicity
from .file_columns import PERSON_FILE_COLUMNS, accepted_values
from .identity import id_number_problems, name_spellings, normalise_id_number, spell_names
from .models import (
    Education,
    EventType,
    Household,
    LifeEvent,
    MaritalStatus,
    Person,
    PersonStatus,
    Relationship,
)
from .services import MAX_MOTHER_AGE, MIN_FATHER_AGE, MIN_MOTHER_AGE, age_on, id_number_taken_message

__all__ = [
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "ImportPlan",
    "ImportSummary",
    "ImportRejected",
    "RowError",
    "validate_persons",
    "write_persons",
    "import_persons",
]

REQUIRED_COLUMNS = ("name", "sex", "birth_date", "org_code", "hukou_type")
OPTIONAL_COLUMNS = (
    "person_id", "id_number", "household_no", "marital_status", "status",
    "mother_person_id", "father_person_id", "mother_id_number", "father_id_number",
    "source_ref", "enrolled_date", "status_date", "relationship", "ethnicity", "education",
)


@dataclass(slots=True)
class _Row:
    row: int
    person_id: int | None
    id_number: str | None
    name: str
    sex: str
    birth_date: dt.date | None
    org_id: int | None
    household_no: str
    hukou_type: str
    marital_status: str
    status: str
    relationship: str
    ethnicity: str
    education: str
    source_ref: str
    enrolled_date: dt.date | None
    status_date: dt.date | None
    mother_pid: int | None = None
    father_pid: int | None = None
    mother_idn: str | None = None
    father_idn: str | None = None
    mother_id: int | None = None  # resolved primary key
    father_id: int | None = None
    household_id: int | None = None


class _Spellings:
    """Pinyin and initials (via :func:`~renkou.register.identity.name_spellings`) of
    every distinct name in a file.

    Converting a name to pinyin costs about as much as checking the rest of its row,
    so on a machine with more than one core the distinct names are sent, in batches,
    to one helper process while the main process goes on checking rows. The helper is
    spawned, not forked: a forked one would share the database connection and, if the
    import were killed, live on holding the import's transaction open (on PostgreSQL,
    locking the register); a spawned one holds no connection and ends with its parent.
    """

    BATCH = 5000

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.pending: list[str] = []
        self.futures: list[tuple[list[str], Future]] = []
        self.pool: ProcessPoolExecutor | None = None
        self.parallel = (os.cpu_count() or 1) > 1
        self.done: dict[str, tuple[str, str]] | None = None

    def add(self, name: str) -> None:
        if name in self.seen:
            return
        self.seen.add(name)
        self.pending.append(name)
        if self.parallel and len(self.pending) >= self.BATCH:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"))
            batch, self.pending = self.pending, []
            self.futures.append((batch, self.pool.submit(spell_names, batch)))

    def result(self) -> dict[str, tuple[str, str]]:
        if self.done is None:
            done: dict[str, tuple[str, str]] = {}
            for batch, future in self.futures:
                done.update(zip(batch, future.result(), strict=True))
            done.update(zip(self.pending, spell_names(self.pending), strict=True))
            if self.pool is not None:
                self.pool.shutdown()
            self.done, self.futures, self.pending, self.seen = done, [], [], set()
        return self.done

    def cancel(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


@dataclass
class ImportPlan:
    """A validated file, ready to be written."""

    rows: list[_Row]
    new_households: dict[str, int]  # household_no -> org_id, in first-seen order
    errors: Problems = field(default_factory=Problems)
    seconds: float = 0.0
    spellings: _Spellings = field(default_factory=_Spellings)


@dataclass
class ImportSummary:
    persons: int
    households: int
    events: int
    validate_seconds: float
    write_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.validate_seconds + self.write_seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "persons": self.persons, "households": self.households, "events": self.events,
            "validate_seconds": self.validate_seconds, "write_seconds": self.write_seconds,
        }


# --------------------------------------------------------------------------- phase 1


class _IdChecker:
    """:func:`~renkou.register.identity.id_number_problems` with a cache.

    The costly part of the check is the area-code lookup, which depends only on the
    first six digits and the birth year. Once a number has passed the full check,
    later numbers with the same area and birth year that are 17 ASCII digits plus a
    correct check character, and whose birth date and sex digit agree with the row,
    are accepted without the lookup; everything else takes the full check, so the
    reasons reported are always the ones the identity module gives.
    """

    def __init__(self) -> None:
        self.known_areas: set[str] = set()

    def problems(self, number: str, birth_date: dt.date | None, sex: str) -> list[str]:
        if (
            birth_date is not None and sex and len(number) == 18
            and number[:10] in self.known_areas
            and number[:17].isascii() and number[:17].isdigit()
        ):
            check = (1 - 2 * int(number[:17], 13)) % 11
            if number[17] == ("X" if check == 10 else str(check)) \
                    and number[6:14] == f"{birth_date:%Y%m%d}" \
                    and (int(number[16]) % 2 == 1) == (sex == "M"):
                return []
        found = id_number_problems(number, birth_date, sex or None)
        if not found:
            self.known_areas.add(number[:10])
        return found


def _choices(choices) -> str:
    """The codes of a coded column with their labels, for a message: ``single 未婚, …``."""
    return ", ".join(f"{value} {label}" for value, label in choices.choices)


def _parse_date(text: str) -> dt.date | None:
    return parse_date_cell(text)


def _batched(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _existing(model: type[models.Model], lookup: str, values: Iterable[Any],
              *fields: str) -> list[tuple]:
    """Rows (``fields``) of ``model`` whose ``lookup`` column is in ``values``.

    Plain SQL in large batches: the ORM's per-value processing of ``__in`` lists
    would cost more than the rest of the validation of a big file.
    """
    values = list(values)
    if not values:
        return []
    opts = model._meta
    qn = connection.ops.quote_name
    table = qn(opts.db_table)
    cols = ", ".join(qn(opts.get_field(f).column) for f in fields)
    key = qn(opts.get_field(lookup).column)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 (model metadata)
        if cursor.fetchone() is None:
            return []
        if connection.vendor == "postgresql":
            for chunk in _batched(values, 50_000):
                cursor.execute(f"SELECT {cols} FROM {table} WHERE {key} = ANY(%s)",  # noqa: S608
                               [list(chunk)])
                found.extend(cursor.fetchall())
        else:
            size = 900
            for chunk in _batched(values, size):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT {cols} FROM {table} WHERE {key} IN ({marks})",  # noqa: S608
                               list(chunk))
                found.extend(cursor.fetchall())
    date_fields = [i for i, f in enumerate(fields)
                   if isinstance(opts.get_field(f), models.DateField)]
    if date_fields and connection.vendor != "postgresql":
        converted = []
        for row in found:
            row = list(row)
            for i in date_fields:
                if isinstance(row[i], str):
                    row[i] = dt.date.fromisoformat(row[i])
            converted.append(tuple(row))
        found = converted
    return found


def validate_persons(path: str | Path, *, today: dt.date | None = None,
                     progress: bool = False, user=None) -> ImportPlan:
    """Read and check every row of a person file; nothing is written.

    The returned plan's ``errors`` lists every problem (empty when the file is valid).
    With ``user``, rows may only go to org units in that user's subtree.
    """
    if user is not None and not has_capability(user, Capability.EDIT_REGISTER):
        raise PermissionDenied(_("this role may not change the register"))
    started = time.perf_counter()
    today = today or clock.today()
    written, cells_iter = read_table(path)
    header = machine_header(written, PERSON_FILE_COLUMNS)  # 姓名 → name, 性别 → sex, …
    errors = Problems()
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        errors.extend(RowError(written.row, c, _("the column is missing")) for c in missing)
        return ImportPlan([], {}, errors, time.perf_counter() - started)
    col = {name: i for i, name in enumerate(header)}
    width = len(header)
    units = OrgUnit.objects.all() if user is None else OrgUnit.objects.visible_to(user)
    org_ids = dict(units.values_list("code", "id"))
    # each coded column takes its code, its Chinese or English label, or an older word
    sexes, hukous = accepted_values("sex"), accepted_values("hukou_type")
    maritals, statuses = accepted_values("marital_status"), accepted_values("status")
    relationships, educations = accepted_values("relationship"), accepted_values("education")
    id_checker = _IdChecker()
    spellings = _Spellings()

    # A column the file lacks reads the blank cell appended at the end of each row.
    i_birth_date = col.get("birth_date", width)
    i_education = col.get("education", width)
    i_enrolled_date = col.get("enrolled_date", width)
    i_ethnicity = col.get("ethnicity", width)
    i_father_id_number = col.get("father_id_number", width)
    i_father_person_id = col.get("father_person_id", width)
    i_household_no = col.get("household_no", width)
    i_hukou_type = col.get("hukou_type", width)
    i_id_number = col.get("id_number", width)
    i_marital_status = col.get("marital_status", width)
    i_mother_id_number = col.get("mother_id_number", width)
    i_mother_person_id = col.get("mother_person_id", width)
    i_name = col.get("name", width)
    i_org_code = col.get("org_code", width)
    i_person_id = col.get("person_id", width)
    i_relationship = col.get("relationship", width)
    i_sex = col.get("sex", width)
    i_source_ref = col.get("source_ref", width)
    i_status = col.get("status", width)
    i_status_date = col.get("status_date", width)

    def ref_int(rownum: int, name: str, text: str) -> int | None:
        if not text:
            return None
        if text.isdigit() and 0 < int(text) < 2**62:
            return int(text)
        errors.append(RowError(rownum, name, _("a person id is a positive whole number"), text))
        return None

    rows: list[_Row] = []
    bar = progress_bar(desc=_("checking rows"), show=progress)
    for rownum, cells in enumerate(cells_iter, start=written.row + 1):
        if rownum % 1000 == 0:
            bar.update(1000)
        if len(cells) != width:
            cells = (cells + [""] * width)[:width]
        if not any(cells):
            continue
        cells.append("")

        name = cells[i_name]
        if not name:
            errors.append(RowError(rownum, "name", _("the name is required")))
        elif len(name) > 50:
            errors.append(RowError(rownum, "name", _("the name is longer than 50 characters"),
                                   name))
        else:
            spellings.add(name)
        raw_sex = cells[i_sex]
        sex = sexes.get(raw_sex.lower(), "")
        if not sex:
            errors.append(RowError(rownum, "sex", _("the sex must be M or F"), raw_sex))
        raw = cells[i_birth_date]
        birth_date = _parse_date(raw) if raw else None
        if not raw:
            errors.append(RowError(rownum, "birth_date", _("the birth date is required")))
        elif birth_date is None:
            errors.append(RowError(rownum, "birth_date",
                                   _("not a date; write it as YYYY-MM-DD"), raw))
        elif birth_date > today:
            errors.append(RowError(rownum, "birth_date", _("the birth date is in the future"),
                                   raw))
            birth_date = None
        org_code = cells[i_org_code]
        org_id = org_ids.get(org_code)
        if not org_code:
            errors.append(RowError(rownum, "org_code", _("the org unit code is required")))
        elif org_id is None:
            errors.append(RowError(rownum, "org_code", _("no org unit has this code"), org_code))
        raw = cells[i_hukou_type]
        hukou = hukous.get(raw.lower(), "")
        if not hukou:
            errors.append(RowError(rownum, "hukou_type",
                                   _("use rural or urban (农业户口/非农业户口)"), raw))
        raw = cells[i_marital_status]
        marital = maritals.get(raw.lower(), "") if raw else MaritalStatus.SINGLE.value
        if not marital:
            errors.append(RowError(rownum, "marital_status",
                                   _("unknown marital status; use one of: %(choices)s")
                                   % {"choices": _choices(MaritalStatus)}, raw))
        raw = cells[i_status]
        status = statuses.get(raw.lower(), "") if raw else PersonStatus.RESIDENT.value
        if not status:
            errors.append(RowError(rownum, "status", _("unknown status; use one of: %(choices)s")
                                   % {"choices": _choices(PersonStatus)}, raw))
        raw = cells[i_relationship]
        relationship = relationships.get(raw.lower(), "") if raw else ""
        if raw and not relationship:
            errors.append(RowError(rownum, "relationship",
                                   _("unknown relationship; use one of: %(choices)s")
                                   % {"choices": _choices(Relationship)}, raw))
        raw = cells[i_education]
        education = educations.get(raw.lower(), "") if raw else ""
        if raw and not education:
            errors.append(RowError(rownum, "education",
                                   _("unknown education; use one of: %(choices)s")
                                   % {"choices": _choices(Education)}, raw))
        ethnicity = parse_ethnicity(cells[i_ethnicity] or "01") or ""
        if not ethnicity:
            errors.append(RowError(rownum, "ethnicity",
                                   _("unknown ethnicity: give a GB 3304 code (01 汉族) or name"),
                                   cells[i_ethnicity]))
        household_no = cells[i_household_no]
        if len(household_no) > 24:
            errors.append(RowError(rownum, "household_no",
                                   _("the household number is longer than 24 characters"),
                                   household_no))
        source_ref = cells[i_source_ref]
        if len(source_ref) > 64:
            errors.append(RowError(rownum, "source_ref",
                                   _("the source reference is longer than 64 characters"),
                                   source_ref))
        person_id = ref_int(rownum, "person_id", cells[i_person_id])

        id_number = normalise_id_number(cells[i_id_number])
        if id_number is not None:
            for problem in id_checker.problems(id_number, birth_date, sex):
                errors.append(RowError(rownum, "id_number", problem, id_number))

        raw = cells[i_enrolled_date]
        enrolled = _parse_date(raw) if raw else today
        if enrolled is None:
            errors.append(RowError(rownum, "enrolled_date",
                                   _("not a date; write it as YYYY-MM-DD"), raw))
        elif enrolled > today:
            errors.append(RowError(rownum, "enrolled_date",
                                   _("the enrolment date is in the future"), raw))
        elif birth_date is not None and enrolled < birth_date:
            errors.append(RowError(rownum, "enrolled_date",
                                   _("the enrolment date is before the person's birth"), raw))
        raw = cells[i_status_date]
        status_date = None
        if raw:
            status_date = _parse_date(raw)
            if status not in (PersonStatus.DEAD, PersonStatus.MOVED_OUT):
                errors.append(RowError(rownum, "status_date",
                                       _("a status date is only for status dead or moved_out"),
                                       raw))
            elif status_date is None:
                errors.append(RowError(rownum, "status_date",
                                       _("not a date; write it as YYYY-MM-DD"), raw))
            elif status_date > today:
                errors.append(RowError(rownum, "status_date",
                                       _("the status date is in the future"), raw))
            elif enrolled is not None and status_date < enrolled:
                errors.append(RowError(rownum, "status_date",
                                       _("the status date is before the enrolment date"), raw))
        elif status in (PersonStatus.DEAD, PersonStatus.MOVED_OUT):
            status_date = enrolled

        mother_pid = ref_int(rownum, "mother_person_id", cells[i_mother_person_id])
        father_pid = ref_int(rownum, "father_person_id", cells[i_father_person_id])
        mother_idn = normalise_id_number(cells[i_mother_id_number])
        father_idn = normalise_id_number(cells[i_father_id_number])

        rows.append(_Row(
            rownum, person_id, id_number, name, sex, birth_date, org_id, household_no, hukou,
            marital, status, relationship, ethnicity, education, source_ref, enrolled,
            status_date, mother_pid, father_pid, mother_idn, father_idn,
        ))
    bar.close()

    _check_across_rows(rows, errors, None if user is None else set(org_ids.values()))
    plan = ImportPlan(rows, {}, errors, spellings=spellings)
    _plan_households(plan)
    plan.errors.sort(key=lambda e: e.row)
    if plan.errors:
        spellings.cancel()
    plan.seconds = time.perf_counter() - started
    return plan


def _check_across_rows(rows: list[_Row], errors: list[RowError],
                       visible_orgs: set[int] | None = None) -> None:
    """Uniqueness against the file and the database, and parent links.

    With ``visible_orgs`` (the importing user's units), a parent must be registered in
    one of them: one outside is reported exactly as one not in the register, and an ID
    number held outside them is reported without naming its holder — so that a file
    cannot be used to find out who is registered where, or how old they are."""
    by_pid: dict[int, _Row] = {}
    by_idn: dict[str, _Row] = {}
    for r in rows:
        if r.person_id is not None:
            first = by_pid.setdefault(r.person_id, r)
            if first is not r:
                errors.append(RowError(r.row, "person_id",
                                       _("the person id is repeated (first in row %(row)s)")
                                       % {"row": first.row}, str(r.person_id)))
        if r.id_number is not None:
            first = by_idn.setdefault(r.id_number, r)
            if first is not r:
                errors.append(RowError(r.row, "id_number",
                                       _("the ID number is repeated (first in row %(row)s)")
                                       % {"row": first.row}, r.id_number))
    if by_pid:
        taken = {pk for (pk,) in _existing(Person, "id", by_pid, "id")}
        for pk in sorted(taken):
            r = by_pid[pk]
            errors.append(RowError(r.row, "person_id",
                                   _("this person id is already used in the register"), str(pk)))
    if by_idn:
        for idn, pk, org_id in _existing(Person, "id_number", by_idn, "id_number", "id",
                                         "registered_org"):
            r = by_idn[idn]
            shown = visible_orgs is None or org_id in visible_orgs
            errors.append(RowError(r.row, "id_number",
                                   id_number_taken_message(pk, shown=shown), idn))

    # Parents: in the file first, then in the register.
    want_pids = {p for r in rows for p in (r.mother_pid, r.father_pid)
                 if p is not None and p not in by_pid}
    want_idns = {n for r in rows for n in (r.mother_idn, r.father_idn)
                 if n is not None and n not in by_idn}
    db_by_pid: dict[int, tuple[int, str, dt.date]] = {}
    db_by_idn: dict[str, tuple[int, str, dt.date]] = {}
    if want_pids:
        for pk, sex, bd, org_id in _existing(Person, "id", want_pids, "id", "sex", "birth_date",
                                             "registered_org"):
            if visible_orgs is None or org_id in visible_orgs:
                db_by_pid[pk] = (pk, sex, bd)
    if want_idns:
        for idn, pk, sex, bd, org_id in _existing(Person, "id_number", want_idns, "id_number",
                                                  "id", "sex", "birth_date", "registered_org"):
            if visible_orgs is None or org_id in visible_orgs:
                db_by_idn[idn] = (pk, sex, bd)

    # Rows without a person id get one when written; parents in the file are linked
    # through the row object until then.
    for r in rows:
        for role in ("mother", "father"):
            pid, idn = getattr(r, f"{role}_pid"), getattr(r, f"{role}_idn")
            if pid is None and idn is None:
                continue
            target: _Row | tuple | None = None
            via_pid = via_idn = None
            if pid is not None:
                via_pid = by_pid.get(pid) or db_by_pid.get(pid)
                if via_pid is None:
                    errors.append(RowError(r.row, f"{role}_person_id",
                                           _("no person has this id, in the file or the register"),
                                           str(pid)))
                    continue
            if idn is not None:
                via_idn = by_idn.get(idn) or db_by_idn.get(idn)
                if via_idn is None:
                    errors.append(RowError(
                        r.row, f"{role}_id_number",
                        _("no person has this ID number, in the file or the register"), idn))
                    continue
            if via_pid is not None and via_idn is not None and via_pid is not via_idn:
                errors.append(RowError(r.row, f"{role}_id_number",
                                       _("the parent's id and ID number name different persons"),
                                       idn or ""))
                continue
            target = via_pid if via_pid is not None else via_idn
            field_name = f"{role}_person_id" if pid is not None else f"{role}_id_number"
            value = str(pid) if pid is not None else (idn or "")
            if target is r:
                errors.append(RowError(r.row, field_name,
                                       _("a person cannot be their own parent"), value))
                continue
            if isinstance(target, _Row):
                p_sex, p_bd = target.sex, target.birth_date
            else:
                p_sex, p_bd = target[1], target[2]
            problem = _parent_problem(role, p_sex, p_bd, r.birth_date)
            if problem:
                errors.append(RowError(r.row, field_name, problem, value))
                continue
            setattr(r, f"{role}_id", target if isinstance(target, _Row) else target[0])


def _parent_problem(role: str, sex: str, parent_birth: dt.date | None,
                    child_birth: dt.date | None) -> str | None:
    if role == "mother" and sex != "F":
        return _("the mother must be a woman")
    if role == "father" and sex != "M":
        return _("the father must be a man")
    if parent_birth is None or child_birth is None:
        return None
    age = age_on(parent_birth, child_birth) if child_birth >= parent_birth else -1
    if role == "mother":
        if age < MIN_MOTHER_AGE:
            return _("the mother was %(age)s at the birth, younger than %(min)s") % {
                "age": max(age, 0), "min": MIN_MOTHER_AGE}
        if age > MAX_MOTHER_AGE:
            return _("the mother was %(age)s at the birth, older than %(max)s") % {
                "age": age, "max": MAX_MOTHER_AGE}
    elif age < MIN_FATHER_AGE:
        return _("the father was %(age)s at the birth, younger than %(min)s") % {
            "age": max(age, 0), "min": MIN_FATHER_AGE}
    return None


def _plan_households(plan: ImportPlan) -> None:
    """Existing households by number; new ones take the org of their first row."""
    numbers = {r.household_no for r in plan.rows if r.household_no}
    existing = {no: (pk, org_id) for no, pk, org_id in
                _existing(Household, "household_no", numbers, "household_no", "id", "org_id")}
    new: dict[str, tuple[int, int]] = {}  # number -> (org_id, first row)
    for r in plan.rows:
        if not r.household_no or r.org_id is None:
            continue
        if r.household_no in existing:
            pk, org_id = existing[r.household_no]
            if org_id != r.org_id:
                plan.errors.append(RowError(
                    r.row, "household_no",
                    _("this household belongs to another org unit"), r.household_no))
            r.household_id = pk
            continue
        first = new.setdefault(r.household_no, (r.org_id, r.row))
        if first[0] != r.org_id:
            plan.errors.append(RowError(
                r.row, "household_no",
                _("this household is in another org unit in row %(row)s") % {"row": first[1]},
                r.household_no))
    plan.new_households = {no: org_id for no, (org_id, _row) in new.items()}


# --------------------------------------------------------------------------- phase 2


def write_persons(plan: ImportPlan, *, user=None, progress: bool = False,
                  file_name: str = "") -> ImportSummary:
    """Write a validated plan in one transaction (see the module docstring), with its
    entry in the access log: a kill at any moment leaves neither or both."""
    if plan.errors:
        raise ImportRejected(plan.errors, len(plan.rows))
    started = time.perf_counter()
    rows = plan.rows
    pg = connection.vendor == "postgresql"
    now = clock.now()
    recorded_at = now if pg else connection.ops.adapt_datetimefield_value(now)
    user_id = user.pk if user is not None else None

    def day(value: dt.date) -> Any:
        return value if pg else value.isoformat()

    n_events = 0
    # a large file next to the register: rebuild the indexes once at the end
    bulk = worth_bulk_mode(len(rows), Person.objects.count())
    with bulk_load((Household, Person, LifeEvent), enabled=bulk), connection.cursor() as cursor:
        if pg:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table)
                               for m in (Household, Person, LifeEvent))
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        next_pid = max(first_free_id(cursor, Person),
                       max((r.person_id for r in rows if r.person_id), default=0) + 1)
        for r in rows:
            if r.person_id is None:
                r.person_id = next_pid
                next_pid += 1
        household_ids: dict[str, int] = {}
        next_hid = first_free_id(cursor, Household)
        for no in plan.new_households:
            household_ids[no] = next_hid
            next_hid += 1
        heads: dict[str, int] = {}
        for r in rows:
            if r.household_id is None and r.household_no:
                r.household_id = household_ids[r.household_no]
                if r.relationship == Relationship.HEAD:
                    heads.setdefault(r.household_no, r.person_id)
        if household_ids:
            insert_rows(cursor, Household, ("id", "household_no", "address", "org", "head"),
                        ((hid, no, "", plan.new_households[no], heads.get(no))
                         for no, hid in household_ids.items()))

        bar = progress_bar(total=len(rows), desc=_("writing persons"), show=progress)
        names_cache = plan.spellings.result()

        def person_rows() -> Iterable[tuple]:
            for r in rows:
                spell = names_cache.get(r.name)
                if spell is None:
                    spell = names_cache[r.name] = name_spellings(r.name)
                mother, father = r.mother_id, r.father_id
                if isinstance(mother, _Row):
                    mother = mother.person_id
                if isinstance(father, _Row):
                    father = father.person_id
                yield (r.person_id, r.id_number, r.name, spell[0], spell[1], r.sex,
                       day(r.birth_date), r.ethnicity, r.hukou_type, r.org_id, None,
                       r.household_id, r.relationship, r.marital_status, r.education,
                       mother, father, None, r.status, r.source_ref)

        insert_rows(cursor, Person,
                    ("id", "id_number", "name", "name_pinyin", "name_initials", "sex", "birth_date",
                     "ethnicity", "hukou_type", "registered_org", "current_org", "household",
                     "relationship", "marital_status", "education", "mother", "father",
                     "birth_order", "status", "source_ref"),
                    person_rows(), progress=bar.update)
        bar.close()

        n_extra = sum(1 for r in rows if r.status != PersonStatus.RESIDENT)
        n_events = len(rows) + n_extra
        first_eid = first_free_id(cursor, LifeEvent)
        bar = progress_bar(total=n_events, desc=_("writing ledger events"), unit=" events",
                           show=progress)
        dumps = json.dumps

        def event_rows() -> Iterable[tuple]:
            eid = first_eid
            for r in rows:
                payload = dumps({"household_id": r.household_id, "relationship": r.relationship,
                                 "marital_status": r.marital_status, "hukou_type": r.hukou_type})
                yield (eid, EventType.ENROL.value, r.person_id, day(r.enrolled_date),
                       recorded_at, user_id, "import", r.org_id, payload, None)
                eid += 1
            for r in rows:
                if r.status == PersonStatus.RESIDENT:
                    continue
                kind = EventType.DEATH if r.status == PersonStatus.DEAD else EventType.MOVE_OUT
                yield (eid, kind.value, r.person_id, day(r.status_date), recorded_at, user_id,
                       "import", r.org_id, "{}", None)
                eid += 1

        insert_rows(cursor, LifeEvent,
                    ("id", "event_type", "person", "event_date", "recorded_at", "recorded_by",
                     "recorded_via", "org", "payload", "supersedes"),
                    event_rows(), progress=bar.update)
        bar.close()
        if pg:
            for sql in connection.ops.sequence_reset_sql(no_style(),
                                                         [Household, Person, LifeEvent]):
                cursor.execute(sql)
        audit.record(AuditAction.IMPORT, "persons", details={
            "file": file_name, "rows": len(rows),
            "person_ids": [min(r.person_id for r in rows), max(r.person_id for r in rows)]
            if rows else []}, user=user)
    return ImportSummary(len(rows), len(plan.new_households), n_events, plan.seconds,
                         time.perf_counter() - started)


def import_persons(path: str | Path, *, user=None, today: dt.date | None = None,
                   progress: bool = False) -> ImportSummary:
    """Validate a person file and, if it has no problem, write it in one transaction.

    Raises :class:`ImportRejected` (with every problem found) when any row is invalid.
    """
    plan = validate_persons(path, today=today, progress=progress, user=user)
    if plan.errors:
        raise ImportRejected(plan.errors, len(plan.rows))
    return write_persons(plan, user=user, progress=progress, file_name=Path(path).name)
