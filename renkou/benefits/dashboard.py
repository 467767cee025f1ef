"""Family benefits on the home page (:mod:`renkou.core.dashboard`): the applications
waiting for this role's step of the review (open work) and how many are in review and
approved — one GROUP BY over the applications of the user's subtree."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from renkou.accounts.roles import Role
from renkou.core.dashboard import DashboardRequest, Figure, Link, Panel, PanelSpec, WorkItem

from .models import Application, ApplicationState
from .permissions import MANAGE_BENEFITS
from .workflow import PENDING_STEP, STEP_ROLE

__all__ = ["PANELS", "applications_panel", "waiting_states"]

S = ApplicationState
#: The states of an application still in review.
IN_REVIEW = (S.SUBMITTED, S.VILLAGE_PASSED, S.TOWNSHIP_PASSED, S.ON_NOTICE)


def waiting_states(user) -> list[str]:
    """The states in which an application waits for ``user``'s role: the review step of
    the state machine (:data:`~renkou.benefits.workflow.PENDING_STEP`) the role takes, and
    for the township the public notice of what it passed. A superuser: every step."""
    role = "" if user.is_superuser else user.role
    states = [state for state, step in PENDING_STEP.items()
              if not role or STEP_ROLE[step] == role]
    if not role or role == Role.TOWNSHIP_OFFICER:
        states.append(S.TOWNSHIP_PASSED)
    return [s for s in IN_REVIEW if s in states]


def applications_panel(request: DashboardRequest) -> list[Panel]:
    """Applications waiting for the user's step (open work), in review and approved."""
    scoped = Application.objects.visible_to(request.user)
    counts = {row["state"]: row["n"] for row in scoped.filter(state__in=(*IN_REVIEW, S.APPROVED))
              .values("state").order_by().annotate(n=Count("pk"))}
    listed = reverse("benefits:applications")
    labels: dict[str, str] = {
        S.SUBMITTED: _("applications awaiting your village review"),
        S.VILLAGE_PASSED: _("applications awaiting your township review"),
        S.TOWNSHIP_PASSED: _("applications to put on public notice"),
        S.ON_NOTICE: _("applications on public notice, for approval when it ends")}
    work = [WorkItem(labels[state], counts.get(state, 0),
                     listed + "?" + urlencode({"state": state}))
            for state in waiting_states(request.user)]
    figures = [
        Figure(_("applications in review"), f"{sum(counts.get(s, 0) for s in IN_REVIEW):,}",
               url=listed),
        Figure(_("applications approved"), f"{counts.get(S.APPROVED, 0):,}",
               url=listed + "?" + urlencode({"state": S.APPROVED})),
    ]
    return [Panel("applications", _("Family benefits"), figures=figures, work=work, links=[
        Link(_("Applications"), listed), Link(_("Public notices"), reverse("benefits:notices")),
        Link(_("Screen the register"), reverse("benefits:screen"))])]


PANELS = (PanelSpec(MANAGE_BENEFITS, applications_panel),)
