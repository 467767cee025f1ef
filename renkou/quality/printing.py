"""The worklist (待核实清单) printed for a field check: the findings of a unit, with masked
ID numbers and an empty column for what the check found, as a page and as a PDF in the
form layout of :mod:`renkou.core.pdf`. The PDF is logged like the worklist's Excel export.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from renkou.core import audit, pdf
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import mask_id_number
from renkou.register.printing import unit_path

from . import services
from .models import ViolationStatus
from .rules_in_force import rules_by_code

__all__ = ["PRINT_LIMIT", "WorklistRow", "WorklistSheet", "worklist_sheet", "write_worklist_pdf"]

#: The most findings one printout lists (the Excel export has them all).
PRINT_LIMIT = 2000


@dataclass(frozen=True)
class WorklistRow:
    number: int
    org: str
    rule: str
    importance: str
    person: str
    id_number: str  # masked
    finding: str
    status: str


@dataclass(frozen=True)
class WorklistSheet:
    unit: OrgUnit
    title: str
    lines: list[str]
    rows: list[WorklistRow]
    total: int
    rule: str
    status: str

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def worklist_sheet(user, unit: OrgUnit, *, rule: str = "",
                   status: str = ViolationStatus.OPEN) -> WorklistSheet:
    """The findings of ``unit``'s subtree the user may see (as the worklist page filters
    them), the first :data:`PRINT_LIMIT` of them."""
    known = rules_by_code()
    qs = services.worklist(user, unit, rule=rule, status=status)
    total = qs.count()
    rows = []
    for n, v in enumerate(qs[:PRINT_LIMIT], start=1):
        r = known.get(v.rule_code)
        rows.append(WorklistRow(
            number=n, org=v.org.name, rule=r.display_name if r else v.rule_code,
            importance=r.importance_label if r else "",
            person=v.person.name if v.person else "—",
            id_number=mask_id_number(v.person.id_number) if v.person else "",
            finding=services.describe(r, v.details),
            status=str(ViolationStatus(v.status).label)))
    shown_rule = known[rule].display_name if rule in known else (rule or _("all rules"))
    shown_status = str(ViolationStatus(status).label) if status else _("all")
    lines = [f"{_('Unit')}：{unit_path(unit)}（{unit.code}）",
             f"{_('Rule')}：{shown_rule} · {_('Status')}：{shown_status} · "
             + ngettext("%(counter)s finding", "%(counter)s findings", total) % {"counter": total}]
    if total > len(rows):
        lines.append(_("The first %(n)s findings are printed; the Excel export has all of them.")
                     % {"n": len(rows)})
    return WorklistSheet(unit=unit, title=_("Worklist of %(name)s") % {"name": unit.name},
                         lines=lines, rows=rows, total=total, rule=rule, status=status)


def write_worklist_pdf(sheet: WorklistSheet, out: IO[bytes] | str | Path, *, user) -> int:
    """The worklist on A4 landscape with a column for the check's result and the
    signature lines; logged like the Excel export. Returns the findings printed."""
    def body(st: pdf.Styles, width: float) -> list[Any]:
        rows = [[r.number, r.org, f"{r.importance} {r.rule}".strip(), r.person, r.id_number,
                 r.finding, r.status, ""] for r in sheet.rows]
        return [pdf.grid(st, [_("No."), _("Org unit"), _("Rule"), _("Person"), _("ID number"),
                              _("Finding"), _("Status"), _("Result of the check")],
                         rows or [["—", _("No findings."), "", "", "", "", "", ""]],
                         width=width, weights=(0.5, 1.1, 1.8, 0.9, 1.6, 3.2, 0.9, 1.8))]

    pdf.write_form(out, title=sheet.title, lines=sheet.lines, body=body,
                   signatures=[_("Checked by (审核人)"), _("Date")],
                   unit=f"{sheet.unit.name}（{sheet.unit.code}）", printed=pdf.printed_by(user),
                   landscape=True)
    audit.record(AuditAction.EXPORT, "violations", details={
        "org": sheet.unit.code, "rule": sheet.rule, "status": sheet.status,
        "rows": len(sheet.rows), "format": "pdf"}, user=user)
    return len(sheet.rows)
