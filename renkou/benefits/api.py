"""JSON API of family benefits (mounted by :mod:`renkou.core.api` at ``/api/benefits``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from renkou.accounts.permissions import Capability
from renkou.core.api import NO_NUL, READ_ERRORS, ApiRequest, described, reading
from renkou.core.api import lazy_str as _
from renkou.register.identity import mask_id_number

from .payment_figures import figures
from .permissions import MANAGE_BENEFITS
from .programmes import programmes
from .workflow import WorkflowError, scoped_applications

router = Router()


class VersionOut(Schema):
    model_config = described(_("One version of a programme's rules: its amounts and criteria "
                               "from a date, for the units under a division-code prefix."))

    effective_from: dt.date = Field(description=_("the first day it applies"))
    org_prefix: str = Field(description=_("division-code prefix; empty: everywhere"))
    amounts: dict[str, Decimal] = Field(description=_("yuan per unit, by rate (default: the "
                                                      "only rate)"))
    criteria: dict = Field(description=_("the parameters of the eligibility rule"))
    source: str = Field(description=_("yaml (shipped) or db (added by an office)"))


class ProgrammeOut(Schema):
    model_config = described(_("A family-benefit programme (利益导向项目) as configured."))

    code: str = Field(description=_("the programme's code"))
    name: str = Field(description=_("the programme's name, in the caller's language"))
    rule: str = Field(description=_("the eligibility rule over register facts, e.g. "
                                    "rural_reward"))
    unit: str = Field(description=_("what an amount is per: person_month, person_year or "
                                    "lump_sum"))
    period: str = Field(description=_("the roster period: month or year"))
    review_levels: list[str] = Field(description=_("the steps of review, in order"))
    notice_days: int = Field(description=_("days of public notice (公示)"))
    documents: list[str] = Field(description=_("the documents the applicant brings"))
    attestations: dict[str, str] = Field(description=_("facts the register cannot know, "
                                                       "attested by the reviewer, by code"))
    versions: list[VersionOut] = Field(description=_("every version, shipped and added by "
                                                     "offices"))


class FigureOut(Schema):
    model_config = described(_("Benefit figures of a unit, a programme and a roster period."))

    org_code: str = Field(description=_("the unit's division code"))
    org_name: str = Field(description=_("the unit's name"))
    level: int = Field(description=_("the unit's level: 1 county, 2 township, 3 village"))
    programme: str = Field(description=_("the programme's code"))
    period: str = Field(description=_("the roster period, e.g. 2025 or 2025-03"))
    recipients: int = Field(description=_("persons paid or due"))
    amount_due: Decimal = Field(description=_("amount due, yuan"))
    amount_paid: Decimal = Field(description=_("amount paid, yuan"))
    payment_rate: float | None = Field(description=_("payment rate (兑现率), % of the amount "
                                                     "due that was paid"))
    paid_on_time: Decimal = Field(description=_("amount paid by the due date, yuan"))
    timeliness: float | None = Field(description=_("% of the amount paid paid by the due "
                                                   "date"))


class ApplicationOut(Schema):
    model_config = described(_("A benefit application, ID number masked."))

    id: int = Field(description=_("the application's number"))
    programme: str = Field(description=_("the programme's code"))
    year: int = Field(description=_("the year applied for"))
    person_id: int = Field(description=_("person_id of the applicant"))
    name: str = Field(description=_("the applicant's name"))
    id_number: str = Field(description=_("the applicant's ID number, masked"))
    org_code: str = Field(description=_("division code of the applicant's unit"))
    state: str = Field(description=_("where it stands, e.g. submitted, on_notice, approved"))
    source: str = Field(description=_("screening (found in the register) or walk_in"))


@router.get("/programmes", auth=reading(MANAGE_BENEFITS),
            response={200: list[ProgrammeOut], **READ_ERRORS}, summary=_("Benefit programmes"),
            description=_("The programmes with every version (shipped YAML and office "
                          "versions)."))
def list_programmes(request: ApiRequest) -> list:
    return [{**p.__dict__, "name": p.label, "review_levels": list(p.review_levels),
             "documents": list(p.documents),
             "versions": [v.__dict__ for v in p.versions]} for p in programmes().values()]


@router.get("/figures", auth=reading(Capability.VIEW_AGGREGATES),
            response={200: list[FigureOut], **READ_ERRORS}, summary=_("Benefit figures"),
            description=_("Recipients, amounts due and paid, payment rate and timeliness by "
                          "org unit (rolled up), programme and roster period, in the caller's "
                          "subtree."))
def get_figures(request: ApiRequest,
                year: int = Query(..., ge=2000, le=2100, description=_("the rosters' year")),
                org: str | None = Query(None, pattern=r"^[0-9]{1,15}$",
                                        description=_("a unit in the caller's subtree (its "
                                                      "division code; default: the caller's "
                                                      "own unit)"))) -> list:
    try:
        return figures(year, user=request.auth, org_code=org)
    except WorkflowError as exc:
        raise HttpError(404, str(exc)) from None


@router.get("/applications", auth=reading(MANAGE_BENEFITS),
            response={200: list[ApplicationOut], **READ_ERRORS},
            summary=_("Benefit applications"),
            description=_("Applications in the caller's subtree (at most 500, newest first)."))
def list_applications(request: ApiRequest,
                      state: str = Query("", max_length=16, pattern=NO_NUL,
                                         description=_("only applications in this state, e.g. "
                                                       "approved")),
                      programme: str = Query("", max_length=40, pattern=NO_NUL,
                                             description=_("only applications of this "
                                                           "programme (its code)"))) -> list:
    qs = scoped_applications(request.auth)
    if state:
        qs = qs.filter(state=state)
    if programme:
        qs = qs.filter(programme=programme)
    return [{"id": a.pk, "programme": a.programme, "year": a.year, "person_id": a.person_id,
             "name": a.person.name, "id_number": mask_id_number(a.person.id_number),
             "org_code": a.org.code, "state": a.state, "source": a.source}
            for a in qs.order_by("-id")[:500]]
