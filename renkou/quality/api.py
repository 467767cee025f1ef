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
from renkou.core.api import MAX_PAGE, NO_NUL, READ_ERRORS, ApiRequest, described, paginate, reading
from renkou.core.api import lazy_str as _
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import mask_id_number

from . import scorecard as scorecards
from . import services
from .models import Violation, ViolationStatus
from .rules_in_force import rules_by_code

router = Router()

ORG = Query(None, pattern=r"^[0-9]{1,15}$",
            description=_("division code of a unit in the caller's subtree (default: the "
                          "caller's own unit)"))
STATUS = Query(None, description=_("only violations with this status (default: every status)"))


class MeasuresOut(Schema):
    """The measures of one unit as the scorecard job stored them; ``null`` = missing
    (never 0: e.g. no survey, no births, no residents)."""

    model_config = described(_("The measures of one unit as the scorecard job stored them; "
                               "null = missing (never 0: e.g. no survey, no births, no "
                               "residents)."))

    persons: int | None = Field(None, description=_("persons in the register"))
    residents: int | None = Field(None, description=_("residents (persons living in the "
                                                      "unit)"))
    entry_rate: float | None = Field(None, description=_("entry rate (录入率): residents with "
                                                         "an ID number, %"))
    accuracy: float | None = Field(None, description=_("accuracy (准确率): matched / checked of "
                                                       "the latest survey, %"))
    accuracy_matched: int | None = Field(None, description=_("records the latest survey "
                                                             "confirmed"))
    accuracy_checked: int | None = Field(None, description=_("records the latest survey "
                                                             "checked"))
    duplicate_pairs: int | None = Field(None, description=_("candidate duplicate pairs"))
    duplicate_rate: float | None = Field(None, description=_("duplicate pairs per 1,000 "
                                                             "persons"))
    violations: int | None = Field(None, description=_("open rule violations"))
    violation_rate: float | None = Field(None, description=_("open violations per 1,000 "
                                                             "persons"))
    events_12m: int | None = Field(None, description=_("life events of the last 365 days"))
    timely_12m: int | None = Field(None, description=_("of those, recorded within 30 days"))
    timeliness: float | None = Field(None, description=_("timeliness (及时率): events of the "
                                                         "last 365 days recorded within 30 "
                                                         "days, %"))
    whipple: float | None = Field(None, description=_("Whipple's index (100 = no heaping)"))
    myers: float | None = Field(None, description=_("Myers' blended index"))
    un_index: float | None = Field(None, description=_("UN age-sex accuracy index"))
    male_births_3y: int | None = Field(None, description=_("boys born in the last 3 years"))
    female_births_3y: int | None = Field(None, description=_("girls born in the last 3 years"))
    srb: float | None = Field(None, description=_("sex ratio at birth, last 3 years"))
    srb_lo: float | None = Field(None, description=_("95% Wilson interval, lower limit"))
    srb_hi: float | None = Field(None, description=_("95% Wilson interval, upper limit"))
    srb_outlier: bool | None = Field(None, description=_("interval wholly outside 103–107"))
    birth_outliers: int | None = Field(None, description=_("outlier months of births (of 24)"))
    birth_outlier_months: list[str] = Field([], description=_("those months, YYYY-MM"))


class RanksOut(Schema):
    """Rank of each measure among the listed units: 1 = best, ties share a rank; ``null``
    when the measure is missing (and for the unit itself, which is not ranked)."""

    model_config = described(_("Rank of each measure among the listed units: 1 = best, ties "
                               "share a rank; null when the measure is missing (and for the "
                               "unit itself, which is not ranked)."))

    entry_rate: int | None = Field(None, description=_("rank by entry rate"))
    accuracy: int | None = Field(None, description=_("rank by accuracy"))
    duplicate_rate: int | None = Field(None, description=_("rank by duplicate rate"))
    violation_rate: int | None = Field(None, description=_("rank by violation rate"))
    timeliness: int | None = Field(None, description=_("rank by timeliness"))
    whipple: int | None = Field(None, description=_("rank by Whipple's index"))
    myers: int | None = Field(None, description=_("rank by Myers' index"))
    un_index: int | None = Field(None, description=_("rank by the UN age-sex accuracy index"))
    srb: int | None = Field(None, description=_("rank by how far the interval of the sex "
                                                "ratio at birth lies outside 103–107"))
    birth_outliers: int | None = Field(None, description=_("rank by outlier months of births"))


class ScorecardRowOut(Schema):
    model_config = described(_("One unit's row of the scorecard."))

    org_code: str = Field(description=_("the unit's division code"))
    org_name: str = Field(description=_("the unit's name"))
    level: int = Field(description=_("the unit's level: 1 county, 2 township, 3 village, "
                                     "4 group"))
    measures: MeasuresOut = Field(description=_("the unit's measures"))
    ranks: RanksOut = Field(description=_("the unit's ranks among the listed units"))


class ScorecardOut(Schema):
    model_config = described(_("The data-quality scorecard (数据质量评分) of a unit and of its "
                               "units."))

    org_code: str = Field(description=_("the unit's division code"))
    org_name: str = Field(description=_("the unit's name"))
    level: int = Field(description=_("the level of the listed units"))
    computed_at: dt.datetime | None = Field(description=_("when the scorecard job last ran; "
                                                          "null when it never did"))
    unit: ScorecardRowOut | None = Field(description=_("the unit itself (not ranked)"))
    rows: list[ScorecardRowOut] = Field(description=_("its units at `level`, by code"))


class ViolationOut(Schema):
    model_config = described(_("One finding of a validation rule (校验问题)."))

    id: int = Field(description=_("the finding's number"))
    org_code: str = Field(description=_("division code of the unit it was found in"))
    rule_code: str = Field(description=_("the rule's code"))
    rule_name: str = Field(description=_("the rule's name"))
    importance: str = Field(description=_("how much the rule matters: high, medium or low"))
    person_id: int | None = Field(description=_("person_id of the person concerned (null: "
                                                "none)"))
    event_id: int | None = Field(description=_("the life event concerned (null: none)"))
    name: str = Field(description=_("the person's name"))
    id_number: str = Field(description=_("the person's ID number, masked"))
    message: str = Field(description=_("what is wrong, in the caller's language"))
    status: ViolationStatus = Field(description=_("open, fixed or accepted as correct"))
    comment: str = Field(description=_("what the reviewer wrote"))
    found_at: dt.datetime = Field(description=_("when the check found it"))
    resolved_at: dt.datetime | None = Field(description=_("when it was fixed or accepted "
                                                          "(null: open)"))


class ViolationPage(Schema):
    model_config = described(_("One page of rule violations."))

    count: int = Field(description=_("violations found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[ViolationOut] = Field(description=_("the violations of this page"))


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
            summary=_("The data-quality scorecard (数据质量评分)"),
            description=_("The stored scorecard of a unit and of its units at `level` (default: "
                          "the level below it), each measure with its rank among those units "
                          "(1 = best). A missing measure is null, never 0. The scorecard is "
                          "computed by a batch job (`renkou scorecard`); before it first runs "
                          "the rows are empty."))
def get_scorecard(request: ApiRequest, org: str | None = ORG,
                  level: int | None = Query(None, ge=2, le=4,
                                            description=_("the level of the units listed: 2 "
                                                          "township, 3 village, 4 group"))
                  ) -> dict:
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
            summary=_("Rule violations (校验问题), ID numbers masked"),
            description=_("Findings of the validation rules in a unit's subtree (default: the "
                          "caller's own unit), by unit, rule and person; every status unless "
                          "`status` is given. Names are listed with masked ID numbers."))
def list_violations(
    request: ApiRequest,
    org: str | None = ORG,
    rule: str = Query("", max_length=40, pattern=NO_NUL,
                      description=_("only findings of this rule (its code)")),
    status: ViolationStatus | None = STATUS,
    page: int = Query(1, ge=1, le=MAX_PAGE, description=_("page number, from 1")),
    page_size: int = Query(50, ge=1, le=500, description=_("rows per page, at most 500")),
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
