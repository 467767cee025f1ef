"""Duplicate detection as a background job (查重): a county takes minutes, so the page
starts it and follows it; one run per unit at a time."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core.jobs import JobKind, Outcome
from renkou.core.models import Job
from renkou.core.progress import step
from renkou.orgunits.models import OrgUnit

from .permissions import MERGE_DUPLICATES
from .services import LINKAGE_STEPS, run_detection

__all__ = ["JOBS", "DETECTION"]

DETECTION = "duplicate_detection"

#: the steps a run says: reading, the linkage's own steps, storing
_STEPS = 2 + len(LINKAGE_STEPS)


def _detect(job: Job, folder: Path) -> Outcome:
    said = [0]

    def say(text: str) -> None:
        step(text, said[0], _STEPS)
        said[0] += 1

    org = OrgUnit.objects.get(code=job.scope) if job.scope else None
    run = run_detection(user=job.user, org=org, say=say)
    step(_("done"), _STEPS, _STEPS)
    return Outcome(_("Duplicate detection compared %(persons)s persons and proposes "
                     "%(pairs)s candidate pairs for review.") % {
        "persons": f"{run.persons:,}", "pairs": f"{run.stored_pairs:,}"},
        url=reverse("dedupe:index"))


JOBS = (JobKind(DETECTION, gettext_lazy("Duplicate detection"), MERGE_DUPLICATES, _detect),)
