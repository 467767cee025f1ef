"""The review workflow of a benefit application (a state machine): open, review,
public notice, objections, the bank account.

Every decision is an append-only :class:`~renkou.benefits.models.Decision` row plus an
entry in the access and change log (:func:`renkou.core.audit.record`), written by
:func:`record_decision`.

The state machine (申请 → 村级初审 → 乡镇审核 → 公示 → 县级审批)::

    submitted --village--> village_passed --township--> township_passed
        --open_notice--> on_notice --county (notice ended, no open objection)--> approved
    any review may reject (rejected); an upheld objection rejects;
    approved --requalify--> suspended; approved --ledger death/move out--> stopped

A programme whose ``review_levels`` omit the village step starts at township review.
The later states are reached in :mod:`renkou.benefits.rosters` (stopped) and
:mod:`renkou.benefits.requalification` (suspended, stopped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from renkou.accounts.models import Role
from renkou.accounts.permissions import has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit
from renkou.register.models import Person
from renkou.register.services import lock_persons

from .eligibility import evaluate
from .models import Application, ApplicationState, Decision, Notice, Objection, Step
from .permissions import APPROVE_BENEFITS, MANAGE_BENEFITS
from .programmes import Programme, programme

__all__ = [
    "WorkflowError",
    "user_scope",
    "record_decision",
    "require_manage_benefits",
    "open_applications",
    "open_walk_in",
    "pending_step",
    "may_take_step",
    "review",
    "open_notice",
    "record_objection",
    "resolve_objection",
    "set_bank_account",
    "scoped_applications",
]


S = ApplicationState
STEP_ROLE: dict[str, Role] = {Step.VILLAGE: Role.VILLAGE_CLERK, Step.TOWNSHIP: Role.TOWNSHIP_OFFICER,
                              Step.COUNTY: Role.COUNTY_OFFICER}
#: The review step an application in each state waits for.
PENDING_STEP: dict[str, Step] = {S.SUBMITTED: Step.VILLAGE, S.VILLAGE_PASSED: Step.TOWNSHIP,
                                 S.ON_NOTICE: Step.COUNTY}
#: How a step is logged when it is not a decision (决定) on the application: opening it
#: and an objection received during the public notice add a record; a bank account given
#: for the payments corrects its data.
_LOGGED_AS: dict[str, str] = {Step.OPEN: AuditAction.CREATE, Step.OBJECTION: AuditAction.CREATE,
                              Step.ACCOUNT: AuditAction.CHANGE}


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


def record_decision(app: Application, step: str, outcome: str, user, comment: str = "",
                    attachment: Any = None, state: str | None = None) -> Decision:
    """Record one step taken on ``app``: move it to ``state`` (if given), append its
    :class:`~renkou.benefits.models.Decision` row (with the attachment, if any) and log
    it (a decision, except opening and a bank account: :data:`_LOGGED_AS`)."""
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
    audit.record(_LOGGED_AS.get(step, AuditAction.DECIDE), "benefit_application", app.pk,
                 details={"step": step, "outcome": outcome, "state": app.state,
                          "person_id": app.person_id, "programme": app.programme},
                 user=user)
    return decision


def require_manage_benefits(user) -> None:
    """Refuse (``PermissionDenied``) a user without the capability to manage benefits;
    ``None`` (a command run without ``--user``) may."""
    if user is not None and not has_capability(user, MANAGE_BENEFITS):
        raise PermissionDenied


def require_approve_benefits(user) -> None:
    """Refuse a user without the county's capability (payment rosters, requalification,
    approvals); ``None`` (a command run without ``--user``) may."""
    if user is not None and not has_capability(user, APPROVE_BENEFITS):
        raise PermissionDenied


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


@transaction.atomic
def open_applications(user, code: str, year: int, person_ids: Iterable[int | str], *,
                      source: str = "screening") -> list[Application]:
    """Open applications for these persons (from the screening list), re-checking each.

    Persons not eligible, outside the user's scope or with an open application for the
    programme are skipped.
    """
    require_manage_benefits(user)
    prog = programme(code)
    scope = user_scope(user)
    ids = sorted({int(i) for i in person_ids})
    # lock, then check, then write: a second screening of the same persons waits here
    # and then sees the applications this one opened
    lock_persons(*Person.objects.filter(pk__in=ids))
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
        record_decision(app, Step.OPEN, source, user)
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
    require_manage_benefits(user)
    prog = programme(code)
    scope = user_scope(user)
    if user is not None and not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied
    lock_persons(person)  # a second walk-in for the same person waits, then is refused
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
    record_decision(app, Step.OPEN, "walk_in", user, comment)
    return app


def pending_step(app: Application) -> str | None:
    """The review step the application waits for, if any."""
    return PENDING_STEP.get(app.state)


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
        return record_decision(app, step, "rejected", user, comment, attachment, S.REJECTED)
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
    return record_decision(app, step, "passed" if step != Step.COUNTY else "approved", user, comment,
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
    org = user.org or apps[0].org
    notice = Notice.objects.create(programme=code, org=org, starts_on=starts_on,
                                   ends_on=starts_on + dt.timedelta(days=days - 1), created_by=user)
    notice.applications.set(apps)
    for app in apps:
        record_decision(app, Step.NOTICE, "posted", user,
                _("notice %(id)s, %(start)s to %(end)s") % {
                    "id": notice.pk, "start": notice.starts_on, "end": notice.ends_on},
                state=S.ON_NOTICE)
    return notice


@transaction.atomic
def record_objection(user, notice: Notice, app: Application, text: str,
                     received_on: dt.date | None = None) -> Objection:
    """Record an objection (异议) to an application on notice."""
    require_manage_benefits(user)
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
    record_decision(app, Step.OBJECTION, "recorded", user, text)
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
    record_decision(app, Step.RESOLUTION, objection.resolution, user, comment,
            state=S.REJECTED if upheld else None)
    return objection


@transaction.atomic
def set_bank_account(user, app: Application, *, payee_name: str, bank_name: str,
                     bank_account: str) -> None:
    """Record the account the benefit is paid into, as entered by the clerk."""
    require_manage_benefits(user)
    account = bank_account.replace(" ", "")
    if not account.isdigit() or not 8 <= len(account) <= 30:
        raise WorkflowError(_("a bank account number has 8 to 30 digits"))
    app.payee_name, app.bank_name, app.bank_account = payee_name.strip(), bank_name.strip(), account
    app.save(update_fields=["payee_name", "bank_name", "bank_account"])
    record_decision(app, Step.ACCOUNT, "set", user, f"{app.payee_name} {app.bank_name} ****{account[-4:]}")


def scoped_applications(user) -> QuerySet[Application]:
    """The applications ``user`` may see, with their person and org unit."""
    return Application.objects.visible_to(user).select_related("person", "org")
