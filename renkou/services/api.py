"""JSON API of the service records (mounted at ``/api/services``): health workers only.

Every endpoint declares :data:`~renkou.services.permissions.RECORD_SERVICES`, so any
other role (village clerk, township or county officer, statistician, auditor) is refused
403 before the request is read. The endpoints are thin: they find the person, the units
and the consent, and call :mod:`renkou.services.services`, the functions the pages call,
so the API accepts and refuses exactly what the pages do — an encounter without the
person's active consent answers 422 naming ``consent``; an item or a field that DESIGN.md
§2 keeps out (pregnancy or contraceptive status, policy compliance…) answers 422 naming
it, with the reason. Reading a person's record goes through
:func:`~renkou.services.services.service_record` (logged; another unit's encounters are
withheld unless the person agreed to share them or the caller writes a reason, a
break-the-glass read the auditors see).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from renkou.core import audit, clock
from renkou.core.api import (
    MAX_ID,
    MAX_PAGE,
    NO_NUL,
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRequest,
    described,
    paginate,
    reading,
    writing,
)
from renkou.core.api import lazy_str as _
from renkou.core.models import AuditAction
from renkou.core.scoping import subtree_q, user_org_path
from renkou.orgunits.models import OrgUnit
from renkou.register.models import Person, PersonStatus

from . import services
from .catalogue import out_of_scope_reason
from .catalogue import services as catalogue_services
from .identify import find_persons_to_serve, may_serve
from .models import (
    Consent,
    ConsentMethod,
    Encounter,
    FollowUp,
    PlaceKind,
    Purpose,
    ServiceRequest,
)
from .permissions import RECORD_SERVICES

__all__ = ["router", "encounter_out", "consent_out", "find_unit"]

router = Router()

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)
Day = Annotated[dt.date, Field(ge=EARLIEST, le=LATEST)]
UnitCode = Annotated[str, Field(pattern=r"^[0-9]{6,12}$")]
ServiceCode = Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_]*$")]
Text = Annotated[str, Field(max_length=200, pattern=NO_NUL)]
#: One recorded value: text, a number, yes/no (or nothing); the catalogue's item says which.
Value = (bool | int | Annotated[float, Field(allow_inf_nan=False)]
         | Annotated[str, Field(max_length=1000, pattern=NO_NUL)] | None)

PAGE = Query(1, ge=1, le=MAX_PAGE, description=_("page number, from 1"))
PAGE_SIZE = Query(50, ge=1, le=500, description=_("rows per page, at most 500"))


# ---------------------------------------------------------------- request bodies

class _Strict(Schema):
    """A request body with its own fields only: an unknown field is refused by name, and
    one that DESIGN.md §2 keeps out of a service record (``pregnancy_status``,
    ``contraceptive_status``…) is refused with that reason."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _name_unknown_fields(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except PydanticValidationError as exc:
            errors: list[Any] = []
            for error in exc.errors():
                if error["type"] == "extra_forbidden":
                    name = str(error["loc"][-1]) if error["loc"] else ""
                    reason = out_of_scope_reason(name) or gettext(
                        "“%(field)s” is not a field of this request") % {"field": name}
                    errors.append({"type": PydanticCustomError("unknown_field", "{reason}",
                                                               {"reason": reason}),
                                   "loc": error["loc"], "input": error["input"]})
                else:
                    errors.append(error)
            raise PydanticValidationError.from_exception_data(exc.title, errors) from None


class EncounterIn(_Strict):
    model_config = described(
        _("A service given (服务记录) to a person who asked for it, under her active consent "
          "to receive it: the catalogue's items as values."),
        examples=[{"person_id": 2, "service_code": "PRE_PREGNANCY", "date": "2026-06-15",
                   "org_code": "110101001000", "place_kind": "township", "provider": "刘医生",
                   "values": {"counselling": True, "risk_assessment": "low",
                              "advice": "补充叶酸"}}])

    person_id: int = Field(ge=1, le=MAX_ID, description=_("the person's person_id"))
    service_code: ServiceCode = Field(description=_("the service's code in the catalogue "
                                                    "(GET /api/services/catalogue)"))
    date: Day = Field(description=_("the day the service was given (not after today)"))
    org_code: UnitCode | None = Field(None, description=_(
        "the code of the service unit (of the caller's subtree); default: the caller's unit"))
    org_id: int | None = Field(None, ge=1, le=MAX_ID, description=_(
        "the service unit by its number, instead of org_code"))
    place_kind: PlaceKind = Field(PlaceKind.TOWNSHIP_STATION, description=_("where it was given"))
    provider: Annotated[str, Field(min_length=1, max_length=50, pattern=NO_NUL)] = Field(
        description=_("the provider who gave the service"))
    values: dict[str, Value] = Field(default_factory=dict, max_length=100, description=_(
        "the items recorded, {item code: value}, only the service's items (the catalogue "
        "says each item's kind: text, choice code, yes/no, number or date YYYY-MM-DD)"))
    referred: bool = Field(False, description=_("whether the person was referred"))
    referral_to: Text = Field("", description=_("where the person was referred to"))
    next_appointment: Day | None = Field(None, description=_(
        "the next appointment, only when the person wants one"))
    follow_ups: list[ServiceCode] = Field(default_factory=list, max_length=20, description=_(
        "follow-ups to arrange (codes of the service's follow-ups); only under the person's "
        "active follow-up consent"))
    request_id: int | None = Field(None, ge=1, le=MAX_ID, description=_(
        "the person's waiting request this encounter serves, if any"))
    note: Annotated[str, Field(max_length=500, pattern=NO_NUL)] = Field("", description=_("note"))


class ConsentIn(_Strict):
    model_config = described(
        _("A consent the person gave (after FHIR Consent): for one purpose, for one service or "
          "(sharing, statistics) for every service."),
        examples=[{"person_id": 2, "purpose": "service", "service_code": "PRE_PREGNANCY",
                   "given_on": "2026-06-15", "method": "paper",
                   "org_code": "110101001000"}])

    person_id: int = Field(ge=1, le=MAX_ID, description=_("the person's person_id"))
    purpose: Purpose = Field(description=_("what the consent permits"))
    service_code: ServiceCode = Field("", description=_(
        "the service it is for (required for receiving a service and follow-up; empty: every "
        "service)"))
    given_on: Day | None = Field(None, description=_("the day it was given; default today"))
    method: ConsentMethod = Field(description=_("how it was given"))
    witness: Annotated[str, Field(max_length=50, pattern=NO_NUL)] = Field(
        "", description=_("the witness of a verbal consent"))
    information_version: Annotated[str, Field(max_length=100, pattern=NO_NUL)] = Field(
        "", description=_("the information the person was given (form and version); default: "
                          "the service's"))
    expires_on: Day | None = Field(None, description=_("the day it expires, if it does"))
    share_with: UnitCode | None = Field(None, description=_(
        "sharing: the code of the office results may be shown to (empty: every office here)"))
    org_code: UnitCode | None = Field(None, description=_(
        "the code of the unit recording it (of the caller's subtree); default: the caller's "
        "unit"))
    org_id: int | None = Field(None, ge=1, le=MAX_ID, description=_(
        "the recording unit by its number, instead of org_code"))


class WithdrawIn(_Strict):
    model_config = described(_("The person withdraws a consent (today); the history is kept."))

    note: Text = Field("", description=_("what the person said, if anything"))


# ---------------------------------------------------------------- answers

class ItemValue(Schema):
    model_config = described(_("One item recorded, as people read it."))

    item: str = Field(description=_("the item's code"))
    name: str = Field(description=_("the item's name"))
    value: str = Field(description=_("the value as shown, with its unit"))
    sensitive: bool = Field(description=_("whether it is a health result"))


class FollowUpBrief(Schema):
    model_config = described(_("A follow-up arranged after an encounter."))

    follow_up_id: int = Field(description=_("the follow-up's number"))
    kind: str = Field(description=_("the follow-up's code"))
    due_on: dt.date = Field(description=_("due on"))
    state: str = Field(description=_("due, done, declined or cancelled"))


class EncounterOut(Schema):
    model_config = described(_("One service encounter with what was recorded."))

    encounter_id: int = Field(description=_("the encounter's number"))
    person_id: int = Field(description=_("the person's person_id"))
    service_code: str = Field(description=_("the service's code"))
    service: str = Field(description=_("the service's name"))
    date: dt.date = Field(description=_("the day the service was given"))
    org_code: str = Field(description=_("the service unit's code"))
    org: str = Field(description=_("the service unit's name"))
    place_kind: str = Field(description=_("where it was given"))
    provider: str = Field(description=_("the provider"))
    consent_id: int = Field(description=_("the consent it was given under"))
    request_id: int | None = Field(description=_("the request it served, if any"))
    values: dict[str, Any] = Field(description=_("the items recorded, {item code: value}"))
    items: list[ItemValue] = Field(description=_("the items recorded, as people read them"))
    at_risk: bool | None = Field(description=_("assessed at risk (the service's risk item)"))
    referred: bool = Field(description=_("referred"))
    referral_to: str = Field(description=_("referred to"))
    next_appointment: dt.date | None = Field(description=_("the next appointment"))
    migrant_at_residence: bool = Field(description=_(
        "an inflow migrant served at her residence that day"))
    follow_ups: list[FollowUpBrief] = Field(description=_("the follow-ups arranged"))
    note: str = Field(description=_("note"))
    recorded_at: dt.datetime = Field(description=_("recorded at"))


class ConsentOut(Schema):
    model_config = described(_("One consent of a person, with its state today."))

    consent_id: int = Field(description=_("the consent's number"))
    person_id: int = Field(description=_("the person's person_id"))
    purpose: str = Field(description=_("what it permits"))
    service_code: str = Field(description=_("the service it is for (empty: every service)"))
    share_with: str = Field(description=_("sharing: the office's code (empty: every office)"))
    given_on: dt.date = Field(description=_("given on"))
    method: str = Field(description=_("how it was given"))
    witness: str = Field(description=_("witness"))
    information_version: str = Field(description=_("the information given (version)"))
    expires_on: dt.date | None = Field(description=_("expires on"))
    withdrawn_on: dt.date | None = Field(description=_("withdrawn on"))
    withdrawal_note: str = Field(description=_("withdrawal note"))
    status: str = Field(description=_("today: active, withdrawn, expired or pending"))
    org_code: str = Field(description=_("the code of the unit that recorded it"))
    recorded_at: dt.datetime = Field(description=_("recorded at"))


class RecordOut(Schema):
    model_config = described(_("A person's service record as the caller may read it (logged)."))

    person_id: int = Field(description=_("the person's person_id"))
    name: str = Field(description=_("the person's name"))
    encounters: list[EncounterOut] = Field(description=_("the encounters shown, newest first"))
    consents: list[ConsentOut] = Field(description=_(
        "the person's consents (every unit's: what she agreed to)"))
    withheld: int = Field(description=_(
        "encounters kept by other units and not shown: a reason opens them"))
    shared: int = Field(description=_(
        "encounters of other units shown because the person agreed to share them"))
    broke_glass: bool = Field(description=_(
        "other units' encounters shown after the reason given (logged for the auditors)"))


class FollowUpOut(Schema):
    model_config = described(_("One follow-up due, of a person with an active follow-up "
                               "consent."))

    follow_up_id: int = Field(description=_("the follow-up's number"))
    encounter_id: int = Field(description=_("the encounter it follows"))
    person_id: int = Field(description=_("the person's person_id"))
    name: str = Field(description=_("the person's name"))
    service_code: str = Field(description=_("the service's code"))
    service: str = Field(description=_("the service's name"))
    kind: str = Field(description=_("the follow-up's code"))
    kind_name: str = Field(description=_("the follow-up's name"))
    due_on: dt.date = Field(description=_("due on"))
    overdue: bool = Field(description=_("due before today"))
    org_code: str = Field(description=_("the service unit's code"))


class FollowUpPage(Schema):
    model_config = described(_("One page of the follow-ups due, the earliest first."))

    count: int = Field(description=_("follow-ups due, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[FollowUpOut] = Field(description=_("the follow-ups of this page"))


class ChoiceOut(Schema):
    model_config = described(_("One answer an item of kind choice allows."))

    code: str = Field(description=_("the choice's code"))
    name: str = Field(description=_("the choice's name"))


class ItemOut(Schema):
    model_config = described(_("One item a service's encounter records."))

    code: str = Field(description=_("the item's code"))
    name: str = Field(description=_("the item's name"))
    kind: str = Field(description=_("text, choice, yes_no, number or date"))
    unit: str = Field(description=_("the unit of a number"))
    sensitive: bool = Field(description=_("whether it is a health result"))
    choices: list[ChoiceOut] = Field(description=_("the choices of an item of kind choice"))


class FollowUpSpecOut(Schema):
    model_config = described(_("A follow-up staff may arrange after an encounter (with the "
                               "person's follow-up consent)."))

    code: str = Field(description=_("the follow-up's code"))
    name: str = Field(description=_("the follow-up's name"))
    after_days: int = Field(description=_("due this many days after the encounter"))


class CatalogueServiceOut(Schema):
    model_config = described(_("One service of the catalogue in use."))

    code: str = Field(description=_("the service's code"))
    name: str = Field(description=_("the service's name"))
    who_may_ask: str = Field(description=_("who may ask for it (guidance, never a condition)"))
    information_version: str = Field(description=_(
        "the information sheet given with the consent (its version)"))
    risk_item: str = Field(description=_("the item whose choice high means assessed at risk"))
    source: str = Field(description=_("shipped, or the office's own catalogue"))
    items: list[ItemOut] = Field(description=_("what an encounter records, in order"))
    follow_ups: list[FollowUpSpecOut] = Field(description=_("the follow-ups it allows"))


# ---------------------------------------------------------------- finding things

def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def find_unit(user, code: str | None, unit_id: int | None = None, *,
              field: str = "org_code") -> OrgUnit:
    """The unit a body names (by code or number) among the caller's units; the caller's
    own unit when it names none. A unit outside them is refused like one that does not
    exist (422 naming ``field``)."""
    path = user_org_path(user)
    if path == "":  # a user bound to no unit records nowhere
        raise _refuse(field, gettext("your account is bound to no unit"))
    units = OrgUnit.objects.all() if path is None else OrgUnit.objects.filter(subtree_q(path))
    if code is None and unit_id is None:
        if getattr(user, "org", None) is None:
            raise _refuse(field, gettext("name the unit"))
        return user.org
    found = units.filter(code=code).first() if code is not None else units.filter(pk=unit_id).first()
    if found is None:
        raise _refuse(field, gettext("there is no unit %(unit)s among your units")
                      % {"unit": code if code is not None else unit_id})
    return found


def _person(user, person_id: int, *, for_writing: bool = False) -> Person:
    """The person served, when the caller may serve her (:func:`identify.may_serve`: a
    person of her units, one with a record kept there, or one she looked up by her full
    ID number — ``GET /persons`` — a person is served where she asks); else 404. A merged
    or voided registration takes no new record."""
    person = get_object_or_404(Person.objects.all(), pk=person_id)
    if for_writing and person.status in (PersonStatus.MERGED, PersonStatus.VOID):
        raise _refuse("person_id", gettext("this registration was merged into another record "
                                           "or voided: record the service on the person's "
                                           "record"))
    if not may_serve(user, person):
        raise Http404
    return person


# ---------------------------------------------------------------- answers built

def _service_name(code: str) -> str:
    found = catalogue_services().get(code)
    return found.name if found else code


def encounter_out(encounter: Encounter) -> dict[str, Any]:
    """The answer for one encounter (the API's and the CLI's)."""
    chosen = catalogue_services().get(encounter.service_code)
    items = []
    if chosen is not None:
        items = [{"item": item.code, "name": item.name, "value": shown,
                  "sensitive": item.sensitive}
                 for item, shown in services.display_values(chosen, encounter.values)]
    return {
        "encounter_id": encounter.pk, "person_id": encounter.person_id,
        "service_code": encounter.service_code, "service": _service_name(encounter.service_code),
        "date": encounter.date, "org_code": encounter.org.code, "org": encounter.org.name,
        "place_kind": encounter.place_kind, "provider": encounter.provider,
        "consent_id": encounter.consent_id, "request_id": encounter.request_id,
        "values": encounter.values, "items": items, "at_risk": encounter.at_risk,
        "referred": encounter.referred, "referral_to": encounter.referral_to,
        "next_appointment": encounter.next_appointment,
        "migrant_at_residence": encounter.migrant_at_residence,
        "follow_ups": [{"follow_up_id": f.pk, "kind": f.kind, "due_on": f.due_on, "state": f.state}
                       for f in encounter.follow_ups.order_by("due_on", "id")],
        "note": encounter.note, "recorded_at": encounter.recorded_at,
    }


def consent_out(consent: Consent) -> dict[str, Any]:
    """The answer for one consent (the API's and the CLI's)."""
    return {
        "consent_id": consent.pk, "person_id": consent.person_id, "purpose": consent.purpose,
        "service_code": consent.service_code,
        "share_with": consent.share_with.code if consent.share_with is not None else "",
        "given_on": consent.given_on, "method": consent.method, "witness": consent.witness,
        "information_version": consent.information_version, "expires_on": consent.expires_on,
        "withdrawn_on": consent.withdrawn_on, "withdrawal_note": consent.withdrawal_note,
        "status": consent.status(clock.today()), "org_code": consent.org.code,
        "recorded_at": consent.recorded_at,
    }


def follow_up_out(follow_up: FollowUp, today: dt.date) -> dict[str, Any]:
    chosen = catalogue_services().get(follow_up.service_code)
    spec = chosen.follow_up(follow_up.kind) if chosen else None
    return {
        "follow_up_id": follow_up.pk, "encounter_id": follow_up.encounter_id,
        "person_id": follow_up.person_id, "name": follow_up.person.name,
        "service_code": follow_up.service_code, "service": _service_name(follow_up.service_code),
        "kind": follow_up.kind, "kind_name": spec.name if spec else follow_up.kind,
        "due_on": follow_up.due_on, "overdue": follow_up.due_on < today,
        "org_code": follow_up.org.code,
    }


def catalogue_out() -> list[dict[str, Any]]:
    """The catalogue in use, as the API and the CLI list it."""
    return [{
        "code": s.code, "name": s.name, "who_may_ask": s.who_may_ask,
        "information_version": s.information_version, "risk_item": s.risk_item,
        "source": s.source,
        "items": [{"code": i.code, "name": i.name, "kind": i.kind, "unit": i.unit,
                   "sensitive": i.sensitive,
                   "choices": [{"code": c.code, "name": c.name} for c in i.choices]}
                  for i in s.items],
        "follow_ups": [{"code": f.code, "name": f.name, "after_days": f.after_days}
                       for f in s.follow_ups],
    } for s in catalogue_services().values()]


# ---------------------------------------------------------------- endpoints

@router.post("/encounters", auth=writing(RECORD_SERVICES),
             response={201: EncounterOut, **WRITE_ERRORS}, summary=_("Record a service given"),
             description=_("A service the person asked for, given under her active consent to "
                           "receive it: without one the answer is 422 naming consent. Only the "
                           "catalogue's items are recorded: another item is refused naming "
                           "values.<item>, and one that DESIGN.md §2 keeps out (pregnancy or "
                           "contraceptive status, policy compliance…) says so; so is such a "
                           "field of the body. Health workers only. Token only."))
def record_encounter(request: ApiRequest, body: EncounterIn) -> Status:
    user = request.auth
    person = _person(user, body.person_id, for_writing=True)
    unit = find_unit(user, body.org_code, body.org_id)
    service_request = None
    if body.request_id is not None:
        service_request = (ServiceRequest.objects.visible_to(user)
                           .filter(pk=body.request_id).first())
        if service_request is None:
            raise _refuse("request_id", gettext("there is no such request among your units"))
    encounter = services.record_encounter(
        person, service_code=body.service_code, date=body.date, org=unit,
        provider=body.provider, values=dict(body.values), place_kind=body.place_kind,
        referred=body.referred, referral_to=body.referral_to,
        next_appointment=body.next_appointment, follow_ups=list(body.follow_ups),
        request=service_request, note=body.note, user=user, via="api")
    return Status(201, encounter_out(encounter))


@router.get("/encounters", auth=reading(RECORD_SERVICES), response={200: RecordOut, **READ_ERRORS},
            summary=_("A person's service record"),
            description=_("The person's encounters the caller may read: those of the caller's "
                          "units, and those of other units when the person agreed to share "
                          "them with the caller's office; the others are counted in withheld, "
                          "and shown only with a reason (a break-the-glass read, logged and "
                          "listed for the auditors). Every read is logged. Health workers "
                          "only."))
def read_record(request: ApiRequest,
                person_id: int = Query(..., ge=1, le=MAX_ID,
                                       description=_("the person's person_id")),
                reason: str = Query("", max_length=200, pattern=NO_NUL, description=_(
                    "why another unit's record must be read (at least 4 characters; a "
                    "break-the-glass read, logged)"))) -> dict:
    person = _person(request.auth, person_id)
    record = services.service_record(request.auth, person, reason=reason)
    return {"person_id": person.pk, "name": person.name,
            "encounters": [encounter_out(e) for e in record.encounters],
            "consents": [consent_out(c) for c in record.consents],
            "withheld": record.withheld, "shared": record.shared,
            "broke_glass": record.broke_glass}


@router.post("/consents", auth=writing(RECORD_SERVICES), response={201: ConsentOut, **WRITE_ERRORS},
             summary=_("Record a consent"),
             description=_("A consent the person gave, for one purpose: receiving a service, "
                           "being contacted for follow-up (for one service), sharing results "
                           "with another office or use in anonymous statistics (for every "
                           "service, or one). A verbal consent names its witness. Health "
                           "workers only. Token only."))
def give_consent(request: ApiRequest, body: ConsentIn) -> Status:
    user = request.auth
    person = _person(user, body.person_id, for_writing=True)
    unit = find_unit(user, body.org_code, body.org_id)
    share_with = None
    if body.share_with:
        share_with = OrgUnit.objects.filter(code=body.share_with).first()
        if share_with is None:
            raise _refuse("share_with", gettext("there is no unit %(unit)s")
                          % {"unit": body.share_with})
    consent = services.give_consent(
        person, purpose=body.purpose, given_on=body.given_on or clock.today(),
        method=body.method, information_version=body.information_version,
        service_code=body.service_code, witness=body.witness, expires_on=body.expires_on,
        share_with=share_with, org=unit, user=user, via="api")
    return Status(201, consent_out(consent))


@router.post("/consents/{consent_id}/withdraw", auth=writing(RECORD_SERVICES),
             response={200: ConsentOut, **WRITE_ERRORS}, summary=_("Withdraw a consent"),
             description=_("The person withdraws a consent, today (she may at any time): a "
                           "service consent covers no new encounter; withdrawing follow-up "
                           "consent takes her off every follow-up list at once. The consent "
                           "is kept, marked withdrawn. A consent outside the caller's units "
                           "answers 404. Health workers only. Token only."))
def withdraw_consent(request: ApiRequest, body: WithdrawIn,
                     consent_id: int = Path(..., ge=1, le=MAX_ID,
                                            description=_("the consent's number"))) -> dict:
    consent = get_object_or_404(Consent.objects.visible_to(request.auth), pk=consent_id)
    withdrawn = services.withdraw_consent(consent, user=request.auth, note=body.note, via="api")
    return consent_out(Consent.objects.select_related("org", "share_with").get(pk=withdrawn.pk))


@router.get("/follow-ups", auth=reading(RECORD_SERVICES), response={200: FollowUpPage, **READ_ERRORS},
            summary=_("Follow-ups due"),
            description=_("The follow-ups due in the caller's units, the earliest first, of "
                          "persons whose follow-up consent is active today (withdrawing it "
                          "takes the person off at once). Logged. Health workers only."))
def follow_ups(request: ApiRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> dict:
    today = clock.today()
    rows = services.follow_up_list(request.auth, on=today).order_by("due_on", "id")
    result = paginate(rows, page, page_size, lambda f: follow_up_out(f, today))
    audit.record(AuditAction.VIEW, "service_follow_up", "",
                 details={"list": "due", "count": result["count"], "via": "api"})
    return result


@router.get("/catalogue", auth=reading(RECORD_SERVICES),
            response={200: list[CatalogueServiceOut], **READ_ERRORS},
            summary=_("The service catalogue"),
            description=_("The services in use (shipped, and the office's own file), each "
                          "with the items an encounter records and the follow-ups it allows. "
                          "Health workers only."))
def catalogue(request: ApiRequest) -> list[dict[str, Any]]:
    return catalogue_out()


class PersonLine(Schema):
    model_config = described(_("A person found to serve: what tells namesakes apart, nothing "
                               "that rebuilds an ID number."))

    person_id: int = Field(description=_("the person's person_id"))
    name: str = Field(description=_("name"))
    birth_date: str = Field(description=_("birth date"))
    unit: str = Field(description=_("where she is registered (and lives, when that differs)"))
    id_number: str = Field(description=_("the ID number, masked beside the birth date (the "
                                         "area code only)"))


class PersonsFound(Schema):
    model_config = described(_("The persons a search names."))

    results: list[PersonLine] = Field(description=_("at most 20"))
    more: bool = Field(description=_("whether more persons match (narrow the search)"))
    problem: str = Field(description=_("why nobody was looked up, or \"\""))


@router.get("/persons", auth=reading(RECORD_SERVICES), response={200: PersonsFound, **READ_ERRORS},
            summary=_("Find the person to serve"),
            description=_("A whole ID number finds the person anywhere in this deployment (a "
                          "migrant or visitor may be served here; a lookup outside the caller's "
                          "units is logged and limited per hour), and she may then be served "
                          "for the next hours; a name or pinyin initials find persons "
                          "registered or living in the caller's units. Part of an ID number "
                          "finds nobody. Health workers only."))
def find_persons(request: ApiRequest,
                 q: str = Query(..., min_length=1, max_length=50, pattern=NO_NUL,
                                description=_("a whole ID number, a name or pinyin initials"))
                 ) -> dict[str, Any]:
    found = find_persons_to_serve(request.auth, q)
    return {"results": [{"person_id": int(c.value), "name": c.name, "birth_date": c.birth_date,
                         "unit": c.unit, "id_number": c.id_number} for c in found.results],
            "more": found.more, "problem": found.problem}
