"""The register in the JSON API: persons, households, the ledger, and recording events.

Endpoints are thin: they check the caller's capability (403), find rows through
``visible_to`` (404 outside the caller's subtree), resolve references (person ids,
division codes, household numbers) and call :mod:`renkou.register.services`, the
same functions the forms call, so the API accepts and refuses exactly what the
pages do. ID numbers are masked everywhere except a person's own record, and each
read of a person or household record is logged.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Body, Field, Path, Query, Router, Schema, Status

from renkou.accounts.permissions import Capability
from renkou.core import audit
from renkou.core.api import (
    MAX_ID,
    MAX_PAGE,
    NO_NUL,
    READ_ERRORS,
    WRITE_ERRORS,
    paginate,
    reading,
    writing,
)
from renkou.core.models import AuditAction
from renkou.core.scoping import subtree_q
from renkou.orgunits.models import OrgUnit

from . import services
from .identity import mask_id_number
from .models import (
    EventType,
    Household,
    HukouType,
    LifeEvent,
    MaritalStatus,
    Person,
    PersonStatus,
    Relationship,
    Sex,
)
from .search import search_persons

router = Router()

#: Dates the API accepts; later than today is refused by the services.
EARLIEST = dt.date(1850, 1, 1)
LATEST = dt.date(2199, 12, 31)
Day = Annotated[dt.date, Field(ge=EARLIEST, le=LATEST)]
PersonRef = Annotated[int, Field(ge=1, le=MAX_ID, description="a person_id")]
DivisionCode = Annotated[str, Field(pattern=r"^[0-9]{1,15}$", description="division code")]
HouseholdNo = Annotated[str, Field(max_length=24, pattern=NO_NUL)]
#: An ID number as typed: the services say what is wrong with it, in the caller's language.
IdNumber = Annotated[str, Field(max_length=18, pattern=r"^[0-9]{0,17}[0-9Xx]?$")]
Name = Annotated[str, Field(max_length=50, pattern=NO_NUL)]
Note = Annotated[str, Field(max_length=200, pattern=NO_NUL)]


# ---------------------------------------------------------------- output schemas

class PersonItem(Schema):
    person_id: int
    name: str
    sex: Sex
    birth_year: int = Field(description="the year only: the masked ID's hidden digits are the "
                                        "birth date")
    id_number: str = Field(description="masked: first 6 and last 4 characters")
    org_code: str = Field(description="registered org unit (户籍地)")
    household_no: str | None
    status: PersonStatus


class PersonDetail(PersonItem):
    id_number: str = Field(description="in full (this read is logged)")
    birth_date: dt.date
    ethnicity: str = Field(description="GB 3304 code")
    ethnicity_name: str = Field(description="民族, e.g. 汉族")
    hukou_type: HukouType
    org_name: str
    current_org_code: str | None = Field(description="where the person lives, if elsewhere")
    household_id: int | None
    relationship: str
    marital_status: MaritalStatus
    education: str
    mother_id: int | None
    father_id: int | None
    birth_order: int | None


class PersonPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[PersonItem]


class EventOut(Schema):
    event_id: int
    person_id: int
    event_type: EventType
    event_date: dt.date
    recorded_at: dt.datetime
    recorded_via: str
    org_code: str
    payload: dict[str, Any]
    supersedes_event_id: int | None
    superseded_by_event_id: int | None = Field(description="set when a correction replaced it")


class EventPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[EventOut]


class HouseholdItem(Schema):
    household_id: int
    household_no: str
    address: str
    org_code: str
    head_person_id: int | None
    members: int


class HouseholdDetail(HouseholdItem):
    member_list: list[PersonItem] = Field(description="today's members, ID numbers masked")


class HouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdItem]


def _person_item(p: Person) -> dict[str, Any]:
    return {"person_id": p.pk, "name": p.name, "sex": p.sex, "birth_year": p.birth_date.year,
            "id_number": mask_id_number(p.id_number), "org_code": p.registered_org.code,
            "household_no": p.household.household_no if p.household_id else None,
            "status": p.status}


def _person_detail(p: Person) -> dict[str, Any]:
    return {**_person_item(p), "id_number": p.id_number or "", "birth_date": p.birth_date,
            "ethnicity": p.ethnicity,
            "ethnicity_name": p.get_ethnicity_display(),
            "hukou_type": p.hukou_type, "org_name": p.registered_org.name,
            "current_org_code": p.current_org.code if p.current_org_id else None,
            "household_id": p.household_id, "relationship": p.relationship,
            "marital_status": p.marital_status, "education": p.education,
            "mother_id": p.mother_id, "father_id": p.father_id, "birth_order": p.birth_order}


def _event_out(e: LifeEvent) -> dict[str, Any]:
    superseded_by = getattr(e, "superseded_by", None)
    return {"event_id": e.pk, "person_id": e.person_id, "event_type": e.event_type,
            "event_date": e.event_date, "recorded_at": e.recorded_at,
            "recorded_via": e.recorded_via, "org_code": e.org.code, "payload": e.payload or {},
            "supersedes_event_id": e.supersedes_id,
            "superseded_by_event_id": superseded_by.pk if superseded_by else None}


def _household_item(h: Household) -> dict[str, Any]:
    return {"household_id": h.pk, "household_no": h.household_no, "address": h.address,
            "org_code": h.org.code, "head_person_id": h.head_id, "members": h.n_members}


# ---------------------------------------------------------------- reading

def _persons(request: HttpRequest) -> QuerySet[Person]:
    return Person.objects.visible_to(request.auth)


def _visible_unit(request: HttpRequest, code: str) -> OrgUnit:
    """The unit with this code in the caller's subtree; 404 otherwise."""
    try:
        unit = OrgUnit.objects.resolve_for(request.auth, code)
    except OrgUnit.DoesNotExist:
        raise Http404 from None
    assert unit is not None  # a code was given
    return unit


def _visible_person(request: HttpRequest, person_id: int) -> Person:
    return get_object_or_404(
        _persons(request).select_related("registered_org", "current_org",
                                                     "household"),
        pk=person_id,
    )


PAGE = Query(1, ge=1, le=MAX_PAGE, description="page number, from 1")
PAGE_SIZE = Query(50, ge=1, le=500, description="rows per page")
PERSON_ID = Path(..., ge=1, le=MAX_ID, description="the person_id", examples=[1])
EVENT_ID = Path(..., ge=1, le=MAX_ID, description="the event_id", examples=[1])
HOUSEHOLD_ID = Path(..., ge=1, le=MAX_ID, description="the household_id", examples=[1])
DATE_FROM = Query(None, alias="from", description="event date from (included)")
DATE_TO = Query(None, alias="to", description="event date to (included)")
EVENT_BODY = Body(...)


@router.get("/persons", auth=reading(Capability.VIEW_REGISTER),
            response={200: PersonPage, **READ_ERRORS}, summary="Search persons",
            description="`q` searches like the search box: name, pinyin initials or full "
                        "pinyin, ID number (or its start), household number. Without `q`, "
                        "every person in the caller's subtree. ID numbers are masked.")
def list_persons(
    request: HttpRequest,
    q: str = Query("", max_length=50, pattern=NO_NUL, description="search text"),
    org: str | None = Query(None, pattern=r"^[0-9]{1,15}$",
                            description="only persons registered in this unit's subtree"),
    status: PersonStatus | None = None,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> dict:
    persons = _persons(request)
    if q.strip():
        persons = search_persons(request.auth, q)
    else:
        persons = persons.select_related("registered_org", "household").order_by("pk")
    if org:
        persons = persons.filter(subtree_q(_visible_unit(request, org).path,
                                           "registered_org__path"))
    if status:
        persons = persons.filter(status=status)
    return paginate(persons, page, page_size, _person_item)


@router.get("/persons/{person_id}", auth=reading(Capability.VIEW_REGISTER),
            response={200: PersonDetail, **READ_ERRORS},
            summary="One person's record",
            description="The full record, with the ID number in full. Logged as a view of "
                        "the person.")
def get_person(request: HttpRequest, person_id: int = PERSON_ID) -> dict:
    person = _visible_person(request, person_id)
    audit.record(AuditAction.VIEW, "person", person.pk)
    return _person_detail(person)


@router.get("/persons/{person_id}/events", auth=reading(Capability.VIEW_REGISTER),
            response={200: list[EventOut], **READ_ERRORS},
            summary="One person's ledger",
            description="Every life event of the person, corrections included, by event "
                        "date. Logged as a view of the person.")
def get_person_events(request: HttpRequest, person_id: int = PERSON_ID) -> list:
    person = _visible_person(request, person_id)
    audit.record(AuditAction.VIEW, "person", person.pk, details={"part": "events"})
    events = (LifeEvent.objects.filter(person=person)
              .select_related("org", "superseded_by").order_by("event_date", "pk"))
    return [_event_out(e) for e in events]


@router.get("/households", auth=reading(Capability.VIEW_REGISTER),
            response={200: HouseholdPage, **READ_ERRORS},
            summary="List households",
            description="Households in the caller's subtree; `q` matches the start of the "
                        "household number or part of the address.")
def list_households(
    request: HttpRequest,
    q: str = Query("", max_length=50, pattern=NO_NUL, description="household number or address"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> dict:
    households = Household.objects.visible_to(request.auth)
    text = q.strip()
    if text:
        households = households.filter(Q(household_no__startswith=text)
                                       | Q(address__contains=text))
    households = (households.select_related("org").annotate(n_members=Count("members"))
                  .order_by("household_no"))
    return paginate(households, page, page_size, _household_item)


@router.get("/households/{household_id}", auth=reading(Capability.VIEW_REGISTER),
            response={200: HouseholdDetail, **READ_ERRORS},
            summary="One household",
            description="The household and its members (ID numbers masked). Logged as a view "
                        "of the household.")
def get_household(request: HttpRequest,
                  household_id: int = HOUSEHOLD_ID) -> dict:
    household = get_object_or_404(
        Household.objects.visible_to(request.auth).select_related("org")
        .annotate(n_members=Count("members")),
        pk=household_id,
    )
    audit.record(AuditAction.VIEW, "household", household.pk)
    members = (household.members.select_related("registered_org", "household").order_by("pk"))
    return {**_household_item(household), "member_list": [_person_item(p) for p in members]}


@router.get("/events", auth=reading(Capability.VIEW_REGISTER),
            response={200: EventPage, **READ_ERRORS}, summary="The ledger",
            description="Life events of persons registered in the caller's subtree, by event "
                        "date. `from` and `to` bound the event date (both included); `org` "
                        "limits to persons registered in that unit's subtree.")
def list_events(
    request: HttpRequest,
    type: EventType | None = None,
    date_from: dt.date | None = DATE_FROM,
    date_to: dt.date | None = DATE_TO,
    org: str | None = Query(None, pattern=r"^[0-9]{1,15}$", description="division code"),
    person_id: int | None = Query(None, ge=1, le=MAX_ID),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> dict:
    events = LifeEvent.objects.visible_to(request.auth)
    if type:
        events = events.filter(event_type=type)
    if date_from:
        events = events.filter(event_date__gte=date_from)
    if date_to:
        events = events.filter(event_date__lte=date_to)
    if org:
        events = events.filter(subtree_q(_visible_unit(request, org).path,
                                         "person__registered_org__path"))
    if person_id:
        events = events.filter(person_id=person_id)
        if Person.objects.visible_to(request.auth).filter(pk=person_id).exists():
            # one person's ledger is a view of that person's record, as on its page
            audit.record(AuditAction.VIEW, "person", person_id, details={"part": "events"})
    events = events.select_related("org", "superseded_by").order_by("event_date", "pk")
    return paginate(events, page, page_size, _event_out)


# ---------------------------------------------------------------- recording

class _EventIn(Schema):
    event_date: Day


class DeathIn(_EventIn):
    model_config = {"json_schema_extra": {"examples": [
        {"event_type": "death", "event_date": "2024-03-01", "cause": ""}]}}

    event_type: Literal["death"]
    cause: Note = ""


class MarriageIn(_EventIn):
    event_type: Literal["marriage"]
    spouse_id: PersonRef


class DivorceIn(_EventIn):
    event_type: Literal["divorce"]
    spouse_id: PersonRef | None = Field(None, description="recorded for both when given")


class MoveOutIn(_EventIn):
    event_type: Literal["move_out"]
    destination: Note = ""


class MoveWithinIn(_EventIn):
    event_type: Literal["move_within"]
    org_code: DivisionCode
    household_no: HouseholdNo | None = None
    relationship: Relationship | Literal[""] = ""


class MoveInIn(MoveWithinIn):
    event_type: Literal["move_in"]
    origin: Note = ""


EventIn = Annotated[DeathIn | MarriageIn | DivorceIn | MoveOutIn | MoveWithinIn | MoveInIn,
                    Field(discriminator="event_type")]


class BirthIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"mother_id": 2, "father_id": 1, "name": "张小宝", "sex": "M",
         "birth_date": "2024-05-01"}]}}

    mother_id: PersonRef
    father_id: PersonRef | None = None
    name: Name
    sex: Sex
    birth_date: Day
    id_number: IdNumber | None = None


class VoidIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"action": "void", "reason": "登记错误，本人健在"}]}}

    action: Literal["void"]
    reason: Note = Field(..., min_length=1)


class ReplaceIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"action": "replace", "reason": "日期登记错误", "event_date": "2024-02-27"}]}}

    action: Literal["replace"]
    reason: Note = Field(..., min_length=1)
    event_date: Day | None = Field(None, description="the corrected date (default: unchanged)")
    org_code: DivisionCode | None = Field(None, description="the corrected unit (default: "
                                                            "unchanged)")


CorrectionIn = Annotated[VoidIn | ReplaceIn, Field(discriminator="action")]


def _person_ref(request: HttpRequest, person_id: int | None, field: str) -> Person | None:
    """A person the caller may see, for a reference in the request; else a 422 on ``field``."""
    if person_id is None:
        return None
    person = Person.objects.visible_to(request.auth).filter(pk=person_id).first()
    if person is None:
        raise ValidationError({field: _("there is no person with number %(pk)s") % {"pk": person_id}})
    return person


def _org_ref(request: HttpRequest, code: str) -> OrgUnit:
    """A unit in the caller's subtree: nobody moves a person outside it."""
    unit = OrgUnit.objects.visible_to(request.auth).filter(code=code).first()
    if unit is None:
        raise ValidationError({"org_code": _("there is no org unit with code %(code)s")
                               % {"code": code}})
    return unit


def _household_ref(request: HttpRequest, number: str | None) -> Household | None:
    number = (number or "").strip()
    if not number:
        return None
    household = Household.objects.visible_to(request.auth).filter(household_no=number).first()
    if household is None:
        raise ValidationError({"household_no": _("there is no household with number %(no)s")
                               % {"no": number}})
    return household


def _record(request: HttpRequest, person: Person, body: Any) -> LifeEvent:
    """Call the service for ``body.event_type`` (as the person's event form does)."""
    common = {"event_date": body.event_date, "user": request.auth, "via": "api"}
    kind = body.event_type
    if kind == EventType.DEATH:
        return services.record_death(person, cause=body.cause, **common)
    if kind == EventType.MARRIAGE:
        spouse = _person_ref(request, body.spouse_id, "spouse_id")
        return services.record_marriage(person, spouse, **common)[0]
    if kind == EventType.DIVORCE:
        spouse = _person_ref(request, body.spouse_id, "spouse_id")
        return services.record_divorce(person, spouse=spouse, **common)
    if kind == EventType.MOVE_OUT:
        return services.record_move_out(person, destination=body.destination, **common)
    place = {"org": _org_ref(request, body.org_code),
             "household": _household_ref(request, body.household_no),
             "relationship": body.relationship}
    if kind == EventType.MOVE_WITHIN:
        return services.record_move_within(person, **place, **common)
    return services.record_move_in(person, origin=body.origin, **place, **common)


@router.post("/persons/{person_id}/events", auth=writing(Capability.EDIT_REGISTER),
             response={201: EventOut, **WRITE_ERRORS}, summary="Record a life event",
             description="Death, marriage, divorce, move out, move within the county or move "
                         "in, chosen by `event_type`, with the same rules as the forms. A "
                         "refusal answers 422 with the reason for each field. Token only.")
def record_event(request: HttpRequest, body: EventIn = EVENT_BODY,
                 person_id: int = PERSON_ID) -> Status:
    person = _visible_person(request, person_id)
    event = _record(request, person, body)
    event = LifeEvent.objects.select_related("org").get(pk=event.pk)
    return Status(201, _event_out(event))


@router.post("/events/{event_id}/corrections", auth=writing(Capability.EDIT_REGISTER),
             response={201: EventOut, **WRITE_ERRORS}, summary="Correct an event (更正)",
             description="`void` records that the event did not happen; `replace` corrects its "
                         "date or unit. The correction is a new event that supersedes the one "
                         "named (which may itself be a correction: the correction starts from "
                         "the event as it stands). The same rules as the correction form; a "
                         "refusal answers 422 with the reason for each field. Token only.")
def correct_event(request: HttpRequest, body: CorrectionIn = EVENT_BODY,
                  event_id: int = EVENT_ID) -> Status:
    event = get_object_or_404(LifeEvent.objects.visible_to(request.auth)
                              .select_related("person", "org"), pk=event_id)
    if body.action == "void":
        correction = services.void_event(event, reason=body.reason, user=request.auth,
                                         via="api")
    else:
        org = _org_ref(request, body.org_code) if body.org_code else None
        correction = services.correct_event(event, reason=body.reason,
                                            event_date=body.event_date, org=org,
                                            user=request.auth, via="api")
    correction = LifeEvent.objects.select_related("org").get(pk=correction.pk)
    return Status(201, _event_out(correction))


@router.post("/births", auth=writing(Capability.EDIT_REGISTER), response={201: PersonItem, **WRITE_ERRORS},
             summary="Register a birth (生育登记)",
             description="Records a birth and creates the child's record: a free service that "
                         "records a fact, never an approval. The mother (and the father, if "
                         "given) must be in the caller's subtree. Token only.")
def record_birth(request: HttpRequest, body: BirthIn) -> Status:
    mother = _person_ref(request, body.mother_id, "mother_id")
    father = _person_ref(request, body.father_id, "father_id")
    child = services.record_birth(
        mother=mother, father=father, name=body.name, sex=body.sex, birth_date=body.birth_date,
        id_number=body.id_number or None, user=request.auth, via="api",
    )
    child = Person.objects.select_related("registered_org", "household").get(pk=child.pk)
    return Status(201, _person_item(child))
