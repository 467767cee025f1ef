"""Cross-department reconciliation (部门信息比对): lists from the hospital (出生医学证明),
the police (户籍登记/注销) and civil affairs (死亡、婚姻登记) against the register.

Columns (English or the Chinese headers of :data:`HEADER_ALIASES`):

- ``hospital``: certificate_no, child_name, sex, birth_date, mother_name,
  mother_id_number; optional place, issuing_org.
- ``police``: id_number, name, sex, birth_date, event_type (``registration``/登记 or
  ``cancellation``/注销), event_date; optional org_code (the village or community of
  the registration), issuing_org.
- ``civil``: event_type (``death``/死亡 or ``marriage``/结婚), id_number, name,
  event_date; optional sex, birth_date, spouse_name, spouse_id_number, issuing_org.

Matching, both ways:

- a birth certificate ↔ a child in the register whose mother has the certificate's
  mother ID number, born the same day (same name or same pinyin first, then same sex),
  or with the same pinyin name born within :data:`DATE_TOLERANCE` days;
- a police registration ↔ a person with that ID number in the register;
- a police cancellation ↔ that person's death or move-out, a civil death ↔ that
  person's death, a marriage ↔ a marriage of either spouse, each dated within
  :data:`DATE_TOLERANCE` days of the list's date.

Listed but not in the register (e.g. a certificate with no registered birth: a
possible 漏报) becomes a worklist item at the unit of the person (or the mother, or
the registration's org code). In the register but not listed — births without a
certificate, deaths and move-outs without a police cancellation, deaths without a
civil record, marriages without a civil record — dated in the list's period and in
the importer's subtree, becomes an item at the event's unit. Police registrations are
compared one way only (newborns often have no ID number yet).

A record that belongs outside the importer's subtree (the person or the mother is
registered in another unit, or is not in the register and the ID number's area code
is not the county's) becomes a cross-check request (协查) to that area instead: to the
county office of the unit where the person is registered (not the unit itself, which
the importer may not know), or to the area of the ID number.
Corrected and voided events are left out of the comparison (a superseded event is
not compared; the correction's new date is not used).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.scoping import in_subtree
from renkou.core.tables import ImportRejected, Problems, RowError, read_table
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.identity import mask_id_number, name_spellings
from renkou.register.models import EventType, LifeEvent, Person, PersonStatus

from .common import check_id, parse_date, parse_sex, subtree_q, visible_rollup
from .models import (
    CrossCheck,
    DepartmentList,
    DepartmentRecord,
    Discrepancy,
    DiscrepancyKind,
    RecordKind,
    Source,
)

__all__ = [
    "COLUMNS",
    "HEADER_ALIASES",
    "DATE_TOLERANCE",
    "CROSSCHECK_DAYS",
    "import_list",
    "validate_list",
    "list_counts",
]

DATE_TOLERANCE = 31
CROSSCHECK_DAYS = 30

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Source.HOSPITAL: (("certificate_no", "child_name", "sex", "birth_date", "mother_name",
                       "mother_id_number"), ("place", "issuing_org")),
    Source.POLICE: (("id_number", "name", "sex", "birth_date", "event_type", "event_date"),
                    ("org_code", "issuing_org")),
    Source.CIVIL: (("event_type", "id_number", "name", "event_date"),
                   ("sex", "birth_date", "spouse_name", "spouse_id_number", "issuing_org")),
}
HEADER_ALIASES = {
    "出生医学证明编号": "certificate_no", "证明编号": "certificate_no", "新生儿姓名": "child_name",
    "性别": "sex", "出生日期": "birth_date", "母亲姓名": "mother_name",
    "母亲身份证号": "mother_id_number", "出生地点": "place", "签发机构": "issuing_org",
    "机构": "issuing_org", "org": "issuing_org", "公民身份号码": "id_number",
    "身份证号": "id_number", "姓名": "name", "业务类型": "event_type", "类型": "event_type",
    "日期": "event_date", "办理日期": "event_date", "区划代码": "org_code",
    "配偶姓名": "spouse_name", "配偶身份证号": "spouse_id_number",
}
EVENT_TYPES = {
    Source.POLICE: {"registration": RecordKind.REGISTRATION, "登记": RecordKind.REGISTRATION,
                    "户籍登记": RecordKind.REGISTRATION, "cancellation": RecordKind.CANCELLATION,
                    "注销": RecordKind.CANCELLATION, "户籍注销": RecordKind.CANCELLATION},
    Source.CIVIL: {"death": RecordKind.DEATH, "死亡": RecordKind.DEATH,
                   "marriage": RecordKind.MARRIAGE, "结婚": RecordKind.MARRIAGE},
}
#: Register events each kind of record stands for.
MATCHED_EVENTS = {
    RecordKind.BIRTH_CERTIFICATE: (EventType.BIRTH,),
    RecordKind.CANCELLATION: (EventType.DEATH, EventType.MOVE_OUT),
    RecordKind.DEATH: (EventType.DEATH,),
    RecordKind.MARRIAGE: (EventType.MARRIAGE,),
}


@dataclass
class ListPlan:
    source: str
    records: list[DepartmentRecord] = field(default_factory=list)
    errors: Problems = field(default_factory=Problems)


def validate_list(path: str | Path, source: str, *, today: dt.date | None = None
                  ) -> ListPlan:
    """Check every row of a department list; nothing is written."""
    today = today or clock.today()
    plan = ListPlan(source)
    errors = plan.errors
    if source not in COLUMNS:
        errors.append(RowError(0, "source", _("the source must be hospital, police or civil")))
        return plan
    required, optional = COLUMNS[source]
    written, cells_iter = read_table(path)
    header = [HEADER_ALIASES.get(h, h) for h in written]
    missing = [c for c in required if c not in header]
    if missing:
        errors.extend(RowError(written.row, c, _("the column is missing")) for c in missing)
        return plan
    col = {name: i for i, name in enumerate(header)}
    codes = dict(OrgUnit.objects.values_list("code", "pk"))
    seen_refs: dict[str, int] = {}

    def cell(cells: list[str], name: str) -> str:
        i = col.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    def need(rownum: int, cells: list[str], name: str, limit: int = 50) -> str:
        value = cell(cells, name)
        if not value and name in required:
            errors.append(RowError(rownum, name, _("a value is required")))
        elif len(value) > limit:
            errors.append(RowError(rownum, name, _("longer than %(n)s characters") % {"n": limit},
                                   value[:20]))
            value = value[:limit]
        return value

    def date(rownum: int, cells: list[str], name: str) -> dt.date | None:
        raw = cell(cells, name)
        if not raw:
            if name in required:
                errors.append(RowError(rownum, name, _("a date is required")))
            return None
        value = parse_date(raw)
        if value is None:
            errors.append(RowError(rownum, name, _("not a date; write it as YYYY-MM-DD"), raw))
        elif value > today:
            errors.append(RowError(rownum, name, _("the date is in the future"), raw))
        return value

    for rownum, cells in enumerate(cells_iter, start=written.row + 1):
        if not any(cells):
            continue
        before = errors.total
        rec = DepartmentRecord(row=rownum)
        raw_sex = cell(cells, "sex")
        rec.sex = parse_sex(raw_sex)
        if (raw_sex or "sex" in required) and not rec.sex:
            errors.append(RowError(rownum, "sex", _("the sex must be M or F (男/女)"), raw_sex))
        rec.issuing_org = need(rownum, cells, "issuing_org", 100)
        if source == Source.HOSPITAL:
            rec.kind = RecordKind.BIRTH_CERTIFICATE
            rec.reference = need(rownum, cells, "certificate_no", 40)
            rec.name = need(rownum, cells, "child_name")
            rec.birth_date = date(rownum, cells, "birth_date")
            rec.event_date = rec.birth_date
            rec.other_name = need(rownum, cells, "mother_name")
            number, problems = check_id(cell(cells, "mother_id_number"), None, "F")
            if not number:
                errors.append(RowError(rownum, "mother_id_number", _("a value is required")))
            errors.extend(RowError(rownum, "mother_id_number", p, number) for p in problems)
            rec.other_id_number = number
            rec.place = need(rownum, cells, "place", 100)
            if rec.reference:
                first = seen_refs.setdefault(rec.reference, rownum)
                if first != rownum:
                    errors.append(RowError(
                        rownum, "certificate_no",
                        _("the certificate number is repeated (first in row %(row)s)")
                        % {"row": first}, rec.reference))
        else:
            raw_type = cell(cells, "event_type")
            kind = EVENT_TYPES[source].get(raw_type.lower())
            if kind is None:
                choices = ("registration/登记, cancellation/注销" if source == Source.POLICE
                           else "death/死亡, marriage/结婚")
                errors.append(RowError(rownum, "event_type",
                                       _("unknown event type; use %(choices)s")
                                       % {"choices": choices}, raw_type))
            rec.kind = kind or ""
            rec.name = need(rownum, cells, "name")
            rec.birth_date = date(rownum, cells, "birth_date")
            rec.event_date = date(rownum, cells, "event_date")
            number, problems = check_id(cell(cells, "id_number"), rec.birth_date, rec.sex)
            if not number:
                errors.append(RowError(rownum, "id_number", _("a value is required")))
            errors.extend(RowError(rownum, "id_number", p, number) for p in problems)
            rec.id_number = number
            if source == Source.POLICE:
                code = cell(cells, "org_code")
                if code:
                    rec.org_id = codes.get(code)
                    if rec.org_id is None:
                        errors.append(RowError(rownum, "org_code",
                                               _("no org unit with this code"), code))
            else:
                rec.other_name = need(rownum, cells, "spouse_name")
                number, problems = check_id(cell(cells, "spouse_id_number"))
                errors.extend(RowError(rownum, "spouse_id_number", p, number) for p in problems)
                rec.other_id_number = number
            if (rec.birth_date and rec.event_date and rec.event_date < rec.birth_date):
                errors.append(RowError(rownum, "event_date",
                                       _("the date is before the birth date")))
        if errors.total == before:
            plan.records.append(rec)
    if not plan.records and not errors:
        errors.append(RowError(2, "", _("the file has no rows")))
    return plan


# --------------------------------------------------------------------------- matching


class _Matcher:
    """Matches a list's records to the register and files worklist items and cross-checks."""

    def __init__(self, dept_list: DepartmentList, user, today: dt.date):
        self.dept_list = dept_list
        self.user = user
        self.today = today
        self.root = dept_list.scope
        self.county_areas = {u.code[:6] for u in OrgUnit.objects.filter(level=OrgLevel.COUNTY)}
        self.items: list[Discrepancy] = []
        self.crosschecks: list[CrossCheck] = []
        self.matched_events: set[int] = set()
        self.units: dict[int, OrgUnit] = {}

    def in_scope(self, org_id: int | None) -> bool:
        if org_id is None:
            return False
        if self.root is None:
            return True
        unit = self.unit(org_id)
        return in_subtree(unit.path, self.root.path)

    def unit(self, org_id: int) -> OrgUnit:
        if org_id not in self.units:
            self.units.update(OrgUnit.objects.in_bulk([org_id]))
        return self.units[org_id]

    def events_of(self, person_ids: set[int], kinds) -> dict[int, list[tuple]]:
        """``person -> [(event pk, date, org id, payload, type)]`` of events not superseded."""
        out: dict[int, list] = defaultdict(list)
        if not person_ids:
            return out
        rows = (LifeEvent.objects.filter(person_id__in=list(person_ids), event_type__in=kinds,
                                         superseded_by__isnull=True)
                .order_by("event_date", "pk")
                .values_list("person_id", "pk", "event_date", "org_id", "payload", "event_type"))
        for person_id, pk, day, org_id, payload, kind in rows:
            out[person_id].append((pk, day, org_id, payload or {}, kind))
        return out

    def take_event(self, events: list, day: dt.date, tolerance: int = DATE_TOLERANCE,
                   kinds=None) -> tuple | None:
        """The closest unmatched event within ``tolerance`` days (of ``kinds``), now matched."""
        best = None
        for ev in events:
            if ev[0] in self.matched_events or (kinds is not None and ev[4] not in kinds):
                continue
            gap = abs((ev[1] - day).days)
            if gap <= tolerance and (best is None or gap < best[0]):
                best = (gap, ev)
        if best is None:
            return None
        self.matched_events.add(best[1][0])
        return best[1]

    def unmatched(self, rec: DepartmentRecord, org_id: int | None, id_number: str,
                  register_value: str = "", field: str = "") -> None:
        """File a listed record missing from the register: a worklist item in scope,
        else a cross-check to the area it belongs to."""
        if org_id is not None and self.in_scope(org_id):
            self.items.append(Discrepancy(
                kind=DiscrepancyKind.LIST_NOT_IN_REGISTER, dept_list=self.dept_list,
                org_id=org_id, person_id=rec.person_id, record=rec, field=field,
                register_value=register_value,
                found_value=f"{rec.get_kind_display()} {rec.name} {rec.event_date}"))
            return
        if org_id is not None:
            # Registered outside the importer's subtree: the request goes to that unit's
            # county office, which knows where; naming the village would tell the
            # importer where a person it may not see is registered.
            target = self.unit(org_id).code[:6] + "000000"
        elif id_number and id_number[:6] not in self.county_areas:
            target = id_number[:6] + "000000"
        else:
            # in the county by its ID number but nowhere in the register: the scope's unit
            root = self.root or OrgUnit.objects.filter(level=OrgLevel.COUNTY).first()
            self.items.append(Discrepancy(
                kind=DiscrepancyKind.LIST_NOT_IN_REGISTER, dept_list=self.dept_list,
                org_id=root.pk, record=rec,
                found_value=f"{rec.get_kind_display()} {rec.name} {rec.event_date}"))
            return
        sender = self.root or OrgUnit.objects.filter(level=OrgLevel.COUNTY).first()
        self.crosschecks.append(CrossCheck(
            org=sender, target_area_code=target,
            subject=(f"{rec.get_kind_display()}: {rec.name} "
                     f"{mask_id_number(id_number)} {rec.event_date}")[:200],
            record=rec, sent_date=self.today,
            due_date=self.today + dt.timedelta(days=CROSSCHECK_DAYS),
            created_by=self.user if self.user is not None and self.user.is_authenticated
            else None))

    def run(self, records: list[DepartmentRecord]) -> None:
        self.records = records
        ids = {r.id_number for r in records if r.id_number} | {
            r.other_id_number for r in records if r.other_id_number}
        persons = {idn: (pk, org_id) for idn, pk, org_id in
                   Person.objects.filter(id_number__in=list(ids)).values_list(
                       "id_number", "pk", "registered_org_id")} if ids else {}
        certs = [r for r in records if r.kind == RecordKind.BIRTH_CERTIFICATE]
        if certs:
            self._certificates(certs, persons)
        for r in records:
            if r.kind == RecordKind.REGISTRATION:
                hit = persons.get(r.id_number)
                if hit is not None:
                    r.person_id = hit[0]
                else:
                    self.unmatched(r, r.org_id, r.id_number)
        event_records = [r for r in records if r.kind in (
            RecordKind.CANCELLATION, RecordKind.DEATH, RecordKind.MARRIAGE)]
        if event_records:
            self._events(event_records, persons)
        self._reverse()

    def _certificates(self, certs: list[DepartmentRecord], persons: dict) -> None:
        mothers = {persons[r.other_id_number][0] for r in certs if r.other_id_number in persons}
        children: dict[int, list[dict]] = defaultdict(list)
        for c in Person.objects.filter(mother_id__in=list(mothers)).order_by("pk").values(
                "pk", "mother_id", "name", "sex", "birth_date", "registered_org_id"):
            c["pinyin"] = name_spellings(c["name"])[0]
            children[c["mother_id"]].append(c)
        births = self.events_of({c["pk"] for cs in children.values() for c in cs},
                                (EventType.BIRTH,))
        used: set[int] = set()
        passes = (
            lambda r, c: c["birth_date"] == r.birth_date and c["name"] == r.name,
            lambda r, c: c["birth_date"] == r.birth_date
            and c["pinyin"] == name_spellings(r.name)[0],
            lambda r, c: c["birth_date"] == r.birth_date and c["sex"] == r.sex,
            lambda r, c: c["pinyin"] == name_spellings(r.name)[0]
            and abs((c["birth_date"] - r.birth_date).days) <= DATE_TOLERANCE,
        )
        done: set[int] = set()
        for test in passes:
            for i, r in enumerate(certs):
                if i in done or r.other_id_number not in persons:
                    continue
                mother_pk = persons[r.other_id_number][0]
                for c in children.get(mother_pk, []):
                    if c["pk"] not in used and test(r, c):
                        used.add(c["pk"])
                        done.add(i)
                        r.person_id = c["pk"]
                        r.org_id = c["registered_org_id"]
                        ev = births.get(c["pk"])
                        if ev:
                            r.event_id = ev[0][0]
                            self.matched_events.add(ev[0][0])
                        break
        for i, r in enumerate(certs):
            if i in done:
                continue
            mother = persons.get(r.other_id_number)
            r.org_id = mother[1] if mother else None
            self.unmatched(r, r.org_id, r.other_id_number)

    def _events(self, records: list[DepartmentRecord], persons: dict) -> None:
        wanted = {persons[n][0] for r in records for n in (r.id_number, r.other_id_number)
                  if n in persons}
        kinds = {EventType.DEATH, EventType.MOVE_OUT, EventType.MARRIAGE}
        events = self.events_of(wanted, kinds)
        spouses = {ev[3].get("spouse_id") for evs in events.values() for ev in evs
                   if ev[4] == EventType.MARRIAGE} - {None} - wanted
        events.update(self.events_of(spouses, (EventType.MARRIAGE,)))
        for r in records:
            allowed = MATCHED_EVENTS[r.kind]
            who = [persons[n] for n in (r.id_number, r.other_id_number) if n in persons]
            if r.kind != RecordKind.MARRIAGE:
                who = who[:1] if r.id_number in persons else []
            hit = None
            for pk, _org in who:
                hit = self.take_event(events.get(pk, []), r.event_date, kinds=allowed)
                if hit is not None:
                    r.person_id, r.event_id, r.org_id = pk, hit[0], hit[2]
                    break
            if hit is not None:
                if r.kind == RecordKind.MARRIAGE:  # the spouse's side of the same marriage
                    spouse = hit[3].get("spouse_id")
                    if spouse is not None:
                        self.take_event(events.get(spouse, []), r.event_date, 0,
                                        kinds=allowed)
                continue
            if who:
                r.person_id, r.org_id = who[0]
                status = Person.objects.filter(pk=r.person_id).values_list("status", flat=True)
                label = str(PersonStatus(status.first()).label)
                self.unmatched(r, r.org_id, r.id_number or r.other_id_number,
                               register_value=label, field="status")
            else:
                self.unmatched(r, None, r.id_number)

    def _reverse(self) -> None:
        """Register events of the period in scope that no record of the list matched."""
        kinds = {
            Source.HOSPITAL: (EventType.BIRTH,),
            Source.POLICE: (EventType.DEATH, EventType.MOVE_OUT),
            Source.CIVIL: (EventType.DEATH, EventType.MARRIAGE),
        }[self.dept_list.source]
        if self.dept_list.source == Source.CIVIL:
            present = {r.kind for r in self.records}
            kinds = tuple(k for k in kinds if (k == EventType.DEATH and RecordKind.DEATH in present)
                          or (k == EventType.MARRIAGE and RecordKind.MARRIAGE in present))
        events = LifeEvent.objects.filter(
            event_type__in=kinds, superseded_by__isnull=True,
            event_date__gte=self.dept_list.period_start,
            event_date__lte=self.dept_list.period_end)
        if self.root is not None:
            events = events.filter(subtree_q(self.root, "org__"))
        for pk, person_id, kind, day, org_id in events.order_by("event_date", "pk").values_list(
                "pk", "person_id", "event_type", "event_date", "org_id"):
            if pk in self.matched_events:
                continue
            self.items.append(Discrepancy(
                kind=DiscrepancyKind.REGISTER_NOT_IN_LIST, dept_list=self.dept_list,
                org_id=org_id, person_id=person_id, event_id=pk,
                register_value=f"{EventType(kind).label} {day}"))


@transaction.atomic
def _write(plan: ListPlan, *, user, file_name: str, period: tuple[dt.date, dt.date],
           today: dt.date) -> DepartmentList:
    scope = None
    if user is not None and not user.is_superuser and getattr(user, "org_id", None):
        scope = user.org
    dept_list = DepartmentList.objects.create(
        source=plan.source, period_start=period[0], period_end=period[1],
        imported_by=user if user is not None and user.is_authenticated else None,
        imported_at=clock.now(), file_name=file_name, scope=scope)
    for r in plan.records:
        r.dept_list = dept_list
    matcher = _Matcher(dept_list, user, today)
    matcher.run(plan.records)
    DepartmentRecord.objects.bulk_create(plan.records, batch_size=2000)
    for item in matcher.items:
        if item.record is not None:
            item.record_id = item.record.pk
    for cc in matcher.crosschecks:
        if cc.record is not None:
            cc.record_id = cc.record.pk
    Discrepancy.objects.bulk_create(matcher.items, batch_size=2000)
    CrossCheck.objects.bulk_create(matcher.crosschecks, batch_size=2000)
    return dept_list


def import_list(path: str | Path, source: str, *, user=None, period_start: dt.date | None = None,
                period_end: dt.date | None = None, today: dt.date | None = None
                ) -> DepartmentList:
    """Validate a department list and, if it has no problem, store and match it in one
    transaction; raises :class:`ImportRejected` with every problem otherwise.

    The period compared defaults to the earliest and latest date in the file.
    """
    if user is not None and not has_capability(user, Capability.EDIT_REGISTER):
        raise PermissionDenied(_("this role may not change the register"))
    today = today or clock.today()
    plan = validate_list(path, source, today=today)
    if plan.errors:
        raise ImportRejected(plan.errors, len(plan.records))
    dates = [r.event_date for r in plan.records]
    period = (period_start or min(dates), period_end or max(dates))
    if period[0] > period[1]:
        raise ImportRejected([RowError(0, "period", _("the period ends before it starts"))], 0)
    with transaction.atomic():  # the list and its log entry, or neither
        dept_list = _write(plan, user=user, file_name=Path(path).name[:200], period=period,
                           today=today)
        audit.record(AuditAction.IMPORT, "department_list", dept_list.pk, details={
            "source": source, "file": Path(path).name, "rows": len(plan.records),
            "period": [period[0].isoformat(), period[1].isoformat()]}, user=user)
    return dept_list


def list_counts(dept_list: DepartmentList, user=None) -> list[tuple[OrgUnit, dict[str, float]]]:
    """Per unit (rolled up through the tree): items listed but not in the register and in
    the register but not listed, open or worked. One GROUP BY over the worklist."""
    items = Discrepancy.objects.filter(dept_list=dept_list)
    counts: dict[int, dict[str, float]] = {}
    for row in items.values("org_id").annotate(
            list_only=Count("id", filter=Q(kind=DiscrepancyKind.LIST_NOT_IN_REGISTER)),
            not_listed=Count("id", filter=Q(kind=DiscrepancyKind.REGISTER_NOT_IN_LIST)),
            open=Count("id", filter=Q(status="open"))):
        counts[row["org_id"]] = row
    return visible_rollup(counts, ("list_only", "not_listed", "open"), user)

