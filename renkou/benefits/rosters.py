"""Payment rosters (发放花名册): what approved recipients are due for a period, the Excel
and bank files (every export logged), and the bank's confirmation of payment.

A roster stops the applications of recipients the ledger shows dead or moved away.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.accounts.permissions import has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.scoping import subtree_q
from renkou.core.tables import InertCsvWriter, save_workbook
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import mask_id_number

from .eligibility import Result, evaluate, months_amount
from .models import Application, ApplicationState, Payment, Roster, Step
from .permissions import APPROVE_BENEFITS
from .programmes import Programme, programme
from .workflow import WorkflowError, record_decision, require_approve_benefits, user_scope

__all__ = ["months_due", "generate_roster", "ROSTER_COLUMNS", "roster_rows", "ROSTER_HEADERS",
           "TitleBlock", "roster_title_block", "ROSTER_SIGNATURES", "roster_total",
           "write_roster_xlsx", "BANK_COLUMNS", "write_bank_csv", "mark_roster_paid"]

S = ApplicationState


def _period(prog: Programme, period: str) -> tuple[int, int, dt.date]:
    """(year, last month, last day) of a period ``2025`` or ``2025-03``."""
    try:
        if prog.period == "year":
            year, month = int(period), 12
        else:
            year, month = int(period[:4]), int(period[5:7])
            if len(period) != 7 or period[4] != "-" or not 1 <= month <= 12:
                raise ValueError
    except ValueError:
        raise WorkflowError(_("the period of this programme is written %(form)s") % {
            "form": "2025" if prog.period == "year" else "2025-03"}) from None
    end = (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return year, month, end


def months_due(app: Application, r: Result) -> list[int]:
    """The months due to ``app`` in the evaluated year: the months the register facts
    qualify for or, for an application with attestations (facts the register cannot
    know, attested by a reviewer), the months the person met the register's other
    conditions (residence, age); none otherwise."""
    if r.eligible:
        return r.months
    if app.attestations and r.base_months:
        return r.base_months
    return []


@transaction.atomic
def generate_roster(user, code: str, period: str, *, org_code: str | None = None,
                    due_days: int = 30) -> Roster | None:
    """The payment roster of a period for approved recipients, set-based.

    For every approved application in scope the months due in the period's year up to
    its end are read from the register (the same evaluation as screening), less the
    months already on a roster: months before the period are arrears (补发) for a late
    approval. When the ledger shows a death or a move out of the area, the last months
    due are paid and the application is stopped (death mid-month: paid through the month
    of death). Returns ``None`` when nothing is due that is not already on a roster.
    """
    require_approve_benefits(user)  # a county step
    prog = programme(code)
    year, last_month, end = _period(prog, period)
    scope = user_scope(user, org_code)
    apps_qs = Application.objects.filter(programme=code, state=S.APPROVED)
    if scope is not None:
        apps_qs = apps_qs.filter(subtree_q(scope.path, "org__path"))
    apps = {a.person_id: a for a in apps_qs}
    if not apps:
        return None
    results = {r.person_id: r for r in evaluate(
        prog, year, None, persons=apps_qs.values("person_id"), as_of=min(end, clock.today()))}
    paid: dict[int, set[int]] = defaultdict(set)
    for app_id, months in Payment.objects.filter(application__in=apps_qs, year=year) \
            .values_list("application_id", "months"):
        paid[app_id].update(months)
    first_month = 1 if prog.period == "year" else last_month
    lines: list[Payment] = []
    stops: list[tuple[Application, Result]] = []
    for pid, app in apps.items():
        r = results.get(pid)
        if r is None:
            continue
        months = [m for m in months_due(app, r) if m <= last_month and m not in paid[app.pk]]
        if app.year > year:
            months = []
        if prog.unit == "lump_sum" and Payment.objects.filter(application=app).exists():
            months = []
        if months:
            amount, months = months_amount(prog, r.org_code, year, months, app.rate)
            if months:
                lines.append(Payment(application=app, person_id=pid, org_id=r.org_id, year=year,
                                     months=months, amount=amount,
                                     arrears_months=sum(1 for m in months if m < first_month)))
        if r.left_on is not None and r.left_on <= end:
            stops.append((app, r))
    if not lines and not stops:
        return None
    roster = None
    if lines:
        org = scope or OrgUnit.objects.filter(level=1).first()
        assert org is not None  # the applications' units lie under a county (the roots)
        roster = Roster.objects.create(programme=code, period=period, org=org,
                                       due_on=end + dt.timedelta(days=due_days),
                                       created_by=user if user and user.is_authenticated else None)
        for line in lines:
            line.roster = roster
        Payment.objects.bulk_create(lines, batch_size=1000)
        audit.record(AuditAction.CREATE, "benefit_roster", roster.pk,
                     details={"programme": code, "period": period, "lines": len(lines)}, user=user)
    for app, r in stops:
        assert r.left_on is not None  # only a result with a leaving date stops
        app.ended_on = r.left_on
        app.end_reason = r.left_reason
        reason = _("died on %(date)s") if r.left_reason == "death" else _("moved away on %(date)s")
        last = max(r.months or r.base_months or [0])
        record_decision(app, Step.STOP, r.left_reason, user,
                (reason % {"date": r.left_on.isoformat()}) + "; " +
                _("last month due: %(month)s") % {"month": f"{year}-{last:02d}" if last else "—"},
                state=S.STOPPED)
    return roster


ROSTER_COLUMNS = ["person_id", "name", "id_number", "org_code", "org_name", "payee_name",
                  "bank_name", "bank_account", "year", "months", "arrears_months", "amount",
                  "paid", "paid_on"]


def roster_rows(roster: Roster, *, masked: bool = True) -> list[list[Any]]:
    rows = []
    qs = roster.payments.select_related("person", "org", "application").order_by("org__code", "id")
    for p in qs:
        app = p.application
        account = app.bank_account
        if masked and account:
            account = "*" * max(len(account) - 4, 0) + account[-4:]
        rows.append([p.person_id, p.person.name,
                     mask_id_number(p.person.id_number) if masked else (p.person.id_number or ""),
                     p.org.code, p.org.name, app.payee_name, app.bank_name, account, p.year,
                     " ".join(str(m) for m in p.months), p.arrears_months, p.amount,
                     p.paid, p.paid_on.isoformat() if p.paid_on else ""])
    return rows


ROSTER_HEADERS = [gettext_lazy("person ID"), gettext_lazy("name"), gettext_lazy("ID number"),
                  gettext_lazy("org unit code"), gettext_lazy("org unit"),
                  gettext_lazy("account holder"), gettext_lazy("bank"),
                  gettext_lazy("bank account number"), gettext_lazy("year"), gettext_lazy("months"),
                  gettext_lazy("months in arrears"), gettext_lazy("amount"), gettext_lazy("paid"),
                  gettext_lazy("paid on")]


@dataclass(frozen=True)
class TitleBlock:
    """The head of a printed roster (花名册): the title and the lines under it."""

    title: str
    lines: list[str]


def roster_title_block(roster: Roster) -> TitleBlock:
    """The programme's roster title, the unit, the period and the payment date: the
    same on the page, in the workbook and in the PDF."""
    return TitleBlock(
        title=f"{programme(roster.programme).label}{_('payment roster')}",
        lines=[f"{_('Unit')}：{roster.org.name}（{roster.org.code}）",
               f"{_('period')}：{roster.period}",
               f"{_('payment due by')} {roster.due_on.isoformat()}"])


#: The signature lines at the foot of a roster.
ROSTER_SIGNATURES = [gettext_lazy("Prepared by (经办人)"), gettext_lazy("Checked by (审核人)"),
                     gettext_lazy("Responsible (负责人)")]
AMOUNT_COLUMN = ROSTER_COLUMNS.index("amount")


def roster_total(rows: list[list[Any]]) -> Decimal:
    return sum((r[AMOUNT_COLUMN] for r in rows), Decimal("0"))


def write_roster_xlsx(roster: Roster, out: IO[bytes]) -> int:
    """The roster as an Excel workbook, as it is printed: the title block (title, unit,
    period) above the header, the lines (ID numbers and accounts masked), the totals row
    and the signature lines; logged."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = f"{roster.programme} {roster.period}"[:31]
    width = len(ROSTER_HEADERS)
    head = roster_title_block(roster)
    ws.append([head.title])
    ws.append([head.lines[0]])
    ws.append([" · ".join(head.lines[1:])])
    for number in (1, 2, 3):
        ws.merge_cells(start_row=number, start_column=1, end_row=number, end_column=width)
        ws.cell(row=number, column=1).alignment = Alignment(horizontal="center")
    ws["A1"].font = Font(bold=True, size=15)
    ws.append([str(h) for h in ROSTER_HEADERS])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    rows = roster_rows(roster)
    for row in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    total: list[Any] = [""] * width
    total[0], total[AMOUNT_COLUMN] = str(_("total")), float(roster_total(rows))
    ws.append(total)
    rule = Side(style="medium")
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.border = Border(top=rule)
    ws.append([])
    signatures = [""] * width
    for i, label in enumerate(ROSTER_SIGNATURES):
        signatures[i * (width // len(ROSTER_SIGNATURES))] = f"{label}："
    ws.append(signatures)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    save_workbook(wb, out)
    audit.record(AuditAction.EXPORT, "benefit_roster", roster.pk,
                 details={"format": "xlsx", "rows": len(rows)})
    return len(rows)


BANK_COLUMNS = ["account_holder", "bank_name", "account_number", "amount", "id_number",
                "person_id", "reference"]


def write_bank_csv(roster: Roster, out: IO[str]) -> int:
    """The bank transfer file: full account numbers, as the bank needs them; logged."""
    writer = InertCsvWriter(out)
    writer.writerow(BANK_COLUMNS)
    n = 0
    for p in roster.payments.select_related("person", "application").order_by("id"):
        app = p.application
        writer.writerow([app.payee_name, app.bank_name, app.bank_account, f"{p.amount:.2f}",
                         p.person.id_number or "", p.person_id,
                         f"{roster.programme}-{roster.period}-{p.pk}"])
        n += 1
    audit.record(AuditAction.EXPORT, "benefit_bank_file", roster.pk,
                 details={"format": "csv", "rows": n, "programme": roster.programme,
                          "period": roster.period})
    return n


@transaction.atomic
def mark_roster_paid(user, roster: Roster, paid_on: dt.date) -> int:
    """Record the bank's confirmation that a roster was paid (county officers)."""
    if user is not None and not has_capability(user, APPROVE_BENEFITS):
        raise PermissionDenied
    n = roster.payments.filter(paid=False).update(paid=True, paid_on=paid_on)
    roster.paid_on = paid_on
    roster.save(update_fields=["paid_on"])
    audit.record(AuditAction.CHANGE, "benefit_roster", roster.pk,
                 details={"paid_on": paid_on.isoformat(), "lines": n}, user=user)
    return n
