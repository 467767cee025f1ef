"""Reconciliation on the home page (:mod:`renkou.core.dashboard`): cross-checks sent to
other areas whose reply is overdue (协查 past their due date), and the open items of the
discrepancy worklist — open work, one aggregate query each over the user's subtree."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability
from renkou.core.dashboard import DashboardRequest, Panel, PanelSpec, WorkItem

from .models import CrossCheck, Discrepancy, WorkStatus

__all__ = ["PANELS", "open_checks_panel"]


def open_checks_panel(request: DashboardRequest) -> list[Panel]:
    """Overdue cross-checks (to chase) and open discrepancies (to check): what waits for
    the user, not what waits for another area."""
    overdue = CrossCheck.objects.visible_to(request.user).filter(
        feedback_date__isnull=True, due_date__lt=request.today).count()
    discrepancies = Discrepancy.objects.visible_to(request.user).filter(
        status=WorkStatus.OPEN).count()
    crosschecks = reverse("reconciliation:crosschecks")
    return [Panel("open", _("Reconciliation"), work=[
        WorkItem(_("cross-checks overdue, no reply"), overdue, crosschecks, overdue=True),
        WorkItem(_("discrepancies to check"), discrepancies, reverse("reconciliation:worklist")),
    ])]


PANELS = (PanelSpec(Capability.VIEW_REGISTER, open_checks_panel),)
