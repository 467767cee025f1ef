"""The service records on the home page (:mod:`renkou.core.dashboard`).

- For health workers (``record_services``): the follow-ups of their units overdue and due
  in the next fortnight (of people whose follow-up consent is active today: the list of
  :func:`~renkou.services.services.follow_up_list`), the requests waiting and the
  encounters of this month, with the next follow-ups listed; three counting queries and
  one of the next few rows.
- For auditors (``view_audit``): the break-the-glass reads (紧急调阅) of health-service
  records in the last 30 days among the entries they may read, with the latest listed and
  a link to the log filtered on them; two queries. Drawn only when there was such a
  read: an auditor's home is otherwise the log's own panel.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability
from renkou.core.dashboard import DashboardRequest, Figure, Link, Panel, PanelSpec, WorkItem
from renkou.core.services import visible_audit_entries

from . import services
from .catalogue import services as catalogue
from .models import Encounter, RequestState, ServiceRequest
from .permissions import RECORD_SERVICES

__all__ = ["PANELS", "SOON_DAYS", "AUDIT_DAYS", "health_panel", "break_glass_panel"]

#: Follow-ups counted as due soon: today and the next 13 days.
SOON_DAYS = 14
#: Break-the-glass reads counted: today and the 29 days before.
AUDIT_DAYS = 30
#: Rows listed in a panel's table.
LISTED = 5


def health_panel(request: DashboardRequest) -> list[Panel]:
    """Follow-ups overdue and due soon, requests waiting, encounters this month."""
    user, today = request.user, request.today
    soon = today + dt.timedelta(days=SOON_DAYS - 1)
    due = services.follow_up_list(user, on=today)
    counts = due.order_by().aggregate(overdue=Count("pk", filter=Q(due_on__lt=today)),
                                      soon=Count("pk", filter=Q(due_on__gte=today, due_on__lte=soon)))
    waiting = ServiceRequest.objects.visible_to(user).filter(state=RequestState.OPEN).count()
    month = Encounter.objects.visible_to(user).filter(date__gte=today.replace(day=1),
                                                      date__lte=today).count()
    listed = list(due.filter(due_on__lte=soon).order_by("due_on", "id")[:LISTED])
    names = catalogue()
    rows = []
    for f in listed:
        chosen = names.get(f.service_code)
        spec = chosen.follow_up(f.kind) if chosen else None
        rows.append({"follow_up": f, "overdue": f.due_on < today,
                     "service": chosen.name if chosen else f.service_code,
                     "kind": spec.name if spec else f.kind,
                     "url": reverse("services:person", args=[f.person_id])})
    follow_ups, index = reverse("services:follow_ups"), reverse("services:index")
    work: list[WorkItem] = []
    if counts["overdue"]:
        work.append(WorkItem(_("follow-ups overdue"), counts["overdue"], follow_ups, overdue=True))
    if counts["soon"]:
        work.append(WorkItem(_("follow-ups due in the next 14 days"), counts["soon"], follow_ups))
    if waiting:
        work.append(WorkItem(_("service requests waiting"), waiting, index + "#waiting"))
    figures = [
        Figure(_("encounters this month"), f"{month:,}", url=index + "#recent"),
        Figure(_("requests waiting"), f"{waiting:,}", url=index + "#waiting"),
        Figure(_("follow-ups due in the next 14 days"), f"{counts['soon']:,}", url=follow_ups),
        Figure(_("follow-ups overdue"), f"{counts['overdue']:,}", url=follow_ups),
    ]
    return [Panel("work", _("Health services"), figures=figures, work=work,
                  template="services/_panel_follow_ups.html", data={"rows": rows},
                  links=[Link(_("Find a person to serve"), index),
                         Link(_("Follow-up list"), follow_ups)])]


def break_glass_panel(request: DashboardRequest) -> list[Panel]:
    """Break-the-glass reads of the last 30 days (none: no panel)."""
    since = request.today - dt.timedelta(days=AUDIT_DAYS - 1)
    reads = visible_audit_entries(request.user).filter(
        object_type="service_record", details__access=services.BREAK_GLASS,
        time__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min)))
    latest = list(reads[:LISTED])
    if not latest:
        return []
    count = len(latest) if len(latest) < LISTED else reads.count()
    url = reverse("core:audit") + "?" + urlencode({
        "object_type": "service_record", "access": services.BREAK_GLASS,
        "date_from": since.isoformat()})
    comma = ", " if (get_language() or "").startswith("en") else "、"
    rows = [{"entry": e, "reason": (e.details or {}).get("reason", ""),
             "units": comma.join((e.details or {}).get("units", []))} for e in latest]
    return [Panel("break-glass", _("Break-the-glass reads of health-service records"),
                  subtitle=_("last %(n)s days") % {"n": AUDIT_DAYS},
                  figures=[Figure(_("break-the-glass reads"), f"{count:,}", url=url)],
                  template="services/_panel_break_glass.html", data={"rows": rows},
                  links=[Link(_("All of them in the log"), url)])]


PANELS = (PanelSpec(RECORD_SERVICES, health_panel),
          PanelSpec(Capability.VIEW_AUDIT, break_glass_panel))
