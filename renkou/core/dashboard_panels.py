"""The platform's own panels on the home page (:mod:`renkou.core.dashboard`): for the
auditor, the latest entries of the access and change log it may read and what happened
today and this week — exports, failed log-ins, views of person records — with a chart of
the last two weeks. Two queries: the latest entries, and one GROUP BY day and action."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability

from .dashboard import (
    Chart,
    ChartSeries,
    DashboardRequest,
    Figure,
    Link,
    Panel,
    PanelSpec,
    WorkItem,
)
from .models import AuditAction, Job
from .services import visible_audit_entries

__all__ = ["LATEST", "PANELS", "audit_panel", "jobs_panel"]

#: Entries listed; the chart's days.
LATEST = 10
CHART_DAYS = 14
#: one's background jobs listed
RECENT_JOBS = 5
#: What the auditor's figures count, in the order shown.
COUNTED = (AuditAction.EXPORT, AuditAction.LOGIN_FAILED, AuditAction.VIEW)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_panel(request: DashboardRequest) -> list[Panel]:
    """The latest log entries, and today's and this week's counts."""
    entries = visible_audit_entries(request.user)
    today = request.today
    monday = today - dt.timedelta(days=today.weekday())
    first = min(monday, today - dt.timedelta(days=CHART_DAYS - 1))
    latest = list(entries[:LATEST])
    per_day: Counter = Counter()
    for row in (entries.filter(time__gte=_start_of(first)).order_by()
                .annotate(day=TruncDate("time")).values("day", "action")
                .annotate(n=Count("pk"))):
        per_day[row["day"], row["action"]] += row["n"]

    def count(action: str | None, since: dt.date) -> int:
        return sum(n for (day, act), n in per_day.items()
                   if day >= since and (action is None or act == action))

    log = reverse("core:audit")
    labels = {AuditAction.EXPORT: _("exports today"),
              AuditAction.LOGIN_FAILED: _("failed log-ins today"),
              AuditAction.VIEW: _("record views today")}
    figures = [Figure(labels[action], f"{count(action, today):,}",
                      compared_with=_("this week: %(n)s") % {"n": f"{count(action, monday):,}"},
                      url=log + "?" + urlencode({"action": action, "date_from": today.isoformat()}))
               for action in COUNTED]
    figures.append(Figure(_("log entries today"), f"{count(None, today):,}",
                          compared_with=_("this week: %(n)s") % {"n": f"{count(None, monday):,}"},
                          url=log + "?" + urlencode({"date_from": today.isoformat()})))
    days = [today - dt.timedelta(days=k) for k in range(CHART_DAYS - 1, -1, -1)]
    chart = Chart(
        title=_("Exports, failed log-ins and views per day, last two weeks"),
        categories=[d.strftime("%m-%d") for d in days],
        series=[ChartSeries(_("exports"), [per_day[d, AuditAction.EXPORT] for d in days]),
                ChartSeries(_("failed log-ins"),
                            [per_day[d, AuditAction.LOGIN_FAILED] for d in days]),
                ChartSeries(_("views"), [per_day[d, AuditAction.VIEW] for d in days],
                            kind="line", axis=1)],
        axes=(_("entries"), _("views")))
    return [Panel("audit", _("Access and change log"), figures=figures, chart=chart, wide=True,
                  template="core/dashboard_audit.html", data={"entries": latest},
                  links=[Link(_("The whole log"), log),
                         Link(_("Exports this week"),
                              log + "?" + urlencode({"action": AuditAction.EXPORT,
                                                     "date_from": monday.isoformat()})),
                         Link(_("Failed log-ins this week"),
                              log + "?" + urlencode({"action": AuditAction.LOGIN_FAILED,
                                                     "date_from": monday.isoformat()}))])]


def jobs_panel(request: DashboardRequest) -> list[Panel]:
    """The user's background jobs: those waiting or running as open work, the last
    few as links to their pages (one query; nothing drawn for a user with none)."""
    recent = list(Job.objects.filter(user=request.user.pk)[:RECENT_JOBS])
    if not recent:
        return []
    running = [j for j in recent if not j.finished]
    return [Panel(
        "jobs", _("Background jobs"),
        work=[WorkItem(_("%(job)s: %(state)s") % {"job": j.title, "state": j.get_status_display()},
                       1, reverse("core:job", args=[j.pk])) for j in running],
        links=[Link(f"{j.title} · {j.get_status_display()}", reverse("core:job", args=[j.pk]))
               for j in recent] + [Link(_("All my jobs"), reverse("core:jobs"))])]


PANELS = (PanelSpec(Capability.VIEW_AUDIT, audit_panel),
          PanelSpec("follow_jobs", jobs_panel))
