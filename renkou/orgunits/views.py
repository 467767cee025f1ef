"""Org unit pages: the tree, and one unit with its children and households.

Open to every role that reads aggregates (a statistician sees the tree and the
resident counts); the household list of a unit only to roles that read the register.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.core.paginator import Paginator
from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from renkou.accounts.permissions import Capability, has_capability, requires
from renkou.register.models import Person
from renkou.register.search import annotate_resident_counts, scoped_households, scoped_org_units

from .models import OrgUnit, ResidentCount

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations

HOUSEHOLDS_PER_PAGE = 50


@requires(Capability.VIEW_AGGREGATES)
def org_tree(request: HttpRequest) -> HttpResponse:
    """The whole tree the user may see, from one query ordered by path."""
    units = list(scoped_org_units(request.user).order_by("path"))
    return render(request, "orgunits/tree.html", {"units": units})


@requires(Capability.VIEW_AGGREGATES)
def org_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(scoped_org_units(request.user), code=code)
    units = scoped_org_units(request.user)
    children = annotate_resident_counts(units.filter(parent=unit)).order_by("code")
    unit_total = cast("QuerySet[WithAnnotations[OrgUnit, ResidentCount]]",
                      annotate_resident_counts(units.filter(pk=unit.pk)))
    return render(request, "orgunits/detail.html", {
        "unit": unit,
        "residents": unit_total.values_list("residents", flat=True).first() or 0,
        "children": children,
        "page": _household_page(request, unit),
    })


def _household_page(request: HttpRequest, unit):
    """The unit's households, 50 a page; ``None`` for a role that may not read them."""
    if not has_capability(request.user, Capability.VIEW_REGISTER):
        return None
    members = (
        Person.objects.filter(household=OuterRef("pk")).order_by()
        .annotate(n=Func(F("pk"), function="COUNT")).values("n")
    )
    households = (
        scoped_households(request.user)
        .filter(org__in=unit.subtree().values("pk"))
        .select_related("org", "head")
        .annotate(n_members=Subquery(members, output_field=IntegerField()))
        .order_by("household_no")
    )
    return Paginator(households, HOUSEHOLDS_PER_PAGE).get_page(request.GET.get("page"))
