"""Migrants on the home page (:mod:`renkou.core.dashboard`): the current inflow and outflow
migrants of the user's subtree (one GROUP BY) and, for those who exchange messages with
other offices, the verification requests received still to answer and how many of them
are overdue now (open work)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from renkou.accounts.permissions import has_capability
from renkou.core.dashboard import DashboardRequest, Figure, Link, Panel, PanelSpec, WorkItem

from .models import Box, Direction, Message, MessageState, MigrantSpell
from .permissions import EXCHANGE_MIGRANTS, REGISTER_MIGRANTS

__all__ = ["PANELS", "migrants_panel"]


def migrants_panel(request: DashboardRequest) -> list[Panel]:
    """Current inflow and outflow migrants; requests received to answer, overdue now."""
    user = request.user
    counts = {row["direction"]: row["n"] for row in MigrantSpell.objects.visible_to(user)
              .current().values("direction").order_by().annotate(n=Count("pk"))}
    inflow, outflow = reverse("migrants:inflow"), reverse("migrants:outflow")
    figures = [
        Figure(_("inflow migrants"), f"{counts.get(Direction.INFLOW, 0):,}", url=inflow),
        Figure(_("outflow migrants"), f"{counts.get(Direction.OUTFLOW, 0):,}", url=outflow),
    ]
    work: list[WorkItem] = []
    links = [Link(_("Register an arrival"), reverse("migrants:arrival")),
             Link(_("Register a departure"), reverse("migrants:departure"))]
    if has_capability(user, EXCHANGE_MIGRANTS):
        # both counts in one query: the open requests received, and those past their deadline
        open_received = (Message.objects.visible_to(user).filter(box=Box.INCOMING)
                         .open_requests().filter(state=MessageState.RECEIVED))
        counts = open_received.aggregate(
            to_answer=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=request.today)))
        inbox = reverse("migrants:inbox")
        if counts["to_answer"]:  # open work only: nothing listed when there is none
            work.append(WorkItem(_("verification requests received to answer"), counts["to_answer"],
                                 inbox + "?" + urlencode({"type": "verification_request",
                                                          "state": MessageState.RECEIVED})))
        if counts["overdue"]:
            work.append(WorkItem(_("verification requests overdue now"), counts["overdue"],
                                 inbox + "?" + urlencode({"state": "overdue"}), overdue=True))
        links.append(Link(_("Messages received"), inbox))
    return [Panel("current", _("Migrants"), figures=figures, work=work, links=links)]


PANELS = (PanelSpec(REGISTER_MIGRANTS, migrants_panel),)
