"""Arrivals and departures from a file (流入/流出人口登记名单), all or nothing.

Columns (machine or Chinese headers): ``id_number`` 公民身份号码, ``name`` 姓名, ``sex``
性别, ``birth_date`` 出生日期, ``hukou_code`` 户籍地代码, ``residence_org_code``
居住地代码 (a unit here: the residence of an arrival) or ``residence_address`` 居住地址
(the destination of a departure, with or without its code), ``arrival_date`` 到达日期 /
``departure_date`` 离开日期, ``reason`` 流动原因, ``phone`` 联系电话.

Each row is registered exactly as the pages register one
(:func:`~renkou.migrants.services.register_arrival` / ``register_departure``: the same
checks, enrolment and notices), all rows in one transaction: a file with any problem
writes nothing, and every problem is reported with its row, column and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from renkou.accounts.permissions import has_capability
from renkou.core import audit
from renkou.core.columns import Column, coded_values, machine_header
from renkou.core.models import AuditAction
from renkou.core.tables import ImportRejected, Problems, RowError, parse_date_cell, read_table
from renkou.core.text import reasons
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.file_columns import accepted_values
from renkou.register.identity import normalise_id_number
from renkou.register.models import Person

from .models import Direction, MoveReason
from .permissions import REGISTER_MIGRANTS
from .services import register_arrival, register_departure

__all__ = ["MIGRANT_COLUMNS", "import_migrants", "MigrantImport"]

MIGRANT_COLUMNS = (
    Column("id_number", "公民身份号码", ("身份证号", "身份证号码")),
    Column("name", "姓名"),
    Column("sex", "性别"),
    Column("birth_date", "出生日期"),
    Column("hukou_code", "户籍地代码", ("户籍地", "户籍地区划代码")),
    Column("residence_org_code", "居住地代码", ("居住地区划代码", "现居住地代码")),
    Column("residence_address", "居住地址", ("现居住地址", "流入地址", "流入地")),
    Column("arrival_date", "到达日期", ("流入日期", "来本地日期")),
    Column("departure_date", "离开日期", ("流出日期", "外出日期")),
    Column("reason", "流动原因"),
    Column("phone", "联系电话", ("电话", "手机")),
)
REASON_WORDS = {"务工": "work", "经商": "work", "务工经商": "work", "学习": "study",
                "上学": "study", "培训": "study", "随迁": "family", "婚嫁": "family",
                "投亲": "family", "投亲靠友": "family", "其他": "other"}


@dataclass(frozen=True)
class MigrantImport:
    rows: int
    registered: int
    enrolled: int
    direction: str

    @property
    def summary(self) -> str:
        if self.direction == Direction.INFLOW:
            return _("%(n)s arrivals registered (%(new)s persons enrolled in the register); "
                     "the arrival notices go out with the next batch") % {
                "n": self.registered, "new": self.enrolled}
        return _("%(n)s departures registered; the notices go out with the next batch") % {
            "n": self.registered}


class _Refused(Exception):
    """Raised inside the transaction to roll back a file that is only checked."""


def import_migrants(path: str | Path, *, direction: str, user=None, via: str = "import",
                    keep: bool = True) -> MigrantImport:
    """Register an arrival (``direction`` "in") or a departure ("out") for every row,
    all or nothing; with ``keep=False`` only check. Raises :class:`ImportRejected`."""
    if user is not None and not has_capability(user, REGISTER_MIGRANTS):
        raise PermissionDenied(_("your role may not register migrants"))
    written, rows = read_table(path)
    header = machine_header(written, MIGRANT_COLUMNS)
    col = {name: i for i, name in enumerate(header)}
    date_column = "arrival_date" if direction == Direction.INFLOW else "departure_date"
    needed = ["id_number", date_column]
    needed += ["hukou_code", "residence_org_code"] if direction == Direction.INFLOW else []
    if direction == Direction.OUTFLOW and "residence_address" not in col \
            and "residence_org_code" not in col:
        needed.append("residence_address")
    missing = [c for c in needed if c not in col]
    if missing:
        raise ImportRejected([RowError(written.row, c, _("the column is missing")) for c in missing])
    units = OrgUnit.objects.visible_to(user) if user is not None else OrgUnit.objects.all()
    persons = Person.objects.visible_to(user) if user is not None else Person.objects.all()
    reasons = coded_values(MoveReason, REASON_WORDS)
    errors = Problems()
    registered = enrolled = 0
    n = written.row
    try:
        with transaction.atomic():
            for n, cells in enumerate(rows, start=written.row + 1):  # noqa: B007
                def cell(name: str, cells: list[str] = cells) -> str:
                    i = col.get(name)
                    return cells[i].strip() if i is not None and i < len(cells) else ""

                if not any(cells):
                    continue
                before = errors.total
                fields = _row_fields(cell, n, direction, reasons, errors)
                if errors.total > before:
                    continue
                try:
                    with transaction.atomic():
                        if direction == Direction.INFLOW:
                            new = _arrival(cell, n, fields, units, user, via, errors)
                            enrolled += new is True
                        else:
                            _departure(cell, n, fields, persons, user, via, errors)
                except ValidationError as invalid:
                    _report(invalid, n, errors)
                    continue
                registered += errors.total == before
            if errors:
                raise _Refused
            audit.record(AuditAction.IMPORT, "migrant_spell", details={
                "file": Path(path).name, "direction": direction, "rows": n - written.row,
                "registered": registered}, user=user)
            if not keep:
                raise _Refused
    except _Refused:
        if errors:
            raise ImportRejected(errors, n - written.row) from None
        return MigrantImport(n - written.row, 0, 0, direction)
    return MigrantImport(n - written.row, registered, enrolled, direction)


def _row_fields(cell, n: int, direction: str, reasons: dict[str, str],
                errors: Problems) -> dict:
    fields: dict = {}
    date_column = "arrival_date" if direction == Direction.INFLOW else "departure_date"
    for name in (date_column, "birth_date"):
        text = cell(name)
        if not text:
            if name == date_column:
                errors.append(RowError(n, name, _("required")))
            continue
        day = parse_date_cell(text)
        if day is None:
            errors.append(RowError(n, name, _("not a date (e.g. 2026-03-01)"), text))
        fields[name] = day
    text = cell("reason")
    fields["reason"] = reasons.get(text.lower(), "") if text else MoveReason.WORK
    if not fields["reason"]:
        errors.append(RowError(n, "reason", _("use one of: 务工经商, 学习培训, 随迁家属, 其他"), text))
    text = cell("sex")
    fields["sex"] = accepted_values("sex").get(text.lower(), "") if text else ""
    if text and not fields["sex"]:
        errors.append(RowError(n, "sex", _("use 男 or 女"), text))
    if not cell("id_number"):
        errors.append(RowError(n, "id_number", _("required")))
    return fields


def _arrival(cell, n: int, fields: dict, units, user, via: str, errors: Problems) -> bool | None:
    """Register one row's arrival; ``True`` when the person was enrolled, ``None`` on a
    problem (reported)."""
    code = cell("residence_org_code")
    unit = units.filter(code=code.ljust(12, "0")).first() if code.isdigit() else None
    if unit is None:
        errors.append(RowError(n, "residence_org_code", _("no unit with this code in your units"),
                               code))
        return None
    if unit.level < OrgLevel.VILLAGE:
        errors.append(RowError(n, "residence_org_code",
                               _("the residence is a village or community, not %(name)s")
                               % {"name": unit.name}, code))
        return None
    known = Person.objects.filter(id_number=normalise_id_number(cell("id_number"))).exists()
    register_arrival(
        hukou_code=cell("hukou_code"), residence_org=unit, arrival_date=fields["arrival_date"],
        reason=fields["reason"], phone=cell("phone"), id_number=cell("id_number"),
        name=cell("name"), sex=fields["sex"], birth_date=fields.get("birth_date"),
        user=user, via=via)
    return not known


def _departure(cell, n: int, fields: dict, persons, user, via: str, errors: Problems) -> None:
    id_number = normalise_id_number(cell("id_number"))
    person = persons.filter(id_number=id_number).first()
    if person is None:
        errors.append(RowError(n, "id_number", _("no person with this number in your units"),
                               cell("id_number")))
        return
    if cell("name") and cell("name") != person.name:
        errors.append(RowError(n, "name", _("the register has another name for this person"),
                               cell("name")))
        return
    register_departure(person, departure_date=fields["departure_date"],
                       destination_code=cell("residence_org_code"),
                       destination_address=cell("residence_address"), reason=fields["reason"],
                       phone=cell("phone"), user=user, via=via)


#: The services' field names as the file's columns.
_COLUMN_OF = {"residence_code": "residence_org_code", "person": "id_number", "org": "residence_org_code"}


def _report(invalid: ValidationError, n: int, errors: Problems) -> None:
    for field, message in reasons(invalid):
        errors.append(RowError(n, _COLUMN_OF.get(field, field), message))
