"""Annual requalification (资格确认): every recipient rechecked on today's register."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.models import AuditAction
from renkou.core.scoping import subtree_q

from .eligibility import evaluate
from .models import Application, ApplicationState, Decision, Step
from .programmes import programme
from .rosters import months_due
from .workflow import record_decision, require_approve_benefits, user_scope

__all__ = ["RequalifyReport", "requalify"]

S = ApplicationState


@dataclass
class RequalifyReport:
    """What a requalification did: how many recipients it confirmed, and the suspended
    and stopped applications with the reason of each."""

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
    require_approve_benefits(user)  # a county step
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
            record_decision(app, Step.REQUALIFY, "stopped", user, reason, state=S.STOPPED)
            report.stopped.append((app, reason))
        elif r is None or not months_due(app, r):
            reason = r.reason if r is not None else _("not in the register")
            app.end_reason = reason[:200]
            record_decision(app, Step.REQUALIFY, "suspended", user, reason, state=S.SUSPENDED)
            report.suspended.append((app, reason))
        else:
            confirmations.append(Decision(application=app, step=Step.REQUALIFY, outcome="confirmed",
                                          state_after=app.state, comment=str(year),
                                          user=user if user and user.is_authenticated else None,
                                          role=getattr(user, "role", "") or ""))
    Decision.objects.bulk_create(confirmations, batch_size=1000)
    report.confirmed = len(confirmations)
    audit.record(AuditAction.DECIDE, "benefit_requalification", code,
                 details={"year": year, "confirmed": report.confirmed,
                          "suspended": len(report.suspended), "stopped": len(report.stopped)},
                 user=user)
    return report
