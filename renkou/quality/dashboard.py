"""Data quality on the home page (:mod:`renkou.core.dashboard`): the open findings of
the user's subtree (open work, one count) for the roles that correct the register, and
the stored scorecard of the user's unit (one row, never recomputed) for every role that
reads aggregates."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability
from renkou.core.dashboard import DashboardRequest, Figure, Link, Panel, PanelSpec, WorkItem

from .models import ScorecardRow, Violation, ViolationStatus
from .scorecard import MEASURES

__all__ = ["PANELS", "findings_panel", "scorecard_panel"]

#: The scorecard's measures shown, with the counts each is computed from.
SHOWN: tuple[tuple[str, str | None, str | None], ...] = (
    ("entry_rate", "residents_with_id", "residents"),
    ("accuracy", "accuracy_matched", "accuracy_checked"),
    ("duplicate_rate", "duplicate_pairs", "persons"),
    ("violation_rate", "violations", "persons"),
    ("timeliness", "timely_12m", "events_12m"),
    ("whipple", None, None),
)


def findings_panel(request: DashboardRequest) -> list[Panel]:
    """Open findings of the validation rules in the user's subtree: one count."""
    n = Violation.objects.visible_to(request.user).filter(status=ViolationStatus.OPEN).count()
    return [Panel("findings", _("Data quality"), work=[
        WorkItem(_("open data-quality findings"), n, reverse("quality:violations"))])]


def _number(value: Any, decimals: int) -> str:
    return "—" if value is None else f"{float(value):,.{decimals}f}"


def scorecard_panel(request: DashboardRequest) -> list[Panel]:
    """The scorecard of the user's unit as the last quality check stored it."""
    user = request.user
    rows = ScorecardRow.objects.select_related("org")
    row = (rows.filter(org_id=user.org_id) if user.org_id
           else rows.filter(org__parent__isnull=True).order_by("org__code")).first()
    links = [Link(_("Scorecard of the units below"), reverse("quality:scorecard"))]
    if row is None:
        return [Panel("scorecard", _("Data-quality scorecard"), links=links, notes=[
            _("The scorecard has not been computed yet; it is computed with each quality "
              "check.")])]
    values = row.values
    figures = []
    for measure, numerator, denominator in SHOWN:
        label, unit, _better = MEASURES[measure]
        note = ""
        if numerator and denominator and values.get(denominator) is not None:
            note = f"{_number(values.get(numerator), 0)} / {_number(values.get(denominator), 0)}"
        figures.append(Figure(label=str(label), value=_number(values.get(measure), 2),
                              unit=unit, note=note))
    computed = timezone.localtime(row.computed_at).strftime("%Y-%m-%d %H:%M")
    return [Panel("scorecard", _("Data-quality scorecard"), figures=figures, links=links,
                  notes=[_("%(unit)s; computed %(at)s with the last quality check.")
                         % {"unit": row.org.name, "at": computed}])]


PANELS = (PanelSpec(Capability.VIEW_REGISTER, findings_panel),
          PanelSpec(Capability.VIEW_AGGREGATES, scorecard_panel))
