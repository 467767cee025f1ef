"""The quality check as a background job (质量检查): re-running the rules over a
county takes about ten seconds, so the page starts it and follows it; one check per
unit at a time."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.accounts.permissions import Capability
from renkou.core.jobs import JobKind, Outcome
from renkou.core.models import Job
from renkou.core.progress import step
from renkou.orgunits.models import OrgUnit

from .services import run_checks

__all__ = ["JOBS", "QUALITY_CHECK"]

QUALITY_CHECK = "quality_check"


def _check(job: Job, folder: Path) -> Outcome:
    unit = OrgUnit.objects.get(code=job.scope)
    report = run_checks(unit, user=job.user)
    step(_("done"), 3, 3)
    parts = [_("Checked %(unit)s: %(n)s open findings.")
             % {"unit": unit.name, "n": sum(report.open.values())}]
    parts += [_("Rule %(code)s could not run and was left out%(off)s: %(reason)s") % {
        "code": code, "reason": reason,
        "off": _(" (switched off)") if code in report.disabled else ""}
        for code, reason in sorted(report.failed.items())]
    return Outcome(" ".join(parts), url=reverse("quality:worklist", kwargs={"code": unit.code}))


JOBS = (JobKind(QUALITY_CHECK, gettext_lazy("Quality check"), Capability.EDIT_REGISTER, _check),)
