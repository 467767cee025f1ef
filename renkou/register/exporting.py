"""Batch export of the register and the ledger (导出), streamed in bounded memory.

- :func:`export_persons` writes the register as it stands, or as of a past date by
  folding the ledger (:func:`renkou.register.ledger.fold_many`) over a stream of
  life events ordered by person.
- :func:`export_events` writes the ledger itself.

Output is CSV (UTF-8 with a byte-order mark, so Excel shows Chinese) or, when the
file name ends in ``.xlsx``, an Excel workbook written in openpyxl's write-only mode.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit
from renkou.core.models import AuditAction
from renkou.core.scoping import subtree_q
from renkou.core.tables import TableWriter
from renkou.orgunits.models import OrgUnit

from .file_columns import chinese_header, chinese_value
from .ledger import EventRecord, fold_many
from .models import Household, LifeEvent, Person
from .vocabulary import NOT_PERSONS

__all__ = ["PERSON_COLUMNS", "EVENT_COLUMNS", "export_persons", "export_events", "org_subtree"]

PERSON_COLUMNS = (
    "person_id", "id_number", "name", "sex", "birth_date", "org_code", "household_no",
    "hukou_type", "marital_status", "status", "mother_person_id", "father_person_id",
    "source_ref",
)
EVENT_COLUMNS = (
    "event_id", "person_id", "event_type", "event_date", "recorded_at", "recorded_by",
    "recorded_via", "org_code", "supersedes_event_id", "payload",
)
CHUNK = 5000


def _snapshot():
    """One read transaction on PostgreSQL, so streamed cursors see one snapshot and stay
    server-side; on SQLite a transaction would take the write lock, so none is opened."""
    return transaction.atomic() if connection.vendor == "postgresql" else nullcontext()


def org_subtree(code: str) -> OrgUnit:
    """The unit with this code (raises ``OrgUnit.DoesNotExist``)."""
    return OrgUnit.objects.get(code=code)


def _subtree_q(unit: OrgUnit, prefix: str) -> models.Q:
    return subtree_q(unit.path, f"{prefix}path")


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


class _ChineseRows:
    """A person table written in the Chinese form: 姓名, 性别 男, 户口性质 农业户口 …"""

    def __init__(self, writer: TableWriter) -> None:
        self.writer = writer

    def writerow(self, row) -> None:
        self.writer.writerow([chinese_value(c, v) for c, v in zip(PERSON_COLUMNS, row,
                                                                   strict=True)])


def export_persons(out: str | Path, *, org: str | None = None, as_of: dt.date | None = None,
                   progress: bool = False, user=None, labels: str = "machine") -> int:
    """Write persons to ``out``; return the number of rows written.

    ``labels="zh"`` writes Chinese headers and values (the form the upload page and the
    template use; imported back unchanged), the default the machine columns.

    Records merged into another as duplicates and records whose registration was
    voided are left out, at every date (:data:`NOT_PERSONS`). ``org`` (a division
    code) limits the export to that unit's subtree, judged by the registered org
    unit — as of ``as_of`` when given. Without ``as_of`` the register rows are
    streamed; with it the register at the end of that day is rebuilt from the
    ledger, and only persons in the register by then appear. With ``user``, only
    what that user may see (an org code outside the user's subtree raises
    ``OrgUnit.DoesNotExist``). Every export is logged.
    """
    persons, unit = _export_scope(user, org)
    # one rule with the statistics: a duplicate merged into another record, and a record
    # whose registration was voided, are persons of the register at no date
    persons = persons.exclude(status__in=NOT_PERSONS)
    chinese = labels == "zh"
    header = [chinese_header(c) for c in PERSON_COLUMNS] if chinese else PERSON_COLUMNS
    with _snapshot(), TableWriter(out, header, "人员" if chinese else "persons") as table:
        writer = _ChineseRows(table) if chinese else table
        if as_of is None:
            n = _write_current(writer, persons, unit, progress)
        else:
            n = _write_as_of(writer, persons, unit, as_of, progress)
    audit.record(AuditAction.EXPORT, "persons", details={
        "org": org or "", "as_of": as_of.isoformat() if as_of else "", "rows": n,
        "file": Path(out).name, "labels": labels})
    return n


def _export_scope(user, org: str | None) -> tuple[models.QuerySet, OrgUnit | None]:
    """The persons an export may contain and the unit it is limited to.

    Without a user (a batch job run by the server's operator) everything; with one,
    the user's subtree, and an org code outside it is not found.
    """
    if user is None:
        return Person.objects.all(), (org_subtree(org) if org else None)
    if not has_capability(user, Capability.EXPORT_REGISTER):
        raise PermissionDenied(_("this role may not export person records"))
    units = OrgUnit.objects.visible_to(user)
    unit = units.get(code=org) if org else (None if user.is_superuser else user.org)
    return Person.objects.visible_to(user), unit


def _write_current(writer: TableWriter, persons: models.QuerySet, unit: OrgUnit | None,
                   progress: bool) -> int:
    if unit is not None:
        persons = persons.filter(_subtree_q(unit, "registered_org__"))
    total = persons.count() if progress else None
    rows = persons.order_by("pk").values_list(
        "pk", "id_number", "name", "sex", "birth_date", "registered_org__code",
        "household__household_no", "hukou_type", "marital_status", "status", "mother_id",
        "father_id", "source_ref",
    )
    n = 0
    with tqdm(total=total, desc=_("exporting persons"), unit=" rows", unit_scale=True,
              disable=not progress, mininterval=0.5) as bar:
        for (pk, idn, name, sex, bd, org_code, hh_no, hukou, marital, status, mother, father,
             ref) in rows.iterator(chunk_size=CHUNK):
            writer.writerow((pk, idn or "", name, sex, bd.isoformat(), org_code, hh_no or "",
                             hukou, marital, status, mother or "", father or "", ref))
            n += 1
            if n % CHUNK == 0:
                bar.update(CHUNK)
        bar.update(n % CHUNK)
    return n


def _event_stream(bar: tqdm) -> Iterator[EventRecord]:
    events = LifeEvent.objects.order_by("person_id", "event_date", "pk").values_list(
        "pk", "person_id", "event_type", "event_date", "org_id", "payload", "supersedes_id")
    for n, row in enumerate(events.iterator(chunk_size=CHUNK), 1):
        if n % CHUNK == 0:
            bar.update(CHUNK)
        yield EventRecord(*row)


def _write_as_of(writer: TableWriter, persons: models.QuerySet, unit: OrgUnit | None,
                 as_of: dt.date, progress: bool) -> int:
    org_codes = dict(OrgUnit.objects.values_list("pk", "code"))
    wanted: set[int] | None = None
    if unit is not None:
        wanted = set(OrgUnit.objects.filter(_subtree_q(unit, "")).values_list("pk", flat=True))
    # Identity fields come from the register row; both streams run in person order
    # and are merged, so memory stays bounded whatever the size of the register.
    persons = persons.order_by("pk").values_list(
        "pk", "id_number", "name", "sex", "birth_date", "mother_id", "father_id", "source_ref"
    ).iterator(chunk_size=CHUNK)
    current: tuple | None = next(persons, None)
    total = LifeEvent.objects.count() if progress else None
    pending: list[tuple[tuple, dict[str, Any]]] = []
    n = 0

    def flush() -> None:
        nonlocal n
        hh_ids = {s["household_id"] for _p, s in pending if s.get("household_id")}
        numbers = dict(Household.objects.filter(pk__in=hh_ids).values_list("pk", "household_no")
                       ) if hh_ids else {}
        for (pk, idn, name, sex, bd, mother, father, ref), state in pending:
            writer.writerow((
                pk, idn or "", name, sex, bd.isoformat(),
                org_codes.get(state["registered_org_id"], ""),
                numbers.get(state.get("household_id"), ""), state.get("hukou_type") or "",
                state.get("marital_status") or "", state["status"], mother or "",
                father or "", ref,
            ))
            n += 1
        pending.clear()

    batch = min(CHUNK, (connection.features.max_query_params or CHUNK) - 10)
    with tqdm(total=total, desc=_("folding the ledger"), unit=" events", unit_scale=True,
              disable=not progress, mininterval=0.5) as bar:
        for person_id, state in fold_many(_event_stream(bar), as_of):
            if wanted is not None and state["registered_org_id"] not in wanted:
                continue
            while current is not None and current[0] < person_id:
                current = next(persons, None)
            if current is None or current[0] != person_id:
                continue
            pending.append((current, state))
            if len(pending) >= batch:
                flush()
        flush()
    return n


def export_events(out: str | Path, *, event_type: str | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  org: str | None = None, progress: bool = False, user=None) -> int:
    """Write ledger events to ``out`` in (event date, id) order; return the count.

    Filters: event type, event dates from/to (inclusive), and the subtree of the
    event's org unit. With ``user``, only events of persons that user may see.
    """
    persons, unit = _export_scope(user, org)
    events = LifeEvent.objects.all() if user is None else LifeEvent.objects.visible_to(user)
    if event_type:
        events = events.filter(event_type=event_type)
    if date_from:
        events = events.filter(event_date__gte=date_from)
    if date_to:
        events = events.filter(event_date__lte=date_to)
    if unit is not None:
        events = events.filter(_subtree_q(unit, "org__"))
    total = events.count() if progress else None
    rows = events.order_by("event_date", "pk").values_list(
        "pk", "person_id", "event_type", "event_date", "recorded_at", "recorded_by__username",
        "recorded_via", "org__code", "supersedes_id", "payload",
    )
    n = 0
    with _snapshot(), TableWriter(out, EVENT_COLUMNS, "events") as writer, tqdm(
        total=total, desc=_("exporting events"), unit=" rows", unit_scale=True,
        disable=not progress, mininterval=0.5,
    ) as bar:
        for (pk, person_id, kind, day, recorded_at, user, via, org_code, supersedes,
             payload) in rows.iterator(chunk_size=CHUNK):
            writer.writerow((pk, person_id, kind, day.isoformat(), recorded_at.isoformat(),
                             user or "", via, org_code, supersedes or "",
                             json.dumps(payload, ensure_ascii=False, sort_keys=True)))
            n += 1
            if n % CHUNK == 0:
                bar.update(CHUNK)
        bar.update(n % CHUNK)
    audit.record(AuditAction.EXPORT, "events", details={
        "org": org or "", "type": event_type or "", "from": _day(date_from), "to": _day(date_to),
        "rows": n, "file": Path(out).name})
    return n
