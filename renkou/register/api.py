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
from ninja import Body, Field, Path, Query, Router, Schema, Status

from renkou.accounts.permissions import Capability
from renkou.core import audit
from renkou.core.api import (
    MAX_ID,
    MAX_PAGE,
    NO_NUL,
    READ_ERRORS,
    WRITE_ERRORS,
    described,
    paginate,
    reading,
    writing,
)
from renkou.core.api import lazy_str as _
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
PersonRef = Annotated[int, Field(ge=1, le=MAX_ID, description=_("a person_id"))]
DivisionCode = Annotated[str, Field(pattern=r"^[0-9]{1,15}$",
                                    description=_("a division code (统计用区划代码)"))]
HouseholdNo = Annotated[str, Field(max_length=24, pattern=NO_NUL)]
#: An ID number as typed: the services say what is wrong with it, in the caller's language.
IdNumber = Annotated[str, Field(max_length=18, pattern=r"^[0-9]{0,17}[0-9Xx]?$")]
Name = Annotated[str, Field(max_length=50, pattern=NO_NUL)]
Note = Annotated[str, Field(max_length=200, pattern=NO_NUL)]


# ---------------------------------------------------------------- output schemas

class PersonItem(Schema):
    model_config = described(_("A person in a list, ID number masked."))

    person_id: int = Field(description=_("the person's number in the register (person_id)"))
    name: str = Field(description=_("the person's name"))
    sex: Sex = Field(description=_("sex: M male, F female"))
    birth_year: int = Field(description=_("the year of birth only: the masked ID's hidden "
                                          "digits are the birth date"))
    id_number: str = Field(description=_("the ID number (公民身份号码), masked: first 6 and last "
                                         "4 characters"))
    org_code: str = Field(description=_("division code of the registered org unit (户籍地)"))
    household_no: str | None = Field(description=_("the household number (null: in no "
                                                    "household)"))
    status: PersonStatus = Field(description=_("resident, moved out or dead"))


class PersonDetail(PersonItem):
    model_config = described(_("A person's full record (this read is logged)."))

    id_number: str = Field(description=_("the ID number (公民身份号码) in full (this read is "
                                         "logged)"))
    birth_date: dt.date = Field(description=_("the date of birth"))
    ethnicity: str = Field(description=_("ethnicity, a GB 3304 code"))
    ethnicity_name: str = Field(description=_("ethnicity by name (民族), e.g. 汉族"))
    hukou_type: HukouType = Field(description=_("the type of household registration (户口性质)"))
    org_name: str = Field(description=_("name of the registered org unit"))
    current_org_code: str | None = Field(description=_("division code of where the person "
                                                       "lives, if elsewhere (人户分离)"))
    household_id: int | None = Field(description=_("the household's number in the register "
                                                   "(null: in no household)"))
    relationship: str = Field(description=_("relationship to the household head"))
    marital_status: MaritalStatus = Field(description=_("marital status"))
    education: str = Field(description=_("education (a code; empty: not recorded)"))
    mother_id: int | None = Field(description=_("person_id of the mother (null: not linked)"))
    father_id: int | None = Field(description=_("person_id of the father (null: not linked)"))
    birth_order: int | None = Field(description=_("birth order among the mother's children "
                                                  "(null: not known)"))


class PersonPage(Schema):
    model_config = described(_("One page of persons."))

    count: int = Field(description=_("persons found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[PersonItem] = Field(description=_("the persons of this page"))


class EventOut(Schema):
    model_config = described(_("One life event of the ledger (活台帐)."))

    event_id: int = Field(description=_("the event's number"))
    person_id: int = Field(description=_("person_id of the person it happened to"))
    event_type: EventType = Field(description=_("the kind of life event"))
    event_date: dt.date = Field(description=_("when it happened"))
    recorded_at: dt.datetime = Field(description=_("when it was recorded"))
    recorded_via: str = Field(description=_("how it was recorded: web, api, import or cli"))
    org_code: str = Field(description=_("division code of the unit where it was recorded"))
    payload: dict[str, Any] = Field(description=_("the event's own facts, e.g. the spouse or "
                                                  "the destination of a move"))
    supersedes_event_id: int | None = Field(description=_("for a correction: the event it "
                                                          "corrects"))
    superseded_by_event_id: int | None = Field(description=_("set when a correction replaced "
                                                             "it"))


class EventPage(Schema):
    model_config = described(_("One page of life events, by event date."))

    count: int = Field(description=_("events found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[EventOut] = Field(description=_("the events of this page"))


class HouseholdItem(Schema):
    model_config = described(_("A household (户) in a list."))

    household_id: int = Field(description=_("the household's number in the register"))
    household_no: str = Field(description=_("the household number (户号)"))
    address: str = Field(description=_("the household's address"))
    org_code: str = Field(description=_("division code of the household's org unit"))
    head_person_id: int | None = Field(description=_("person_id of the household head (null: "
                                                     "none recorded)"))
    members: int = Field(description=_("number of members"))


class HouseholdDetail(HouseholdItem):
    model_config = described(_("A household with its members (this read is logged)."))

    member_list: list[PersonItem] = Field(description=_("today's members, ID numbers masked"))


class HouseholdPage(Schema):
    model_config = described(_("One page of households, by household number."))

    count: int = Field(description=_("households found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[HouseholdItem] = Field(description=_("the households of this page"))


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


PAGE = Query(1, ge=1, le=MAX_PAGE, description=_("page number, from 1"))
PAGE_SIZE = Query(50, ge=1, le=500, description=_("rows per page, at most 500"))
PERSON_ID = Path(..., ge=1, le=MAX_ID, description=_("the person's person_id"), examples=[1])
EVENT_ID = Path(..., ge=1, le=MAX_ID, description=_("the event's event_id"), examples=[1])
HOUSEHOLD_ID = Path(..., ge=1, le=MAX_ID, description=_("the household's household_id"),
                    examples=[1])
DATE_FROM = Query(None, alias="from", description=_("events on or after this date (YYYY-MM-DD)"))
DATE_TO = Query(None, alias="to", description=_("events on or before this date (YYYY-MM-DD)"))
STATUS = Query(None, description=_("only persons with this status"))
EVENT_TYPE = Query(None, description=_("only events of this kind"))
EVENT_BODY = Body(..., description=_("the event, by its event_type"))
CORRECTION_BODY = Body(..., description=_("the correction, by its action"))


@router.get("/persons", auth=reading(Capability.VIEW_REGISTER),
            response={200: PersonPage, **READ_ERRORS}, summary=_("Search persons"),
            description=_("`q` searches like the search box: name, pinyin initials or full "
                          "pinyin, ID number (or its start), household number. Without `q`, "
                          "every person in the caller's subtree. ID numbers are masked."))
def list_persons(
    request: HttpRequest,
    q: str = Query("", max_length=50, pattern=NO_NUL,
                   description=_("search text: a name, pinyin, an ID number or its start, a "
                                 "household number")),
    org: str | None = Query(None, pattern=r"^[0-9]{1,15}$",
                            description=_("only persons registered in this unit's subtree (its "
                                          "division code)")),
    status: PersonStatus | None = STATUS,
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
            summary=_("One person's record"),
            description=_("The full record, with the ID number in full. Logged as a view of "
                          "the person."))
def get_person(request: HttpRequest, person_id: int = PERSON_ID) -> dict:
    person = _visible_person(request, person_id)
    audit.record(AuditAction.VIEW, "person", person.pk)
    return _person_detail(person)


@router.get("/persons/{person_id}/events", auth=reading(Capability.VIEW_REGISTER),
            response={200: list[EventOut], **READ_ERRORS},
            summary=_("One person's ledger"),
            description=_("Every life event of the person, corrections included, by event "
                          "date. Logged as a view of the person."))
def get_person_events(request: HttpRequest, person_id: int = PERSON_ID) -> list:
    person = _visible_person(request, person_id)
    audit.record(AuditAction.VIEW, "person", person.pk, details={"part": "events"})
    events = (LifeEvent.objects.filter(person=person)
              .select_related("org", "superseded_by").order_by("event_date", "pk"))
    return [_event_out(e) for e in events]


@router.get("/households", auth=reading(Capability.VIEW_REGISTER),
            response={200: HouseholdPage, **READ_ERRORS},
            summary=_("List households"),
            description=_("Households in the caller's subtree; `q` matches the start of the "
                          "household number or part of the address."))
def list_households(
    request: HttpRequest,
    q: str = Query("", max_length=50, pattern=NO_NUL,
                   description=_("the start of a household number, or part of an address")),
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
            summary=_("One household"),
            description=_("The household and its members (ID numbers masked). Logged as a view "
                          "of the household."))
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
            response={200: EventPage, **READ_ERRORS}, summary=_("The ledger"),
            description=_("Life events of persons registered in the caller's subtree, by event "
                          "date. `from` and `to` bound the event date (both included); `org` "
                          "limits to persons registered in that unit's subtree."))
def list_events(
    request: HttpRequest,
    type: EventType | None = EVENT_TYPE,
    date_from: dt.date | None = DATE_FROM,
    date_to: dt.date | None = DATE_TO,
    org: str | None = Query(None, pattern=r"^[0-9]{1,15}$",
                            description=_("only persons registered in this unit's subtree (its "
                                          "division code)")),
    person_id: int | None = Query(None, ge=1, le=MAX_ID,
                                  description=_("only this person's events (a person_id; the "
                                                "read is logged)")),
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
    event_date: Day = Field(description=_("when it happened (YYYY-MM-DD, not in the future)"))


class DeathIn(_EventIn):
    model_config = described(_("A death (死亡)."), examples=[
        {"event_type": "death", "event_date": "2024-03-01", "cause": ""}])

    event_type: Literal["death"] = Field(description=_("the kind of event: death"))
    cause: Note = Field("", description=_("the cause of death, if known"))


class MarriageIn(_EventIn):
    model_config = described(_("A marriage (结婚), recorded for both spouses."))

    event_type: Literal["marriage"] = Field(description=_("the kind of event: marriage"))
    spouse_id: PersonRef = Field(description=_("person_id of the spouse"))


class DivorceIn(_EventIn):
    model_config = described(_("A divorce (离婚)."))

    event_type: Literal["divorce"] = Field(description=_("the kind of event: divorce"))
    spouse_id: PersonRef | None = Field(None, description=_("person_id of the former spouse: "
                                                            "recorded for both when given"))


class MoveOutIn(_EventIn):
    model_config = described(_("A move out of the county (迁出)."))

    event_type: Literal["move_out"] = Field(description=_("the kind of event: move_out"))
    destination: Note = Field("", description=_("where the person moved to"))


class MoveWithinIn(_EventIn):
    model_config = described(_("A move to another unit of the county (县内迁移)."))

    event_type: Literal["move_within"] = Field(description=_("the kind of event: move_within"))
    org_code: DivisionCode = Field(description=_("division code of the unit moved to"))
    household_no: HouseholdNo | None = Field(None, description=_("the household joined there "
                                                                 "(its household number)"))
    relationship: Relationship | Literal[""] = Field("", description=_(
        "relationship to the head of the household joined"))


class MoveInIn(MoveWithinIn):
    model_config = described(_("A move into the county (迁入)."))

    event_type: Literal["move_in"] = Field(description=_("the kind of event: move_in"))
    origin: Note = Field("", description=_("where the person came from"))


EventIn = Annotated[DeathIn | MarriageIn | DivorceIn | MoveOutIn | MoveWithinIn | MoveInIn,
                    Field(discriminator="event_type")]


class BirthIn(Schema):
    model_config = described(_("A birth to register (生育登记): the child's record is created."),
                             examples=[{"mother_id": 2, "father_id": 1, "name": "张小宝",
                                        "sex": "M", "birth_date": "2024-05-01"}])

    mother_id: PersonRef = Field(description=_("person_id of the mother"))
    father_id: PersonRef | None = Field(None, description=_("person_id of the father, if "
                                                            "given"))
    name: Name = Field(description=_("the child's name"))
    sex: Sex = Field(description=_("the child's sex: M male, F female"))
    birth_date: Day = Field(description=_("the date of birth (YYYY-MM-DD)"))
    id_number: IdNumber | None = Field(None, description=_("the child's ID number, if it has "
                                                           "one already"))


class VoidIn(Schema):
    model_config = described(_("A correction: the event did not happen (作废)."),
                             examples=[{"action": "void", "reason": "登记错误，本人健在"}])

    action: Literal["void"] = Field(description=_("the kind of correction: void"))
    reason: Note = Field(..., min_length=1, description=_("why the event is wrong"))


class ReplaceIn(Schema):
    model_config = described(_("A correction of an event's date or unit (更正)."),
                             examples=[{"action": "replace", "reason": "日期登记错误",
                                        "event_date": "2024-02-27"}])

    action: Literal["replace"] = Field(description=_("the kind of correction: replace"))
    reason: Note = Field(..., min_length=1, description=_("why the event is wrong"))
    event_date: Day | None = Field(None, description=_("the corrected date (default: "
                                                       "unchanged)"))
    org_code: DivisionCode | None = Field(None, description=_("the corrected unit's division "
                                                              "code (default: unchanged)"))


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
             response={201: EventOut, **WRITE_ERRORS}, summary=_("Record a life event"),
             description=_("Death, marriage, divorce, move out, move within the county or move "
                           "in, chosen by `event_type`, with the same rules as the forms. A "
                           "refusal answers 422 with the reason for each field. Token only."))
def record_event(request: HttpRequest, body: EventIn = EVENT_BODY,
                 person_id: int = PERSON_ID) -> Status:
    person = _visible_person(request, person_id)
    event = _record(request, person, body)
    event = LifeEvent.objects.select_related("org").get(pk=event.pk)
    return Status(201, _event_out(event))


@router.post("/events/{event_id}/corrections", auth=writing(Capability.EDIT_REGISTER),
             response={201: EventOut, **WRITE_ERRORS}, summary=_("Correct an event (更正)"),
             description=_("`void` records that the event did not happen; `replace` corrects "
                           "its date or unit. The correction is a new event that supersedes the "
                           "one named (which may itself be a correction: the correction starts "
                           "from the event as it stands). The same rules as the correction "
                           "form; a refusal answers 422 with the reason for each field. Token "
                           "only."))
def correct_event(request: HttpRequest, body: CorrectionIn = CORRECTION_BODY,
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
             summary=_("Register a birth (生育登记)"),
             description=_("Records a birth and creates the child's record: a free service "
                           "that records a fact, never an approval. The mother (and the father, "
                           "if given) must be in the caller's subtree. Token only."))
def record_birth(request: HttpRequest, body: BirthIn) -> Status:
    mother = _person_ref(request, body.mother_id, "mother_id")
    father = _person_ref(request, body.father_id, "father_id")
    child = services.record_birth(
        mother=mother, father=father, name=body.name, sex=body.sex, birth_date=body.birth_date,
        id_number=body.id_number or None, user=request.auth, via="api",
    )
    child = Person.objects.select_related("registered_org", "household").get(pk=child.pk)
    return Status(201, _person_item(child))
