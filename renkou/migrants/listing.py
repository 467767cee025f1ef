"""The list of current migrants (流入/流出人口名单): one row per current spell, for the CLI
(``renkou migrants list``), the pages' download and the API.

A list of persons: ID numbers are masked (the birth date is not beside them, only the
birth year), it is scoped to the user's subtree, and every list written is logged as an
export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from renkou.accounts.permissions import has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.scoping import subtree_q
from renkou.core.tables import TableWriter, inert_row
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import mask_id_number

from .models import REQUEST_TYPES, Direction, Message, MessageState, MessageType, MigrantSpell
from .permissions import REGISTER_MIGRANTS

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations

__all__ = ["LIST_COLUMNS", "current_spells", "list_rows", "write_list"]

#: (key, Chinese header) of the list's columns
LIST_COLUMNS = (
    ("person_id", "人员编号"), ("name", "姓名"), ("id_number", "公民身份号码"), ("sex", "性别"),
    ("birth_year", "出生年份"), ("hukou", "户籍地"), ("residence", "居住地"),
    ("manager", "管理地"), ("since", "起始日期"), ("reason", "流动原因"),
    ("last_message", "最近信息"), ("last_message_state", "信息状态"),
    ("overdue", "超期"),
)


class LastMessage(TypedDict):
    """The annotation :func:`current_spells` puts on spells: the latest message about each
    (for typing: ``WithAnnotations[MigrantSpell, LastMessage]``)."""

    last_type: str | None
    last_state: str | None
    last_deadline: dt.date | None


def current_spells(user, direction: str, org_code: str | None = None,
                   ) -> QuerySet[WithAnnotations[MigrantSpell, LastMessage]]:
    """The current spells of one direction the user may see (of ``org_code``'s subtree)."""
    if direction not in Direction.values:
        raise ValidationError({"direction": _("the direction must be in or out")})
    spells = MigrantSpell.objects.visible_to(user) if user is not None else MigrantSpell.objects.all()
    spells = spells.current().filter(direction=direction)
    if org_code:
        try:
            unit = OrgUnit.objects.resolve_for(user, org_code.ljust(12, "0"))
        except OrgUnit.DoesNotExist:
            raise ValidationError({"org": _("no unit %(code)s in your units")
                                   % {"code": org_code}}) from None
        if unit is not None:
            spells = spells.filter(subtree_q(unit.path, "manager_org__path"))
    latest = Message.objects.filter(spell=OuterRef("pk")).order_by("-created_at", "-id")
    return (spells.select_related("person", "residence_org", "manager_org")
            .annotate(last_type=Subquery(latest.values("type")[:1]),
                      last_state=Subquery(latest.values("state")[:1]),
                      last_deadline=Subquery(latest.values("deadline")[:1]))
            .order_by("manager_org__code", "person__name", "pk"))


def list_rows(spells: Iterable[WithAnnotations[MigrantSpell, LastMessage]]) -> Iterator[dict[str, Any]]:
    """Each spell (of :func:`current_spells`: a queryset, or a page of it already read) as
    a row of :data:`LIST_COLUMNS` (labels in the active language)."""
    today = clock.today()
    types = dict(MessageType.choices)
    states = dict(MessageState.choices)
    for s in spells.iterator(chunk_size=2000) if isinstance(spells, QuerySet) else spells:
        p = s.person
        overdue = (s.last_type in REQUEST_TYPES and s.last_state in (MessageState.SENT,
                                                                     MessageState.RECEIVED)
                   and s.last_deadline is not None and s.last_deadline < today)
        yield {
            "person_id": p.pk, "name": p.name, "id_number": mask_id_number(p.id_number),
            "sex": p.get_sex_display(), "birth_year": p.birth_date.year,
            "hukou": f"{s.hukou_code} {s.hukou_name}".strip(), "residence": s.residence_label,
            "manager": f"{s.manager_org.code} {s.manager_org.name}",
            "since": s.start_date.isoformat(), "reason": s.get_reason_display(),
            "last_message": str(types.get(s.last_type, "")) if s.last_type else "",
            "last_message_state": str(states.get(s.last_state, "")) if s.last_state else "",
            "overdue": _("yes") if overdue else "",
        }


def write_list(user, *, direction: str, org_code: str | None = None, fmt: str = "csv",
               out: Path | None = None) -> str:
    """Write the list as CSV or JSON text (returned) or to ``out`` (.xlsx, .csv or .json),
    and log the export."""
    if user is None or not has_capability(user, REGISTER_MIGRANTS):
        raise PermissionDenied(_("your role may not list migrants"))
    spells = current_spells(user, direction, org_code)
    rows = list_rows(spells)
    keys = [k for k, _h in LIST_COLUMNS]
    count = 0
    text = ""
    if fmt == "json":
        data = list(rows)
        count = len(data)
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if out is not None:
            out.write_text(text, encoding="utf-8")
    elif out is not None:
        path = out if out.suffix.lower() in (".xlsx", ".csv") else out.with_suffix("." + fmt)
        with TableWriter(path, [h for _k, h in LIST_COLUMNS], sheet_title="流动人口") as table:
            for row in rows:
                table.writerow([row[k] for k in keys])
                count += 1
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([h for _k, h in LIST_COLUMNS])
        for row in rows:
            writer.writerow(inert_row([row[k] for k in keys]))
            count += 1
        text = buffer.getvalue()
    audit.record(AuditAction.EXPORT, "migrants", details={
        "direction": direction, "org": org_code or "", "format": fmt, "rows": count}, user=user)
    return text
