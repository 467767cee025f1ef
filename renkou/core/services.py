"""Reading the access and change log (访问与变更日志), within what an auditor may see: the
entries, their labels for people, and the export of a filtered view."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.accounts.permissions import Capability, has_capability
from renkou.accounts.roles import Role

from . import audit, registry
from .models import AuditAction, AuditEntry
from .scoping import subtree_q, user_org_path
from .tables import TableWriter

__all__ = ["visible_audit_entries", "filter_audit_entries", "object_type_label", "entry_text",
           "EntryText", "export_audit_entries", "ExportTooLarge", "MAX_EXPORT_ROWS"]


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
                         client_address: str = "", access: str = "") -> QuerySet[AuditEntry]:
    """Narrow ``entries`` by the log page's filters; empty filters are ignored.

    ``username`` also finds failed log-ins under that name (they have no user);
    dates are whole days in the site's time zone, both ends included; ``access`` is how
    a record of another unit was read (``details["access"]``, e.g. ``break_glass``).
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
    if access:
        entries = entries.filter(details__access=access)
    return entries


# ----------------------------------------------------------------------------- reading for people

#: How an entry reached the log (``AuditEntry.channel``).
CHANNEL_LABELS = {"web": _("web page"), "api": _("JSON API"), "cli": _("command line")}

#: Names of the details the services log, for people; a detail not listed keeps its key.
DETAIL_LABELS = {
    "rows": _("rows written or read"), "file": _("file name"), "format": _("file format"),
    "org": _("org unit code"), "org_prefix": _("division-code prefix"),
    "period": _("statistical period"), "year": _("year of the work"),
    "filter": _("filters used"), "operation": _("what was done"), "part": _("part read"),
    "status": _("status set"), "reason": _("reason given"), "note": _("note given"),
    "person_id": _("person number"), "person_ids": _("person numbers"),
    "event_id": _("event number"), "event_type": _("type of life event"),
    "event_date": _("date of the event"), "programme": _("benefit programme"),
    "step": _("review step"), "outcome": _("outcome of the step"),
    "state": _("state of the application"), "role": _("role at the time"),
    "username": _("user name given"), "count": _("how many"), "scope": _("unit of the job"),
    "rule": _("rule code"), "rules": _("rules run"), "codes": _("rule codes"),
    "violations": _("open violations found"), "failed": _("rules that failed to run"),
    "persons": _("persons"), "events": _("life events"), "lines": _("payment lines"),
    "person_a": _("first record"), "person_b": _("second record"),
    "kept": _("record kept"), "undone": _("decision undone"), "pair_id": _("pair number"),
    "pairs_stored": _("pairs stored"), "threshold": _("probability threshold"),
    "confirmed": _("confirmed"), "suspended": _("suspended"), "stopped": _("stopped"),
    "paid_on": _("date paid"), "token_id": _("API token number"), "prefix": _("token prefix"),
    "active": _("switched on"), "command": _("command run"), "arguments": _("arguments"),
    "options": _("options"), "seconds": _("seconds taken"), "as_of": _("as of date"),
    "access": _("how another unit's record was read"), "units": _("units of the record"),
    "shown": _("records shown"), "withheld": _("records withheld"),
    "purpose": pgettext_lazy("consent", "purpose"), "service": _("service"),
    "withdrawn": _("withdrawn on"), "follow_ups_cancelled": _("follow-ups cancelled"),
    "via": _("recorded via"), "lookup": _("lookup"), "found": _("found"),
}
#: How a record of another unit was read (``details["access"]``, the health services).
ACCESS_LABELS = {"break_glass": _("break-the-glass read, with a reason"),
                 "shared": _("under the person's sharing consent")}


def _role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


def object_type_label(code: str) -> str:
    """The object type as people read it (the apps declare them, :mod:`renkou.core.registry`)."""
    label = registry.audit_object_types().get(code)
    return str(label) if label is not None else code


def _detail_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if value is None or value == "":
        return "—"
    if key == "role" and isinstance(value, str):
        return _role_label(value)
    if key == "access" and isinstance(value, str):
        return str(ACCESS_LABELS.get(value, value))
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass(frozen=True)
class EntryText:
    """One log entry as people read it: labels in the active language, details as
    ``(label, text)`` pairs. Built without a query, for the page and for the exports."""

    time: dt.datetime
    username: str
    role: str
    action: str
    object_type: str
    object_id: str
    client_address: str
    channel: str
    details: tuple[tuple[str, str], ...]

    @property
    def details_line(self) -> str:
        return "; ".join(f"{label}: {text}" for label, text in self.details)


def entry_text(entry: AuditEntry) -> EntryText:
    details = entry.details if isinstance(entry.details, dict) else {"": entry.details}
    return EntryText(
        time=timezone.localtime(entry.time),
        username=entry.username,
        role=_role_label(entry.role) if entry.role else "",
        action=str(AuditAction(entry.action).label) if entry.action in AuditAction.values
        else entry.action,
        object_type=object_type_label(entry.object_type) if entry.object_type else "",
        object_id=entry.object_id,
        client_address=entry.client_address or "",
        channel=str(CHANNEL_LABELS.get(entry.channel, entry.channel)),
        details=tuple((str(DETAIL_LABELS.get(k, k)), _detail_text(k, v))
                      for k, v in details.items()),
    )


# ----------------------------------------------------------------------------- exporting

#: The most rows one export from the page writes; a longer log is narrowed by its filters
#: first (or exported whole by the server's operator: ``renkou audit export``).
MAX_EXPORT_ROWS = 100_000
EXPORT_HEADER = (_("Time"), _("User"), _("Role"), _("Action"), _("Object type"),
                 _("Object number"), _("Client address"), _("Channel"), _("Details"))


class ExportTooLarge(Exception):  # noqa: N818 (a refusal, read as a sentence)
    """The filtered log has more rows than one export writes."""

    def __init__(self, rows: int, limit: int) -> None:
        super().__init__(rows, limit)
        self.rows, self.limit = rows, limit


def export_audit_entries(out: str | Path, user, filters: dict[str, Any]) -> int:
    """Write the entries ``user`` may read that pass the log page's ``filters`` to ``out``
    (``.csv`` or ``.xlsx`` by its suffix), newest first, with Chinese headers and labels
    (in the active language), and log the export. Returns the number of rows.

    Refuses (:class:`ExportTooLarge`, before writing) more than :data:`MAX_EXPORT_ROWS`.
    """
    if not has_capability(user, Capability.VIEW_AUDIT):
        raise PermissionDenied(_("this role may not read the access log"))
    entries = filter_audit_entries(visible_audit_entries(user), **filters)
    total = entries.count()
    if total > MAX_EXPORT_ROWS:
        raise ExportTooLarge(total, MAX_EXPORT_ROWS)
    n = 0
    with TableWriter(out, [str(h) for h in EXPORT_HEADER], str(_("access log"))) as writer:
        for entry in entries[:MAX_EXPORT_ROWS].iterator(chunk_size=2000):
            text = entry_text(entry)
            writer.writerow((text.time.replace(tzinfo=None, microsecond=0), text.username, text.role,
                             text.action, text.object_type, text.object_id,
                             text.client_address, text.channel, text.details_line))
            n += 1
    audit.record(AuditAction.EXPORT, "audit", "", details={
        "file": Path(out).name, "format": Path(out).suffix.lstrip("."), "rows": n,
        "filter": {k: (v.isoformat() if isinstance(v, dt.date) else v)
                   for k, v in filters.items() if v}}, user=user)
    return n
