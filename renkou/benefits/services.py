"""Family benefits: screening, the review workflow (a state machine), public notice,
payment rosters, requalification and figures.

Views and commands only call these functions. Every decision is an append-only
:class:`~renkou.benefits.models.Decision` row plus an entry in the access and change
log (:func:`renkou.core.audit.record`); every export is logged.

The state machine (申请 → 村级初审 → 乡镇审核 → 公示 → 县级审批)::

    submitted --village--> village_passed --township--> township_passed
        --open_notice--> on_notice --county (notice ended, no open objection)--> approved
    any review may reject (rejected); an upheld objection rejects;
    approved --requalify--> suspended; approved --ledger death/move out--> stopped

A programme whose ``review_levels`` omit the village step starts at township review.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from renkou.accounts.models import Role
from renkou.accounts.permissions import has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.scoping import subtree_q
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import mask_id_number
from renkou.register.models import EventType, LifeEvent, Person

from .eligibility import Result, evaluate, months_amount
from .models import (
    Application,
    ApplicationState,
    Decision,
    Notice,
    Objection,
    Payment,
    ProgrammeVersion,
    Roster,
    Step,
)
from .permissions import APPROVE_BENEFITS, MANAGE_BENEFITS
from .programmes import Programme, programme

__all__ = [
    "WorkflowError",
    "screen_programme",
    "screening_rows",
    "write_screening_csv",
    "SCREENING_COLUMNS",
    "open_applications",
    "open_walk_in",
    "review",
    "pending_step",
    "may_take_step",
    "log_screening_view",
    "open_notice",
    "record_objection",
    "resolve_objection",
    "set_bank_account",
    "add_version",
    "generate_roster",
    "roster_rows",
    "write_roster_xlsx",
    "write_bank_csv",
    "mark_roster_paid",
    "requalify",
    "figures",
    "recipient_history",
    "user_scope",
]

S = ApplicationState
STEP_ROLE = {Step.VILLAGE: Role.VILLAGE_CLERK, Step.TOWNSHIP: Role.TOWNSHIP_OFFICER,
             Step.COUNTY: Role.COUNTY_OFFICER}


class WorkflowError(Exception):
    """A step that cannot be taken now, with the reason in the user's language."""


def user_scope(user, org_code: str | None = None) -> OrgUnit | None:
    """The org unit a user works on: ``org_code`` if inside its subtree, else its own unit.

    ``None`` means the whole register (a superuser, or a command run without ``--user``).
    """
    try:
        return OrgUnit.objects.resolve_for(user, org_code)
    except OrgUnit.DoesNotExist:
        if org_code:
            raise WorkflowError(_("no org unit has the code %(code)s") % {"code": org_code}) from None
        raise PermissionDenied from None


# ---------------------------------------------------------------- screening

SCREENING_COLUMNS = ["person_id", "name", "id_number", "sex", "birth_date", "org_code",
                     "org_name", "facts", "months_due", "months", "amount_due"]


def screen_programme(code: str, year: int, *, user=None, org_code: str | None = None
                     ) -> tuple[Programme, list[Result]]:
    """Everyone eligible for programme ``code`` in ``year`` within the user's scope."""
    prog = programme(code)
    scope = user_scope(user, org_code)
    return prog, [r for r in evaluate(prog, year, scope) if r.eligible]


def _facts_text(r: Result) -> str:
    return "; ".join(f"{k}={v}" for k, v in r.facts.items())


def screening_rows(results: Iterable[Result]) -> Iterable[list[Any]]:
    for r in results:
        yield [r.person_id, r.name, mask_id_number(r.id_number), r.sex, r.birth_date.isoformat(),
               r.org_code, r.org_name, _facts_text(r), len(r.months),
               " ".join(str(m) for m in r.months), f"{r.amount:.2f}"]


def write_screening_csv(prog: Programme, year: int, results: list[Result], out: IO[str], *,
                        org_code: str | None = None) -> int:
    """The screening list as CSV (``person_id`` first, masked ID numbers); logged."""
    writer = csv.writer(out)
    writer.writerow(SCREENING_COLUMNS)
    n = 0
    for row in screening_rows(results):
        writer.writerow(row)
        n += 1
    audit.record(AuditAction.EXPORT, "benefit_screening", prog.code,
                 details={"programme": prog.code, "year": year, "org": org_code or "",
                          "rows": n})
    return n


# ---------------------------------------------------------------- applications

def _role_check(user, app: Application, step: str) -> None:
    if user is None or not user.is_authenticated:
        raise PermissionDenied
    if not Application.objects.visible_to(user).filter(pk=app.pk).exists():
        raise PermissionDenied
    if user.is_superuser:
        return
    if user.role != STEP_ROLE[step]:
        raise PermissionDenied(_("this step is taken by a %(role)s")
                               % {"role": Role(STEP_ROLE[step]).label})
    if step == Step.COUNTY and not has_capability(user, APPROVE_BENEFITS):
        raise PermissionDenied


def may_take_step(user, app: Application) -> bool:
    """Whether ``user`` may take the application's pending review step."""
    step = pending_step(app)
    if step is None:
        return False
    try:
        _role_check(user, app, step)
    except PermissionDenied:
        return False
    return True


def log_screening_view(prog: Programme, year: int, org_code: str | None, rows: int) -> None:
    """A screening list shown on a page is a list of persons: logged like an export."""
    audit.record(AuditAction.VIEW, "benefit_screening", prog.code,
                 details={"programme": prog.code, "year": year, "org": org_code or "",
                          "rows": rows})


def _decide(app: Application, step: str, outcome: str, user, comment: str = "",
            attachment: Any = None, state: str | None = None) -> Decision:
    if state is not None:
        app.state = state
        app.save(update_fields=["state", "approved_on", "ended_on", "end_reason"])
    decision = Decision(application=app, step=step, outcome=outcome, comment=comment,
                        state_after=app.state, user=user if user and user.is_authenticated else None,
                        role=getattr(user, "role", "") or "")
    if attachment is not None:
        decision.attachment_name = getattr(attachment, "name", "attachment")[:200]
        decision.attachment_type = getattr(attachment, "content_type", "") or ""
        decision.attachment = attachment.read()
    decision.save()
    audit.record(AuditAction.CHANGE if step != Step.OPEN else AuditAction.CREATE,
                 "benefit_application", app.pk,
                 details={"step": step, "outcome": outcome, "state": app.state,
                          "person_id": app.person_id, "programme": app.programme},
                 user=user)
    return decision


def _can_manage(user) -> None:
    if user is not None and not has_capability(user, MANAGE_BENEFITS):
        raise PermissionDenied


@transaction.atomic
def open_applications(user, code: str, year: int, person_ids: Iterable[int], *,
                      source: str = "screening") -> list[Application]:
    """Open applications for these persons (from the screening list), re-checking each.

    Persons not eligible, outside the user's scope or with an open application for the
    programme are skipped.
    """
    _can_manage(user)
    prog = programme(code)
    scope = user_scope(user)
    ids = sorted({int(i) for i in person_ids})
    taken = set(Application.objects.filter(programme=code, person_id__in=ids)
                .exclude(state__in=[S.REJECTED, S.STOPPED]).values_list("person_id", flat=True))
    results = evaluate(prog, year, scope, persons=Person.objects.filter(pk__in=ids).values("pk"))
    opened = []
    for r in results:
        if not r.eligible or r.person_id in taken:
            continue
        app = Application.objects.create(
            programme=code, year=year, person_id=r.person_id, org_id=r.org_id, source=source,
            rate=r.rate, facts={**r.facts, "months": r.months, "amount": str(r.amount)},
            payee_name=r.payee or r.name, created_by=user if user and user.is_authenticated else None,
            state=_first_state(prog))
        _decide(app, Step.OPEN, source, user)
        opened.append(app)
    return opened


def _first_state(prog: Programme) -> str:
    return S.SUBMITTED if "village" in prog.review_levels else (
        S.VILLAGE_PASSED if "township" in prog.review_levels else S.TOWNSHIP_PASSED)


@transaction.atomic
def open_walk_in(user, code: str, year: int, person: Person, *, attestations: dict[str, str],
                 rate: str = "default", comment: str = "") -> Application:
    """A walk-in application (来访申请). Facts the register cannot know are attested.

    The register facts are checked as for screening; if the children's composition is
    not what the register shows, the reviewer's attestation of the programme's
    attestable facts (for example the child's disability grade) is recorded instead —
    an attestation by a named reviewer, never a system classification.
    """
    _can_manage(user)
    prog = programme(code)
    scope = user_scope(user)
    if user is not None and not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied
    if Application.objects.filter(programme=code, person=person).exclude(
            state__in=[S.REJECTED, S.STOPPED]).exists():
        raise WorkflowError(_("%(name)s already has an open application for this programme")
                            % {"name": person.name})
    if rate != "default" and rate not in prog.rates():
        raise WorkflowError(_("unknown rate %(rate)s") % {"rate": rate})
    results = evaluate(prog, year, scope, persons=Person.objects.filter(pk=person.pk).values("pk"))
    if not results:
        raise WorkflowError(_("%(name)s is not in this area's register") % {"name": person.name})
    r = results[0]
    attested = {k: v for k, v in (attestations or {}).items() if v and k in prog.attestations}
    if not r.eligible:
        if not attested:
            raise WorkflowError(_("not eligible on the register facts: %(reason)s; a reviewer "
                                  "may attest what the register cannot know") % {"reason": r.reason})
        if not r.base_months:
            raise WorkflowError(_("not eligible: %(reason)s") % {"reason": r.reason})
    stamp = {"by": user.get_username() if user else "", "on": clock.today().isoformat()}
    app = Application.objects.create(
        programme=code, year=year, person=person, org_id=r.org_id, source="walk_in",
        rate=rate if rate != "default" else r.rate,
        facts={**r.facts, "months": r.months or r.base_months, "register_reason": r.reason},
        attestations={k: {"value": v, **stamp} for k, v in attested.items()},
        payee_name=r.payee or person.name, created_by=user, state=_first_state(prog))
    _decide(app, Step.OPEN, "walk_in", user, comment)
    return app


def pending_step(app: Application) -> str | None:
    """The review step the application waits for, if any."""
    return {S.SUBMITTED: Step.VILLAGE, S.VILLAGE_PASSED: Step.TOWNSHIP,
            S.ON_NOTICE: Step.COUNTY}.get(app.state)


@transaction.atomic
def review(user, app: Application, *, approve: bool, comment: str = "",
           attachment: Any = None, today: dt.date | None = None) -> Decision:
    """Take the pending review step: village review, township review or county approval."""
    app = Application.objects.select_for_update().get(pk=app.pk)
    step = pending_step(app)
    if step is None:
        raise WorkflowError(_("the application is %(state)s; no review is pending")
                            % {"state": app.get_state_display()})
    _role_check(user, app, step)
    if not approve:
        if not comment.strip():
            raise WorkflowError(_("give the reason for the rejection"))
        return _decide(app, step, "rejected", user, comment, attachment, S.REJECTED)
    if step == Step.VILLAGE:
        nxt = S.VILLAGE_PASSED
    elif step == Step.TOWNSHIP:
        nxt = S.TOWNSHIP_PASSED
    else:
        today = today or clock.today()
        notice = app.notices.order_by("-ends_on").first()
        if notice is None or notice.ends_on >= today:
            raise WorkflowError(_("the public notice runs until %(date)s; approve after it ends")
                                % {"date": notice.ends_on.isoformat() if notice else "—"})
        if app.objections.filter(resolution="").exists():
            raise WorkflowError(_("an objection is not yet resolved"))
        app.approved_on = today
        nxt = S.APPROVED
    return _decide(app, step, "passed" if step != Step.COUNTY else "approved", user, comment,
                   attachment, nxt)


@transaction.atomic
def open_notice(user, code: str, applications: Iterable[Application], *,
                starts_on: dt.date | None = None, days: int | None = None) -> Notice:
    """Post a public notice (公示) of applications that passed township review."""
    if user is None or not (user.is_superuser or user.role in (Role.TOWNSHIP_OFFICER,
                                                                 Role.COUNTY_OFFICER)):
        raise PermissionDenied
    prog = programme(code)
    apps = list(Application.objects.visible_to(user).select_for_update()
                .filter(pk__in=[a.pk for a in applications], programme=code))
    if not apps:
        raise WorkflowError(_("choose at least one application"))
    wrong = [a for a in apps if a.state != S.TOWNSHIP_PASSED]
    if wrong:
        raise WorkflowError(_("application %(id)s is not awaiting public notice") % {"id": wrong[0].pk})
    starts_on = starts_on or clock.today()
    if starts_on > clock.today():
        raise WorkflowError(_("the notice cannot start in the future"))
    days = days or prog.notice_days
    org = user.org or OrgUnit.objects.filter(pk=apps[0].org_id).first()
    notice = Notice.objects.create(programme=code, org=org, starts_on=starts_on,
                                   ends_on=starts_on + dt.timedelta(days=days - 1), created_by=user)
    notice.applications.set(apps)
    for app in apps:
        _decide(app, Step.NOTICE, "posted", user,
                _("notice %(id)s, %(start)s to %(end)s") % {
                    "id": notice.pk, "start": notice.starts_on, "end": notice.ends_on},
                state=S.ON_NOTICE)
    return notice


@transaction.atomic
def record_objection(user, notice: Notice, app: Application, text: str,
                     received_on: dt.date | None = None) -> Objection:
    """Record an objection (异议) to an application on notice."""
    _can_manage(user)
    received_on = received_on or clock.today()
    if not text.strip():
        raise WorkflowError(_("write down the objection"))
    if not notice.applications.filter(pk=app.pk).exists():
        raise WorkflowError(_("this application is not on this notice"))
    if not (notice.starts_on <= received_on <= notice.ends_on):
        raise WorkflowError(_("the notice ran from %(start)s to %(end)s") % {
            "start": notice.starts_on, "end": notice.ends_on})
    objection = Objection.objects.create(notice=notice, application=app, received_on=received_on,
                                         text=text, recorded_by=user)
    _decide(app, Step.OBJECTION, "recorded", user, text)
    return objection


@transaction.atomic
def resolve_objection(user, objection: Objection, *, upheld: bool, comment: str) -> Objection:
    """Resolve an objection: dismissed (the application stays) or upheld (rejected)."""
    if user is None or not (user.is_superuser or user.role in (Role.TOWNSHIP_OFFICER,
                                                                 Role.COUNTY_OFFICER)):
        raise PermissionDenied
    if objection.resolution:
        raise WorkflowError(_("this objection is already resolved"))
    if not comment.strip():
        raise WorkflowError(_("explain the resolution"))
    objection.resolution = "upheld" if upheld else "dismissed"
    objection.resolution_comment = comment
    objection.resolved_by = user
    objection.resolved_at = clock.now()
    objection.save()
    app = objection.application
    _decide(app, Step.RESOLUTION, objection.resolution, user, comment,
            state=S.REJECTED if upheld else None)
    return objection


@transaction.atomic
def set_bank_account(user, app: Application, *, payee_name: str, bank_name: str,
                     bank_account: str) -> None:
    """Record the account the benefit is paid into, as entered by the clerk."""
    _can_manage(user)
    account = bank_account.replace(" ", "")
    if not account.isdigit() or not 8 <= len(account) <= 30:
        raise WorkflowError(_("a bank account number has 8 to 30 digits"))
    app.payee_name, app.bank_name, app.bank_account = payee_name.strip(), bank_name.strip(), account
    app.save(update_fields=["payee_name", "bank_name", "bank_account"])
    _decide(app, Step.ACCOUNT, "set", user, f"{app.payee_name} {app.bank_name} ****{account[-4:]}")


@transaction.atomic
def add_version(user, code: str, *, effective_from: dt.date, amounts: dict[str, Any],
                org_prefix: str = "", criteria: dict | None = None, note: str = ""
                ) -> ProgrammeVersion:
    """An office's new version of a programme (amounts edited without code)."""
    prog = programme(code)
    if org_prefix and not org_prefix.isdigit():
        raise WorkflowError(_("%(prefix)s is not a division-code prefix") % {"prefix": org_prefix})
    try:
        clean = {k: str(Decimal(str(v))) for k, v in amounts.items()}
    except ArithmeticError as exc:
        raise WorkflowError(_("the amount must be a number")) from exc
    unknown = set(clean) - set(prog.rates()) - {"default"}
    if unknown:
        raise WorkflowError(_("unknown rate %(rate)s") % {"rate": ", ".join(sorted(unknown))})
    version = ProgrammeVersion.objects.create(
        programme=code, effective_from=effective_from, org_prefix=org_prefix, amounts=clean,
        criteria=criteria or {}, note=note,
        created_by=user if user is not None and user.is_authenticated else None)
    audit.record(AuditAction.CREATE, "benefit_programme_version", version.pk,
                 details={"programme": code, "from": effective_from.isoformat(),
                          "org_prefix": org_prefix, "amounts": clean}, user=user)
    return version


# ---------------------------------------------------------------- payments

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


def _due(app: Application, r: Result) -> list[int]:
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
    _can_manage(user)
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
    lines, stops = [], []
    for pid, app in apps.items():
        r = results.get(pid)
        if r is None:
            continue
        months = [m for m in _due(app, r) if m <= last_month and m not in paid[app.pk]]
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
        roster = Roster.objects.create(programme=code, period=period,
                                       org=scope or OrgUnit.objects.filter(level=1).first(),
                                       due_on=end + dt.timedelta(days=due_days),
                                       created_by=user if user and user.is_authenticated else None)
        for line in lines:
            line.roster = roster
        Payment.objects.bulk_create(lines, batch_size=1000)
        audit.record(AuditAction.CREATE, "benefit_roster", roster.pk,
                     details={"programme": code, "period": period, "lines": len(lines)}, user=user)
    for app, r in stops:
        app.ended_on = r.left_on
        app.end_reason = r.left_reason
        reason = _("died on %(date)s") if r.left_reason == "death" else _("moved away on %(date)s")
        last = max(r.months or r.base_months or [0])
        _decide(app, Step.STOP, r.left_reason, user,
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


ROSTER_HEADERS = [_lazy("person ID"), _lazy("name"), _lazy("ID number"), _lazy("org unit code"),
                  _lazy("org unit"), _lazy("account holder"), _lazy("bank"),
                  _lazy("bank account number"), _lazy("year"), _lazy("months"),
                  _lazy("months in arrears"), _lazy("amount"), _lazy("paid"), _lazy("paid on")]


def write_roster_xlsx(roster: Roster, out: IO[bytes]) -> int:
    """The roster as an Excel workbook (ID numbers and accounts masked); logged."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = f"{roster.programme} {roster.period}"[:31]
    ws.append([str(h) for h in ROSTER_HEADERS])
    rows = roster_rows(roster)
    for row in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    ws.append([])
    ws.append([str(_("total")), "", "", "", "", "", "", "", "", "", "",
               float(sum(r[11] for r in rows))])
    wb.save(out)
    audit.record(AuditAction.EXPORT, "benefit_roster", roster.pk,
                 details={"format": "xlsx", "rows": len(rows)})
    return len(rows)


BANK_COLUMNS = ["account_holder", "bank_name", "account_number", "amount", "id_number",
                "person_id", "reference"]


def write_bank_csv(roster: Roster, out: IO[str]) -> int:
    """The bank transfer file: full account numbers, as the bank needs them; logged."""
    writer = csv.writer(out)
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


# ---------------------------------------------------------------- requalification

@dataclass
class RequalifyReport:
    confirmed: int
    suspended: list[tuple[Application, str]]
    stopped: list[tuple[Application, str]]


@transaction.atomic
def requalify(user, code: str, year: int, *, org_code: str | None = None) -> RequalifyReport:
    """Annual requalification (资格确认): recheck every recipient on today's register.

    A recipient who died or moved away is stopped; one who no longer meets the rule
    (and has no attestation covering it) is suspended with the reason; the others are
    confirmed. Each gets a decision row.
    """
    _can_manage(user)
    prog = programme(code)
    scope = user_scope(user, org_code)
    apps_qs = Application.objects.filter(programme=code, state=S.APPROVED)
    if scope is not None:
        apps_qs = apps_qs.filter(subtree_q(scope.path, "org__path"))
    apps = {a.person_id: a for a in apps_qs}
    results = {r.person_id: r for r in evaluate(prog, year, None,
                                                persons=apps_qs.values("person_id"))}
    report = RequalifyReport(0, [], [])
    confirmations = []
    for pid, app in apps.items():
        r = results.get(pid)
        if r is not None and r.left_on is not None:
            app.ended_on, app.end_reason = r.left_on, r.left_reason
            reason = (_("died on %(date)s") if r.left_reason == "death"
                      else _("moved away on %(date)s")) % {"date": r.left_on.isoformat()}
            _decide(app, Step.REQUALIFY, "stopped", user, reason, state=S.STOPPED)
            report.stopped.append((app, reason))
        elif r is None or not _due(app, r):
            reason = r.reason if r is not None else _("not in the register")
            app.end_reason = reason[:200]
            _decide(app, Step.REQUALIFY, "suspended", user, reason, state=S.SUSPENDED)
            report.suspended.append((app, reason))
        else:
            confirmations.append(Decision(application=app, step=Step.REQUALIFY, outcome="confirmed",
                                          state_after=app.state, comment=str(year),
                                          user=user if user and user.is_authenticated else None,
                                          role=getattr(user, "role", "") or ""))
    Decision.objects.bulk_create(confirmations, batch_size=1000)
    report.confirmed = len(confirmations)
    audit.record(AuditAction.CHANGE, "benefit_requalification", code,
                 details={"year": year, "confirmed": report.confirmed,
                          "suspended": len(report.suspended), "stopped": len(report.stopped)},
                 user=user)
    return report


# ---------------------------------------------------------------- figures

FIGURE_COLUMNS = ["org_code", "org_name", "level", "programme", "period", "recipients",
                  "amount_due", "amount_paid", "payment_rate", "paid_on_time", "timeliness"]


def figures(year: int, *, user=None, org_code: str | None = None, max_level: int = 3
            ) -> list[dict[str, Any]]:
    """Recipients, amount due and paid, payment rate (兑现率 = paid / due) and timeliness
    (share of paid amount paid by the roster's due date) by org unit, programme and
    roster period: one GROUP BY over the org paths, each payment counted in every unit
    above it."""
    scope = user_scope(user, org_code)
    where, params = ["p.year = %s", "a.level <= %s"], [year, max_level]
    if scope is not None:
        where.append("(a.path = %s OR a.path LIKE %s)")
        params += [scope.path, scope.path + "/%"]
    sql = f"""
        SELECT a.code, a.name, a.level, r.programme, r.period,
               COUNT(DISTINCT p.application_id),
               SUM(p.amount),
               SUM(CASE WHEN p.paid THEN p.amount ELSE 0 END),
               SUM(CASE WHEN p.paid AND p.paid_on <= r.due_on THEN p.amount ELSE 0 END)
        FROM benefits_payment p
        JOIN benefits_roster r ON r.id = p.roster_id
        JOIN orgunits_orgunit o ON o.id = p.org_id
        JOIN orgunits_orgunit a ON (o.path = a.path OR o.path LIKE a.path || '/%%')
        WHERE {' AND '.join(where)}
        GROUP BY a.code, a.name, a.level, r.programme, r.period
        ORDER BY a.code, r.programme, r.period
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for code, name, level, prog, period, recipients, due, paid, timely in rows:
        due, paid, timely = (Decimal(str(v or 0)).quantize(Decimal("0.01")) for v in (due, paid, timely))
        out.append({
            "org_code": code, "org_name": name, "level": level, "programme": prog,
            "period": period, "recipients": recipients, "amount_due": due, "amount_paid": paid,
            "payment_rate": round(float(paid / due * 100), 1) if due else None,
            "paid_on_time": timely,
            "timeliness": round(float(timely / paid * 100), 1) if paid else None,
        })
    return out


# ---------------------------------------------------------------- history

def recipient_history(user, person: Person) -> dict[str, Any]:
    """Everything benefits know of one person, with the ledger events that matter; logged."""
    apps = list(Application.objects.filter(person=person).order_by("id"))
    decisions = list(Decision.objects.filter(application__in=apps).select_related("user")
                     .defer("attachment").order_by("at", "id"))
    notices = list(Notice.objects.filter(applications__in=apps).distinct().order_by("starts_on"))
    objections = list(Objection.objects.filter(application__in=apps).order_by("id"))
    payments = list(Payment.objects.filter(application__in=apps).select_related("roster")
                    .order_by("year", "id"))
    kin = Person.objects.filter(Q(mother=person) | Q(father=person)).values("pk")
    events = list(LifeEvent.objects.filter(Q(person=person) | Q(
        person__in=kin, event_type__in=[EventType.BIRTH, EventType.DEATH, EventType.MOVE_OUT]))
        .select_related("person", "org").order_by("event_date", "pk"))
    audit.record(AuditAction.VIEW, "person", person.pk, details={"page": "benefit_history"},
                 user=user)
    return {"applications": apps, "decisions": decisions, "notices": notices,
            "objections": objections, "payments": payments, "events": events,
            "paid_total": sum((p.amount for p in payments if p.paid), Decimal("0.00")),
            "due_total": sum((p.amount for p in payments), Decimal("0.00"))}


def scoped_applications(user) -> QuerySet[Application]:
    return Application.objects.visible_to(user).select_related("person", "org")
