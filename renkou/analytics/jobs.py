"""The statistics' background jobs: refreshing every indicator, and writing one unit's
report for a period as a file (Excel, PDF or DHIS2 JSON)."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.accounts.permissions import Capability
from renkou.core.jobs import JobKind, Outcome
from renkou.core.models import Job

from . import exports, services
from .permissions import REFRESH_STATISTICS

__all__ = ["JOBS", "REFRESH", "REPORT"]

REFRESH = "statistics_refresh"
REPORT = "statistics_report"


def _refresh(job: Job, folder: Path) -> Outcome:
    """Snapshot the register and compute the catalogue (files written whole, then
    swapped in: a stop half-way leaves the figures as they were)."""
    done = services.refresh()
    return Outcome(_("The statistics were refreshed: %(summary)s.")
                   % {"summary": services.refresh_summary(done)},
                   url=reverse("analytics:overview"))


def _report(job: Job, folder: Path) -> Outcome:
    """One unit's statistics tables for one period, as a file to download."""
    code, period, fmt = job.scope, job.options["period"], job.options["format"]
    name = f"统计报表-{code}-{period}.{exports.EXTENSIONS[fmt]}"
    with open(folder / name, "wb") as out:
        exports.export_statistics(code, period, fmt, out)
    return Outcome(_("The report is ready to download."), file_name=name,
                   url=f"{reverse('analytics:overview')}?{urlencode({'org': code, 'period': period})}")


JOBS = (
    JobKind(REFRESH, gettext_lazy("Refresh the statistics"), REFRESH_STATISTICS, _refresh,
            once="all"),
    JobKind(REPORT, gettext_lazy("Statistics report"), Capability.VIEW_AGGREGATES, _report,
            once="options"),
)
