"""Cross-checks sent to other areas (协查) and their feedback rate (协查反馈率).

协查反馈率 = requests answered on or before their due date / requests sent, per
sending unit (rolled up through the tree) for the requests sent in a period. A
request not yet answered counts as sent and not answered, even before its due date
(the page also shows how many are still pending).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit

from .common import Rate, rate, visible_rollup
from .departments import CROSSCHECK_DAYS
from .models import CrossCheck

__all__ = ["FeedbackRow", "feedback_rates", "record_feedback", "create_crosscheck"]


@dataclass
class FeedbackRow:
    unit: OrgUnit
    sent: int
    answered_in_time: int
    answered_late: int
    pending: int
    rate: Rate


def feedback_rates(user=None, start: dt.date | None = None, end: dt.date | None = None,
                   today: dt.date | None = None) -> list[FeedbackRow]:
    """The feedback rate of every sending unit and the units above it, for requests sent
    from ``start`` to ``end``: one GROUP BY over the requests, rolled up via the path."""
    today = today or clock.today()
    qs = CrossCheck.objects.all() if user is None else CrossCheck.objects.visible_to(user)
    if start is not None:
        qs = qs.filter(sent_date__gte=start)
    if end is not None:
        qs = qs.filter(sent_date__lte=end)
    counts: dict[int, dict[str, float]] = {}
    for row in qs.values("org_id").annotate(
            sent=Count("id"),
            in_time=Count("id", filter=Q(feedback_date__lte=F("due_date"))),
            late=Count("id", filter=Q(feedback_date__gt=F("due_date"))),
            pending=Count("id", filter=Q(feedback_date__isnull=True, due_date__gte=today))):
        counts[row["org_id"]] = row
    return [FeedbackRow(unit, int(c["sent"]), int(c["in_time"]), int(c["late"]),
                        int(c["pending"]), rate(c["in_time"], c["sent"]))
            for unit, c in visible_rollup(counts, ("sent", "in_time", "late", "pending"), user)]


def record_feedback(check: CrossCheck, *, feedback_date: dt.date, result: str,
                    user=None) -> CrossCheck:
    """Record the other area's reply to a cross-check."""
    if user is not None and not has_capability(user, Capability.EDIT_REGISTER):
        raise PermissionDenied(_("this role may not change the register"))
    if feedback_date < check.sent_date:
        raise ValidationError({"feedback_date": _("the reply cannot come before the request "
                                                  "was sent")})
    check.feedback_date = feedback_date
    check.result = (result or "").strip()[:300]
    check.save(update_fields=["feedback_date", "result"])
    audit.record(AuditAction.CHANGE, "crosscheck", check.pk, details={
        "feedback_date": feedback_date.isoformat()}, user=user)
    return check


def create_crosscheck(*, org: OrgUnit, target_area_code: str, subject: str,
                      sent_date: dt.date, due_date: dt.date | None = None,
                      user=None) -> CrossCheck:
    """Send a cross-check request by hand (a record found to belong to another area)."""
    if user is not None and not has_capability(user, Capability.EDIT_REGISTER):
        raise PermissionDenied(_("this role may not change the register"))
    code = (target_area_code or "").strip()
    errors = {}
    if not (code.isdigit() and len(code) in (6, 9, 12)):
        errors["target_area_code"] = _("an area code has 6, 9 or 12 digits")
    if not (subject or "").strip():
        errors["subject"] = _("the subject is required")
    due_date = due_date or sent_date + dt.timedelta(days=CROSSCHECK_DAYS)
    if due_date < sent_date:
        errors["due_date"] = _("the due date is before the sent date")
    if errors:
        raise ValidationError(errors)
    check = CrossCheck.objects.create(
        org=org, target_area_code=code.ljust(12, "0"), subject=subject.strip()[:200],
        sent_date=sent_date, due_date=due_date,
        created_by=user if user is not None and user.is_authenticated else None)
    audit.record(AuditAction.CREATE, "crosscheck", check.pk, details={
        "target_area_code": check.target_area_code}, user=user)
    return check
