"""The register on the home page (:mod:`renkou.core.dashboard`): the search box and the
register's own work for the roles that read persons, and the residents of the units
below the user's own (one aggregate query) for every role that reads aggregates."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core.dashboard import DashboardRequest, Link, Panel, PanelSpec
from renkou.orgunits.models import OrgLevel

from .search import annotate_resident_counts, scoped_org_units

__all__ = ["PANELS", "residents_panel", "search_panel"]


def search_panel(request: DashboardRequest) -> list[Panel]:
    """The one search box (name, pinyin, ID number, household number) and the links to
    enrol and import."""
    links = [Link(_("Find a person or household"), reverse("register:search"))]
    notes = []
    if has_capability(request.user, Capability.EDIT_REGISTER):
        links += [Link(_("Enrol a person"), reverse("register:enrol")),
                  Link(_("Import persons from a file"), reverse("register:import"))]
        notes.append(_("Births, deaths, marriages, moves and corrections are recorded from "
                       "the person's page."))
    return [Panel("search", _("Whole-population register"), template="register/dashboard_search.html",
                  links=links, notes=notes, lead=True)]


def _heading(level: int) -> str:
    """The heading of the residents table by the level of the units listed."""
    headings = {int(OrgLevel.TOWNSHIP): _("Residents by township"),
                int(OrgLevel.VILLAGE): _("Residents by village"),
                int(OrgLevel.GROUP): _("Residents by group")}
    return headings.get(int(level), _("Residents"))


def residents_panel(request: DashboardRequest) -> list[Panel]:
    """Residents (在册) of the user's unit and of each unit directly below it: one query
    (:func:`~renkou.register.search.annotate_resident_counts`)."""
    user = request.user
    own = Q(pk=user.org_id) if user.org_id else Q(parent__isnull=True)
    below = Q(parent_id=user.org_id) if user.org_id else Q(parent__parent__isnull=True)
    units = list(annotate_resident_counts(scoped_org_units(user).filter(own | below))
                 .order_by("code"))
    top = [u for u in units if (u.pk == user.org_id if user.org_id else u.parent_id is None)]
    children = [u for u in units if u not in top]
    notes = [] if has_capability(user, Capability.VIEW_REGISTER) else [
        _("Your role reads aggregate counts only, never person records.")]
    return [Panel("residents", _heading(children[0].level) if children else _("Residents"),
                  template="register/dashboard_residents.html",
                  data={"units": children or top, "total": sum(u.residents for u in top),
                        "today": request.today},
                  notes=notes, links=[Link(_("Org unit tree"), reverse("orgunits:tree"))])]


PANELS = (PanelSpec(Capability.VIEW_REGISTER, search_panel),
          PanelSpec(Capability.VIEW_AGGREGATES, residents_panel))
