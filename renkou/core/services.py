"""Reading the access and change log (访问与变更日志), within what an auditor may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from renkou.accounts.permissions import Capability, has_capability

from .models import AuditEntry
from .scoping import subtree_q, user_org_path

__all__ = ["visible_audit_entries", "filter_audit_entries"]


def visible_audit_entries(user) -> QuerySet[AuditEntry]:
    """The log entries ``user`` may read, newest first.

    Only roles with ``view_audit``. An auditor bound to an org unit reads the entries
    of users whose org unit lies in its subtree, and the entries attributed to no
    user (failed log-ins, batch jobs run by the server's operator); a superuser reads
    everything.
    """
    entries = AuditEntry.objects.order_by("-time", "-id")
    if not has_capability(user, Capability.VIEW_AUDIT):
        return entries.none()
    path = user_org_path(user)
    if path is None:
        return entries
    if path == "":
        return entries.none()  # an auditor bound to no org unit reads nothing
    return entries.filter(Q(user__isnull=True) | subtree_q(path, "user__org__path"))


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_audit_entries(entries: QuerySet[AuditEntry], *, username: str = "", action: str = "",
                         object_type: str = "", object_id: str = "",
                         date_from: dt.date | None = None, date_to: dt.date | None = None,
                         client_address: str = "") -> QuerySet[AuditEntry]:
    """Narrow ``entries`` by the log page's filters; empty filters are ignored.

    ``username`` also finds failed log-ins under that name (they have no user);
    dates are whole days in the site's time zone, both ends included.
    """
    if username:
        entries = entries.filter(Q(username=username) | Q(user__isnull=True,
                                                          details__username=username))
    if action:
        entries = entries.filter(action=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if date_from:
        entries = entries.filter(time__gte=_start_of(date_from))
    if date_to:
        entries = entries.filter(time__lt=_start_of(date_to + dt.timedelta(days=1)))
    if client_address:
        entries = entries.filter(client_address=client_address)
    return entries
