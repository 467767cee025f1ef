"""JSON API of family benefits (mounted by :mod:`renkou.core.api` at ``/api/benefits``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from renkou.accounts.permissions import Capability
from renkou.core.api import NO_NUL, READ_ERRORS, ApiRequest, reading
from renkou.register.identity import mask_id_number

from .payment_figures import figures
from .permissions import MANAGE_BENEFITS
from .programmes import programmes
from .workflow import WorkflowError, scoped_applications

router = Router()


class VersionOut(Schema):
    effective_from: dt.date
    org_prefix: str = Field(description="division-code prefix; empty: everywhere")
    amounts: dict[str, Decimal]
    criteria: dict
    source: str = Field(description="yaml (shipped) or db (added by an office)")


class ProgrammeOut(Schema):
    code: str
    name: str
    rule: str
    unit: str
    period: str
    review_levels: list[str]
    notice_days: int
    documents: list[str]
    attestations: dict[str, str]
    versions: list[VersionOut]


class FigureOut(Schema):
    org_code: str
    org_name: str
    level: int
    programme: str
    period: str
    recipients: int
    amount_due: Decimal
    amount_paid: Decimal
    payment_rate: float | None = Field(description="兑现率, % of the amount due that was paid")
    paid_on_time: Decimal
    timeliness: float | None = Field(description="% of the amount paid paid by the due date")


class ApplicationOut(Schema):
    id: int
    programme: str
    year: int
    person_id: int
    name: str
    id_number: str = Field(description="masked")
    org_code: str
    state: str
    source: str


@router.get("/programmes", auth=reading(MANAGE_BENEFITS),
            response={200: list[ProgrammeOut], **READ_ERRORS}, summary="Benefit programmes",
            description="The programmes with every version (shipped YAML and office versions).")
def list_programmes(request: ApiRequest) -> list:
    return [{**p.__dict__, "name": p.label, "review_levels": list(p.review_levels),
             "documents": list(p.documents),
             "versions": [v.__dict__ for v in p.versions]} for p in programmes().values()]


@router.get("/figures", auth=reading(Capability.VIEW_AGGREGATES),
            response={200: list[FigureOut], **READ_ERRORS}, summary="Benefit figures",
            description="Recipients, amounts due and paid, payment rate and timeliness by org "
                        "unit (rolled up), programme and roster period, in the caller's subtree.")
def get_figures(request: ApiRequest, year: int = Query(..., ge=2000, le=2100),
                org: str | None = Query(None, pattern=r"^[0-9]{1,15}$")) -> list:
    try:
        return figures(year, user=request.auth, org_code=org)
    except WorkflowError as exc:
        raise HttpError(404, str(exc)) from None


@router.get("/applications", auth=reading(MANAGE_BENEFITS),
            response={200: list[ApplicationOut], **READ_ERRORS},
            summary="Benefit applications",
            description="Applications in the caller's subtree (at most 500, newest first).")
def list_applications(request: ApiRequest,
                      state: str = Query("", max_length=16, pattern=NO_NUL),
                      programme: str = Query("", max_length=40, pattern=NO_NUL)) -> list:
    qs = scoped_applications(request.auth)
    if state:
        qs = qs.filter(state=state)
    if programme:
        qs = qs.filter(programme=programme)
    return [{"id": a.pk, "programme": a.programme, "year": a.year, "person_id": a.person_id,
             "name": a.person.name, "id_number": mask_id_number(a.person.id_number),
             "org_code": a.org.code, "state": a.state, "source": a.source}
            for a in qs.order_by("-id")[:500]]
