"""JSON API of data quality (mounted by :mod:`renkou.core.api` at ``/api/quality``): the stored
scorecard (数据质量评分) with its ranks, and the rule violations (校验问题) with ID numbers
masked. Read-only, with the same scoping as the pages: the caller's subtree (a unit outside
it answers 404), 403 outside the role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema

from renkou.accounts.permissions import Capability
from renkou.core.api import MAX_PAGE, NO_NUL, READ_ERRORS, ApiRequest, paginate, reading
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import mask_id_number

from . import scorecard as scorecards
from . import services
from .models import Violation, ViolationStatus
from .rules_in_force import rules_by_code

router = Router()

ORG = Query(None, pattern=r"^[0-9]{1,15}$",
            description="division code of a unit in the caller's subtree (default: the "
                        "caller's own unit)")


class MeasuresOut(Schema):
    """The measures of one unit as the scorecard job stored them; ``null`` = missing
    (never 0: e.g. no survey, no births, no residents)."""

    persons: int | None = None
    residents: int | None = None
    entry_rate: float | None = Field(None, description="residents with an ID number, %")
    accuracy: float | None = Field(None, description="matched / checked of the latest survey, %")
    accuracy_matched: int | None = None
    accuracy_checked: int | None = None
    duplicate_pairs: int | None = None
    duplicate_rate: float | None = Field(None, description="duplicate pairs per 1,000 persons")
    violations: int | None = Field(None, description="open rule violations")
    violation_rate: float | None = Field(None, description="open violations per 1,000 persons")
    events_12m: int | None = None
    timely_12m: int | None = None
    timeliness: float | None = Field(None, description="events of the last 365 days recorded "
                                                       "within 30 days, %")
    whipple: float | None = Field(None, description="Whipple's index (100 = no heaping)")
    myers: float | None = Field(None, description="Myers' blended index")
    un_index: float | None = Field(None, description="UN age-sex accuracy index")
    male_births_3y: int | None = None
    female_births_3y: int | None = None
    srb: float | None = Field(None, description="sex ratio at birth, last 3 years")
    srb_lo: float | None = Field(None, description="95% Wilson interval, lower limit")
    srb_hi: float | None = Field(None, description="95% Wilson interval, upper limit")
    srb_outlier: bool | None = Field(None, description="interval wholly outside 103–107")
    birth_outliers: int | None = Field(None, description="outlier months of births (of 24)")
    birth_outlier_months: list[str] = Field([], description="those months, YYYY-MM")


class RanksOut(Schema):
    """Rank of each measure among the listed units: 1 = best, ties share a rank; ``null``
    when the measure is missing (and for the unit itself, which is not ranked)."""

    entry_rate: int | None = None
    accuracy: int | None = None
    duplicate_rate: int | None = None
    violation_rate: int | None = None
    timeliness: int | None = None
    whipple: int | None = None
    myers: int | None = None
    un_index: int | None = None
    srb: int | None = None
    birth_outliers: int | None = None


class ScorecardRowOut(Schema):
    org_code: str
    org_name: str
    level: int
    measures: MeasuresOut
    ranks: RanksOut


class ScorecardOut(Schema):
    org_code: str
    org_name: str
    level: int = Field(description="the level of the listed units")
    computed_at: dt.datetime | None = Field(description="when the scorecard job last ran; "
                                                        "null when it never did")
    unit: ScorecardRowOut | None = Field(description="the unit itself (not ranked)")
    rows: list[ScorecardRowOut] = Field(description="its units at `level`, by code")


class ViolationOut(Schema):
    id: int
    org_code: str
    rule_code: str
    rule_name: str
    importance: str
    person_id: int | None
    event_id: int | None
    name: str
    id_number: str = Field(description="masked")
    message: str
    status: ViolationStatus
    comment: str
    found_at: dt.datetime
    resolved_at: dt.datetime | None


class ViolationPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ViolationOut]


def _unit(request: ApiRequest, code: str | None) -> OrgUnit:
    try:
        return services.visible_unit(request.auth, code)
    except OrgUnit.DoesNotExist:
        raise Http404 from None


_MEASURE_KEYS = tuple(MeasuresOut.model_fields)


def _row(unit: OrgUnit, values: dict[str, Any], ranks: dict[str, int | None] | None
         ) -> dict[str, Any]:
    measures = {k: values.get(k) for k in _MEASURE_KEYS}
    measures["birth_outlier_months"] = values.get("birth_outlier_months") or []
    return {"org_code": unit.code, "org_name": unit.name, "level": unit.level,
            "measures": measures, "ranks": ranks or {}}


@router.get("/scorecard", auth=reading(Capability.VIEW_AGGREGATES),
            response={200: ScorecardOut, **READ_ERRORS},
            summary="The data-quality scorecard (数据质量评分)",
            description="The stored scorecard of a unit and of its units at `level` (default: "
                        "the level below it), each measure with its rank among those units "
                        "(1 = best). A missing measure is null, never 0. The scorecard is "
                        "computed by a batch job (`renkou scorecard`); before it first runs "
                        "the rows are empty.")
def get_scorecard(request: ApiRequest, org: str | None = ORG,
                  level: int | None = Query(None, ge=2, le=4,
                                            description="2 township, 3 village, 4 group")) -> dict:
    unit = _unit(request, org)
    table = scorecards.scorecard_table(request.auth, unit, level=level)
    own = table["own"]
    return {
        "org_code": unit.code, "org_name": unit.name, "level": table["level"],
        "computed_at": table["computed_at"],
        "unit": _row(unit, own.values, None) if own else None,
        "rows": [_row(r["unit"], r["values"], r["ranks"])
                 for r in table["rows"]],
    }


@router.get("/violations", auth=reading(Capability.VIEW_REGISTER),
            response={200: ViolationPage, **READ_ERRORS},
            summary="Rule violations (校验问题), ID numbers masked",
            description="Findings of the validation rules in a unit's subtree (default: the "
                        "caller's own unit), by unit, rule and person; every status unless "
                        "`status` is given. Names are listed with masked ID numbers.")
def list_violations(
    request: ApiRequest,
    org: str | None = ORG,
    rule: str = Query("", max_length=40, pattern=NO_NUL, description="a rule code"),
    status: ViolationStatus | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE, description="page number, from 1"),
    page_size: int = Query(50, ge=1, le=500, description="rows per page"),
) -> dict:
    unit = _unit(request, org)
    known = rules_by_code()

    def item(v: Violation) -> dict[str, Any]:
        r = known.get(v.rule_code)
        return {"id": v.pk, "org_code": v.org.code, "rule_code": v.rule_code,
                "rule_name": r.display_name if r else v.rule_code,
                "importance": r.importance if r else "", "person_id": v.person_id,
                "event_id": v.event_id, "name": v.person.name if v.person else "",
                "id_number": mask_id_number(v.person.id_number) if v.person else "",
                "message": services.describe(r, v.details), "status": v.status,
                "comment": v.comment, "found_at": v.found_at, "resolved_at": v.resolved_at}

    violations = services.worklist(request.auth, unit, rule=rule.strip(), status=status or "")
    return paginate(violations, page, page_size, item)
