"""JSON API of reconciliation (mounted by :mod:`renkou.core.api` at ``/api/reconciliation``):
surveys and their rates, the worklist (ID numbers masked) and the cross-check feedback
rate. The same scoping as the pages: the caller's subtree, 403 outside its role."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import QuerySet
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError

from renkou.accounts.permissions import Capability
from renkou.core.api import MAX_PAGE, READ_ERRORS, ApiRequest, described, paginate, reading
from renkou.core.api import lazy_str as _
from renkou.register.identity import mask_id_number

from . import services
from .common import Rate
from .models import DiscrepancyKind, Survey, WorkStatus

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations

router = Router()

STATUS = Query(None, description=_("only items with this status"))
KIND = Query(None, description=_("only items of this kind"))


class RateOut(Schema):
    model_config = described(_("A rate with its numerator, denominator and 95% interval."))

    numerator: float = Field(description=_("the numerator"))
    denominator: float = Field(description=_("the denominator"))
    value: float | None = Field(description=_("proportion (0–1); null when the denominator "
                                              "is 0"))
    lower: float | None = Field(description=_("95% Wilson interval, lower limit"))
    upper: float | None = Field(description=_("95% Wilson interval, upper limit"))


class SurveyOut(Schema):
    model_config = described(_("A field-check survey (入户核查) of sampled villages."))

    id: int = Field(description=_("the survey's number"))
    name: str = Field(description=_("the survey's name"))
    survey_date: dt.date = Field(description=_("when the households were visited"))
    reference_start: dt.date = Field(description=_("start of the reference period for births: "
                                                   "births from it to the survey date count"))
    villages: int = Field(description=_("villages sampled"))


class UnitRatesOut(Schema):
    model_config = described(_("A unit's rates of one survey."))

    code: str = Field(description=_("the unit's division code"))
    name: str = Field(description=_("the unit's name"))
    level: int = Field(description=_("the unit's level: 1 county, 2 township, 3 village"))
    counts: dict[str, float] = Field(description=_("the counts the rates are made of, by name"))
    accuracy: RateOut = Field(description=_("accuracy (准确率): records confirmed / records "
                                            "checked"))
    not_found: RateOut = Field(description=_("register records not found at the visit / "
                                             "records checked"))
    under_count: RateOut = Field(description=_("under-count rate (漏报率): events found by the "
                                               "survey but missing from the register / events "
                                               "found"))


class ItemOut(Schema):
    model_config = described(_("One discrepancy to check (差异), ID number masked."))

    id: int = Field(description=_("the item's number"))
    org_code: str = Field(description=_("division code of the unit it belongs to"))
    kind: DiscrepancyKind = Field(description=_("the kind of discrepancy"))
    person_id: int | None = Field(description=_("person_id of the register's record (null: "
                                                "none)"))
    name: str = Field(description=_("the person's name"))
    birth_year: int | None = Field(description=_("the year of birth only, beside the masked "
                                                 "ID"))
    id_number: str = Field(description=_("the person's ID number, masked"))
    field: str = Field(description=_("the field that differs (empty: the whole record)"))
    register_value: str = Field(description=_("the value in the register"))
    found_value: str = Field(description=_("the value found by the survey or in the list"))
    status: WorkStatus = Field(description=_("open, register corrected, register right or "
                                             "referred"))
    comment: str = Field(description=_("what the clerk wrote"))


class ItemPage(Schema):
    model_config = described(_("One page of the discrepancy worklist."))

    count: int = Field(description=_("items found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[ItemOut] = Field(description=_("the items of this page"))


class FeedbackOut(Schema):
    model_config = described(_("A unit's cross-check requests (协查) of a year and their "
                               "replies."))

    code: str = Field(description=_("the unit's division code"))
    name: str = Field(description=_("the unit's name"))
    sent: int = Field(description=_("requests sent"))
    answered_in_time: int = Field(description=_("answered by the due date"))
    answered_late: int = Field(description=_("answered after the due date"))
    pending: int = Field(description=_("not answered yet"))
    rate: RateOut = Field(description=_("feedback rate (协查反馈率): answered in time / sent"))


class VillageCount(TypedDict):
    """What :func:`~renkou.reconciliation.services.visible_surveys` annotates a survey with."""

    n_villages: int


def _rate(r: Rate) -> dict:
    return {"numerator": r.numerator, "denominator": r.denominator, "value": r.value,
            "lower": r.lower, "upper": r.upper}


@router.get("/surveys", auth=reading(Capability.VIEW_REGISTER),
            response={200: list[SurveyOut], **READ_ERRORS},
            summary=_("Field-check surveys of the caller's area"),
            description=_("The surveys (入户核查) that sampled villages in the caller's "
                          "subtree, with the number of villages."))
def list_surveys(request: ApiRequest) -> list:
    surveys = cast("QuerySet[WithAnnotations[Survey, VillageCount]]",
                   services.visible_surveys(request.auth))
    return [{"id": s.pk, "name": s.name, "survey_date": s.survey_date,
             "reference_start": s.reference_start, "villages": s.n_villages}
            for s in surveys]


@router.get("/surveys/{survey_id}/rates", auth=reading(Capability.VIEW_REGISTER),
            response={200: list[UnitRatesOut], **READ_ERRORS},
            summary=_("Accuracy, not-found and under-count rates by unit"),
            description=_("Per sampled village and rolled up to township and county (only the "
                          "caller's units), each with its 95% Wilson interval."))
def survey_rates(request: ApiRequest,
                 survey_id: int = Path(..., description=_("the survey's number"))) -> list:
    survey = services.visible_surveys(request.auth).filter(pk=survey_id).first()
    if survey is None:
        raise HttpError(404, "not found")
    return [{"code": r.unit.code, "name": r.unit.name, "level": r.unit.level, "counts": r.counts,
             "accuracy": _rate(r.accuracy), "not_found": _rate(r.not_found),
             "under_count": _rate(r.under_count)}
            for r in services.survey_rates(survey, request.auth)]


@router.get("/worklist", auth=reading(Capability.VIEW_REGISTER),
            response={200: ItemPage, **READ_ERRORS},
            summary=_("Discrepancy worklist (ID numbers masked)"),
            description=_("The discrepancies between the register and a survey or a "
                          "department's list, in the caller's subtree, for the clerks to "
                          "check; of one survey or list when `survey` or `dept_list` is given."))
def worklist(request: ApiRequest,
             survey: int | None = Query(None, description=_("only items of this survey (its "
                                                            "number)")),
             dept_list: int | None = Query(None, description=_("only items of this "
                                                               "department list (its number)")),
             status: WorkStatus | None = STATUS, kind: DiscrepancyKind | None = KIND,
             page: int = Query(1, ge=1, le=MAX_PAGE, description=_("page number, from 1")),
             page_size: int = Query(50, ge=1, le=500,
                                    description=_("rows per page, at most 500"))) -> dict:
    user = request.auth
    filters: dict = {"status": status or "", "kind": kind or ""}
    if survey is not None:
        filters["survey"] = services.visible_surveys(user).filter(pk=survey).first()
        if filters["survey"] is None:
            raise HttpError(404, "not found")
    if dept_list is not None:
        filters["dept_list"] = services.visible_lists(user).filter(pk=dept_list).first()
        if filters["dept_list"] is None:
            raise HttpError(404, "not found")

    def item(i) -> dict:
        s = services.item_subject(i)
        return {"id": i.pk, "org_code": i.org.code, "kind": i.kind, "person_id": i.person_id,
                "name": s["name"],
                "birth_year": s["birth_date"].year if s["birth_date"] else None,
                "id_number": mask_id_number(s["id_number"]), "field": i.field,
                "register_value": i.register_value, "found_value": i.found_value,
                "status": i.status, "comment": i.comment}

    return paginate(services.worklist(user, **filters), page, page_size, item)


@router.get("/crosschecks/feedback", auth=reading(Capability.VIEW_REGISTER),
            response={200: list[FeedbackOut], **READ_ERRORS},
            summary=_("Cross-check feedback rate (协查反馈率) by unit for a year"),
            description=_("Cross-check requests sent in the year by the caller's units, and "
                          "how many were answered in time, late or not yet."))
def feedback(request: ApiRequest,
             year: int = Query(..., ge=2000, le=2199,
                               description=_("the year the requests were sent"))) -> list:
    rows = services.feedback_rates(request.auth, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return [{"code": r.unit.code, "name": r.unit.name, "sent": r.sent,
             "answered_in_time": r.answered_in_time, "answered_late": r.answered_late,
             "pending": r.pending, "rate": _rate(r.rate)} for r in rows]
