"""The benefits' background jobs: screening a county for a programme (stored, then
paged through) and generating a payment roster."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core.jobs import JobKind, Outcome
from renkou.core.models import Job

from .permissions import APPROVE_BENEFITS, MANAGE_BENEFITS
from .rosters import generate_roster
from .screening import store_screening

__all__ = ["JOBS", "SCREENING", "ROSTER"]

SCREENING = "benefit_screening"
ROSTER = "benefit_roster"


def _screen(job: Job, folder: Path) -> Outcome:
    o = job.options
    run = store_screening(job.user, o["programme"], int(o["year"]), o.get("org") or None)
    query = urlencode({"programme": o["programme"], "year": o["year"], "org": o.get("org") or ""})
    return Outcome(_("%(n)s persons eligible, %(amount)s yuan due.")
                   % {"n": f"{run.total:,}", "amount": f"{run.amount:,.2f}"},
                   url=f"{reverse('benefits:screen')}?{query}")


def _roster(job: Job, folder: Path) -> Outcome:
    o = job.options
    roster = generate_roster(job.user, o["programme"], o["period"])
    if roster is None:
        return Outcome(_("nothing new is due for this period"), url=reverse("benefits:rosters"))
    return Outcome(_("The roster is made."), url=reverse("benefits:roster", args=[roster.pk]))


JOBS = (
    JobKind(SCREENING, gettext_lazy("Screening"), MANAGE_BENEFITS, _screen, once="options"),
    JobKind(ROSTER, gettext_lazy("Payment roster"), APPROVE_BENEFITS, _roster, once="options"),
)
