"""Duplicate review on the home page (:mod:`renkou.core.dashboard`): the candidate pairs
of the user's subtree waiting for a decision (open work; one aggregate query)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.core.dashboard import DashboardRequest, Panel, PanelSpec, WorkItem

from .models import CandidatePair, PairStatus
from .permissions import MERGE_DUPLICATES

__all__ = ["PANELS", "pending_pairs_panel"]


def pending_pairs_panel(request: DashboardRequest) -> list[Panel]:
    """Pairs pending review (both records in the user's subtree, as the review queue)."""
    n = CandidatePair.objects.visible_to(request.user).filter(status=PairStatus.PENDING).count()
    return [Panel("pending", _("Duplicates"), work=[
        WorkItem(_("duplicate pairs to review"), n, reverse("dedupe:index"))])]


PANELS = (PanelSpec(MERGE_DUPLICATES, pending_pairs_panel),)
