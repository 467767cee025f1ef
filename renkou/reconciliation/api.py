"""JSON API of reconciliation (mounted by :mod:`renkou.core.api` at ``/api/reconciliation``):
surveys and their rates, the worklist (ID numbers masked) and the cross-check feedback
rate. The same scoping as the pages: the caller's subtree, 403 outside its role."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from renkou.accounts.permissions import Capability
from renkou.core.api import MAX_PAGE, READ_ERRORS, ApiRequest, paginate, reading
from renkou.register.identity import mask_id_number

from . import services
from .common import Rate
from .models import DiscrepancyKind, Survey, WorkStatus

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations

router = Router()


class RateOut(Schema):
    numerator: float
    denominator: float
    value: float | None = Field(description="proportion (0–1); null when the denominator is 0")
    lower: float | None = Field(description="95% Wilson interval, lower limit")
    upper: float | None = Field(description="95% Wilson interval, upper limit")


class SurveyOut(Schema):
    id: int
    name: str
    survey_date: dt.date
    reference_start: dt.date
    villages: int


class UnitRatesOut(Schema):
    code: str
    name: str
    level: int
    counts: dict[str, float]
    accuracy: RateOut
    not_found: RateOut
    under_count: RateOut


class ItemOut(Schema):
    id: int
    org_code: str
    kind: DiscrepancyKind
    person_id: int | None
    name: str
    birth_year: int | None = Field(description="the year only, beside the masked ID")
    id_number: str = Field(description="masked")
    field: str
    register_value: str
    found_value: str
    status: WorkStatus
    comment: str


class ItemPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ItemOut]


class FeedbackOut(Schema):
    code: str
    name: str
    sent: int
    answered_in_time: int
    answered_late: int
    pending: int
    rate: RateOut


class VillageCount(TypedDict):
    """What :func:`~renkou.reconciliation.services.visible_surveys` annotates a survey with."""

    n_villages: int


def _rate(r: Rate) -> dict:
    return {"numerator": r.numerator, "denominator": r.denominator, "value": r.value,
            "lower": r.lower, "upper": r.upper}


@router.get("/surveys", auth=reading(Capability.VIEW_REGISTER),
            response={200: list[SurveyOut], **READ_ERRORS},
            summary="Field-check surveys of the caller's area")
def list_surveys(request: ApiRequest) -> list:
    surveys = cast("QuerySet[WithAnnotations[Survey, VillageCount]]",
                   services.visible_surveys(request.auth))
    return [{"id": s.pk, "name": s.name, "survey_date": s.survey_date,
             "reference_start": s.reference_start, "villages": s.n_villages}
            for s in surveys]


@router.get("/surveys/{survey_id}/rates", auth=reading(Capability.VIEW_REGISTER),
            response={200: list[UnitRatesOut], **READ_ERRORS},
            summary="Accuracy, not-found and under-count rates by unit",
            description="Per sampled village and rolled up to township and county (only the "
                        "caller's units), each with its 95% Wilson interval.")
def survey_rates(request: ApiRequest, survey_id: int) -> list:
    survey = services.visible_surveys(request.auth).filter(pk=survey_id).first()
    if survey is None:
        raise HttpError(404, "not found")
    return [{"code": r.unit.code, "name": r.unit.name, "level": r.unit.level, "counts": r.counts,
             "accuracy": _rate(r.accuracy), "not_found": _rate(r.not_found),
             "under_count": _rate(r.under_count)}
            for r in services.survey_rates(survey, request.auth)]


@router.get("/worklist", auth=reading(Capability.VIEW_REGISTER),
            response={200: ItemPage, **READ_ERRORS},
            summary="Discrepancy worklist (ID numbers masked)")
def worklist(request: ApiRequest, survey: int | None = None, dept_list: int | None = None,
             status: WorkStatus | None = None, kind: DiscrepancyKind | None = None,
             page: int = Query(1, ge=1, le=MAX_PAGE),
             page_size: int = Query(50, ge=1, le=500)) -> dict:
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
            summary="Cross-check feedback rate (协查反馈率) by unit for a year")
def feedback(request: ApiRequest, year: int = Query(..., ge=2000, le=2199)) -> list:
    rows = services.feedback_rates(request.auth, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return [{"code": r.unit.code, "name": r.unit.name, "sent": r.sent,
             "answered_in_time": r.answered_in_time, "answered_late": r.answered_late,
             "pending": r.pending, "rate": _rate(r.rate)} for r in rows]
