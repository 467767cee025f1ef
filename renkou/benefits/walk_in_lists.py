"""Walk-in applications from a list (来访申请名单): a township collects applications on
paper at a meeting or over a week, and enters them as one spreadsheet instead of one
form each. Every row is opened exactly as the walk-in form opens one
(:func:`renkou.benefits.workflow.open_walk_in`: the same register checks, attestations
and first step), all rows in one transaction: a list with any problem opens nothing.

Columns (Chinese or machine form): 公民身份号码 ``id_number`` or 人员编号 ``person_id``
(one of them), 姓名 ``name`` (checked against the register), 项目 ``programme`` (its
code or name), 年度 ``year``; optional 标准 ``rate``, 子女情况 ``children_complete``,
残疾等级 ``disability_grade``, 备注 ``comment``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.columns import Column, machine_header
from renkou.core.models import AuditAction
from renkou.core.tables import ImportRejected, Problems, RowError, read_table
from renkou.register.models import Person

from .programmes import programmes
from .workflow import WorkflowError, open_walk_in, require_manage_benefits

__all__ = ["WALK_IN_COLUMNS", "open_walk_in_list", "WalkInListResult"]

WALK_IN_COLUMNS = (
    Column("id_number", "公民身份号码", ("身份证号", "身份证号码")),
    Column("person_id", "人员编号"),
    Column("name", "姓名"),
    Column("programme", "项目", ("项目代码", "扶助项目")),
    Column("year", "年度", ("年份",)),
    Column("rate", "标准", ("扶助标准",)),
    Column("children_complete", "子女情况", ("子女情况证明",)),
    Column("disability_grade", "残疾等级"),
    Column("comment", "备注"),
)


class _Refused(Exception):
    """Raised inside the transaction to roll back a list checked but not to be kept."""


@dataclass(frozen=True)
class WalkInListResult:
    rows: int
    opened: list[int]  # the applications' numbers (none when only checked)


def open_walk_in_list(path: str | Path, user, *, keep: bool = True) -> WalkInListResult:
    """Open a walk-in application for every row of ``path``, all or nothing; with
    ``keep=False`` only check (everything is rolled back). Raises
    :class:`ImportRejected` with every row's problem."""
    require_manage_benefits(user)
    written, rows = read_table(path)
    header = machine_header(written, WALK_IN_COLUMNS)
    col = {name: i for i, name in enumerate(header)}
    errors = Problems()
    missing = [c for c in ("name", "programme", "year") if c not in col]
    if "id_number" not in col and "person_id" not in col:
        missing.append("id_number")
    if missing:
        raise ImportRejected([RowError(written.row, c, _("the column is missing"))
                              for c in missing])
    known = programmes()
    by_name = {p.name: code for code, p in known.items()} | {
        p.name_en.lower(): code for code, p in known.items()}
    visible = Person.objects.visible_to(user)
    opened: list[int] = []
    n = 0
    try:
        with transaction.atomic():
            for n, cells in enumerate(rows, start=written.row + 1):  # noqa: B007
                def cell(name: str, cells: list[str] = cells) -> str:
                    i = col.get(name)
                    return cells[i] if i is not None and i < len(cells) else ""

                if not any(cells):
                    continue
                app_pk = _open_row(cell, n, user, visible, known, by_name, errors)
                if app_pk is not None:
                    opened.append(app_pk)
            if errors:
                raise _Refused
            audit.record(AuditAction.IMPORT, "walk_in_list", details={
                "file": Path(path).name, "rows": n - written.row, "applications": opened},
                user=user)
            if not keep:
                raise _Refused
    except _Refused:
        if errors:
            raise ImportRejected(errors, n - written.row) from None
        return WalkInListResult(n - written.row, [])
    return WalkInListResult(n - written.row, opened)


def _open_row(cell, n: int, user, visible, known, by_name, errors: Problems) -> int | None:
    """Open one row's application; its problems go to ``errors``. The application's
    number, or ``None``."""
    id_number, person_id, name = cell("id_number").upper(), cell("person_id"), cell("name")
    person = None
    if id_number:
        person = visible.filter(id_number=id_number).first()
    elif person_id.isdigit():
        person = visible.filter(pk=int(person_id)).first()
    if person is None:
        field = "id_number" if id_number or not person_id else "person_id"
        errors.append(RowError(n, field, _("no person with this number in your units"),
                               id_number or person_id))
        return None
    if name and name != person.name:
        errors.append(RowError(n, "name", _("the register has another name for this person"),
                               name))
        return None
    text = cell("programme")
    code = text if text in known else by_name.get(text) or by_name.get(text.lower())
    if code is None:
        errors.append(RowError(n, "programme", _("unknown programme; use one of: %(names)s")
                               % {"names": "、".join(p.name for p in known.values())}, text))
        return None
    year = cell("year")
    if not (year.isdigit() and 2000 <= int(year) <= 2100):
        errors.append(RowError(n, "year", _("a year such as 2026"), year))
        return None
    try:
        with transaction.atomic():  # a refused row leaves nothing behind in the list's transaction
            app = open_walk_in(user, code, int(year), person, rate=cell("rate") or "default",
                               attestations={k: cell(k) for k in ("children_complete",
                                                                  "disability_grade")},
                               comment=cell("comment")[:500])
    except (WorkflowError, PermissionDenied) as exc:
        errors.append(RowError(n, "programme", str(exc) or _("not allowed"), text))
        return None
    return app.pk
