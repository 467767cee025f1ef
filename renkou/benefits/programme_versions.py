"""An office's own version of a programme (new amounts or criteria from a date, for a
division-code prefix), added without code and logged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.models import AuditAction

from .models import ProgrammeVersion, ScreeningRun
from .programmes import programme
from .workflow import WorkflowError

__all__ = ["add_version"]

@transaction.atomic
def add_version(user, code: str, *, effective_from: dt.date, amounts: dict[str, Any],
                org_prefix: str = "", criteria: dict | None = None, note: str = ""
                ) -> ProgrammeVersion:
    """An office's new version of a programme (amounts edited without code)."""
    prog = programme(code)
    if org_prefix and not org_prefix.isdigit():
        raise WorkflowError(_("%(prefix)s is not a division-code prefix") % {"prefix": org_prefix})
    try:
        clean = {k: str(Decimal(str(v))) for k, v in amounts.items()}
    except ArithmeticError as exc:
        raise WorkflowError(_("the amount must be a number")) from exc
    unknown = set(clean) - set(prog.rates()) - {"default"}
    if unknown:
        raise WorkflowError(_("unknown rate %(rate)s") % {"rate": ", ".join(sorted(unknown))})
    version = ProgrammeVersion.objects.create(
        programme=code, effective_from=effective_from, org_prefix=org_prefix, amounts=clean,
        criteria=criteria or {}, note=note,
        created_by=user if user is not None and user.is_authenticated else None)
    # a new version changes who is due and how much: stored screenings are computed again
    ScreeningRun.objects.filter(programme=code).delete()
    audit.record(AuditAction.CREATE, "benefit_programme_version", version.pk,
                 details={"programme": code, "from": effective_from.isoformat(),
                          "org_prefix": org_prefix, "amounts": clean}, user=user)
    return version
