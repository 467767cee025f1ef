"""Org units in the JSON API: ``GET /api/orgunits`` and ``GET /api/orgunits/{code}``.

Readable by every role that works with the register or its statistics (clerks,
officers, statisticians), each within its own subtree; an auditor gets 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema

from renkou.accounts.permissions import Capability
from renkou.core.api import MAX_PAGE, READ_ERRORS, ApiRequest, described, paginate, reading
from renkou.core.api import lazy_str as _
from renkou.register.search import annotate_resident_counts

from .models import OrgKind, OrgLevel, OrgUnit, ResidentCount, UrbanRural

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations

router = Router()

#: A division code: 12 digits, 15 for a villagers' group.
CODE_PATTERN = r"^[0-9]{1,15}$"
CODE = Path(..., pattern=CODE_PATTERN, description=_("the unit's division code (统计用区划代码)"),
            examples=["110101001000"])
LEVEL = Query(None, description=_("only units of this level: 1 county, 2 township or street, "
                                  "3 village or community, 4 group"))


class OrgUnitOut(Schema):
    model_config = described(_("An org unit: a county, township, street, village, community "
                               "or villagers' group."))

    code: str = Field(description=_("the unit's division code (统计用区划代码, 12 digits; 15 for "
                                    "a villagers' group)"))
    name: str = Field(description=_("the unit's name"))
    kind: OrgKind = Field(description=_("the kind of unit"))
    level: OrgLevel = Field(description=_("the unit's level: 1 county, 2 township or street, "
                                          "3 village or community, 4 group"))
    parent_code: str | None = Field(description=_("division code of the unit above (null for "
                                                  "the county)"))
    urban_rural: UrbanRural = Field(description=_("urban or rural class (城乡分类)"))
    path: str = Field(description=_("the codes from the top unit down to this one, for "
                                    "subtree queries"))


class OrgUnitDetail(OrgUnitOut):
    model_config = described(_("An org unit with its resident count and its units."))

    residents: int = Field(description=_("residents registered in the unit's whole subtree"))
    children: list[OrgUnitOut] = Field(description=_("the units directly below, by code"))


class OrgUnitPage(Schema):
    model_config = described(_("One page of org units, by division code."))

    count: int = Field(description=_("units found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[OrgUnitOut] = Field(description=_("the units of this page"))


def _unit(unit: OrgUnit) -> dict:
    return {"code": unit.code, "name": unit.name, "kind": unit.kind, "level": unit.level,
            "parent_code": unit.parent.code if unit.parent is not None else None,
            "urban_rural": unit.urban_rural, "path": unit.path}


#: Units are read by whoever reads persons or figures.
READ_UNITS = reading(Capability.VIEW_REGISTER, Capability.VIEW_AGGREGATES)


def _readable(request: ApiRequest):
    return OrgUnit.objects.visible_to(request.auth).select_related("parent")


@router.get("", auth=READ_UNITS, response={200: OrgUnitPage, **READ_ERRORS},
            summary=_("List org units"),
            description=_("Units in the caller's subtree, by division code. `parent` lists the "
                          "children of that unit (404 if it is not in the caller's subtree); "
                          "`level` is 1 county, 2 township/street, 3 village/community, 4 group."))
def list_orgunits(
    request: ApiRequest,
    parent: str | None = Query(None, pattern=CODE_PATTERN,
                               description=_("only the units directly below this one (its "
                                             "division code)")),
    level: OrgLevel | None = LEVEL,
    page: int = Query(1, ge=1, le=MAX_PAGE, description=_("page number, from 1")),
    page_size: int = Query(100, ge=1, le=500, description=_("rows per page, at most 500")),
) -> dict:
    units = _readable(request)
    if parent:
        parent_unit = units.filter(code=parent).first()
        if parent_unit is None:
            raise Http404
        units = units.filter(parent=parent_unit)
    if level is not None:
        units = units.filter(level=level)
    return paginate(units.order_by("code"), page, page_size, _unit)


@router.get("/{code}", auth=READ_UNITS, response={200: OrgUnitDetail, **READ_ERRORS},
            summary=_("One org unit"),
            description=_("The unit, its resident count (its whole subtree) and its children. "
                          "404 when the unit is not in the caller's subtree."))
def get_orgunit(request: ApiRequest,
                code: str = CODE) -> dict:
    units = _readable(request)
    counted = cast("QuerySet[WithAnnotations[OrgUnit, ResidentCount]]",
                   annotate_resident_counts(units))
    unit: WithAnnotations[OrgUnit, ResidentCount] = get_object_or_404(counted, code=code)
    children = units.filter(parent=unit).order_by("code")
    return {**_unit(unit), "residents": unit.residents,
            "children": [_unit(c) for c in children]}
