"""JSON API of the migrant application (mounted at ``/api/migrants``): current migrants,
registering arrivals and departures, the exchange messages (requests, answers,
rejections), and — in their own modules — the exchange endpoint for peer offices
(:mod:`~renkou.migrants.exchange_api`) and the rates (:mod:`~renkou.migrants.rates_api`).
The same rules and scoping as the pages: the caller's subtree, 403 outside its role,
ID numbers masked in lists."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status

from renkou.core import clock
from renkou.core.api import (
    MAX_PAGE,
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRequest,
    described,
    paginate,
    reading,
    writing,
)
from renkou.core.api import lazy_str as _
from renkou.orgunits.models import OrgUnit
from renkou.register.models import Person

from . import exchange_api, rates_api, services
from .listing import current_spells, list_rows
from .models import Box, Message, MessageState, MessageType
from .permissions import EXCHANGE_MIGRANTS, REGISTER_MIGRANTS

router = Router()
router.add_router("/exchange", exchange_api.router)
router.add_router("/rates", rates_api.router)

EARLIEST = dt.date(1850, 1, 1)
CODE = r"^\d{6}(\d{3}){0,2}$"
PAGE = Query(1, ge=1, le=MAX_PAGE, description=_("page number, from 1"))
PAGE_SIZE = Query(50, ge=1, le=500, description=_("rows per page, at most 500"))
MESSAGE_ID = Path(..., description=_("the message's message_id (UUID)"))
BOX = Query(None, description=_("in or out"))
STATE = Query(None, description=_("only this state"))
TYPE = Query(None, description=_("only this type"))
OVERDUE = Query(False, description=_("only overdue requests"))
Reason = Literal["work", "study", "family", "other"]


class SpellOut(Schema):
    model_config = described(_("One current migrant: the person and the three places."))

    person_id: int = Field(description=_("the person's person_id"))
    name: str = Field(description=_("name"))
    id_number: str = Field(description=_("ID number, masked"))
    sex: str = Field(description=_("sex"))
    birth_year: int = Field(description=_("birth year"))
    hukou: str = Field(description=_("hukou place (户籍地): division code and name"))
    residence: str = Field(description=_("residence (居住地): unit here, or code and address"))
    manager: str = Field(description=_("managing unit (管理地)"))
    since: str = Field(description=_("since (arrival here, or departure from here)"))
    reason: str = Field(description=_("reason for moving"))
    last_message: str = Field(description=_("the latest exchange message about this spell"))
    last_message_state: str = Field(description=_("its state"))
    overdue: str = Field(description=_("whether a request about it is overdue"))


class SpellPage(Schema):
    model_config = described(_("One page of current migrants."))

    count: int = Field(description=_("migrants found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[SpellOut] = Field(description=_("the migrants of this page"))


class Registered(Schema):
    model_config = described(_("A migrant spell as registered."))

    spell_id: int = Field(description=_("the spell's number"))
    person_id: int = Field(description=_("the person's person_id"))
    direction: str = Field(description=_("in (inflow) or out (outflow)"))
    start_date: dt.date = Field(description=_("since"))
    end_date: dt.date | None = Field(description=_("until (a spell that ended)"))


class ArrivalIn(Schema):
    model_config = described(_("An arrival (流入登记): a person registered elsewhere who now lives "
                               "here."))

    id_number: str = Field(min_length=15, max_length=18, description=_("ID number"))
    name: str = Field("", max_length=50, description=_("name (needed when the person is not in "
                                                       "the register)"))
    sex: Literal["M", "F", ""] = Field("", description=_("sex: M or F (as for the name)"))
    birth_date: dt.date | None = Field(None, ge=EARLIEST, description=_("birth date (as for the "
                                                                        "name)"))
    hukou_code: str = Field(pattern=CODE, description=_("division code of the hukou place"))
    residence_org_code: str = Field(pattern=r"^\d{12}$",
                                    description=_("the village or community lived in"))
    arrival_date: dt.date = Field(ge=EARLIEST, description=_("arrival date"))
    reason: Reason = Field("work", description=_("reason for moving"))
    phone: str = Field("", max_length=20, description=_("phone"))


class DepartureIn(Schema):
    model_config = described(_("A departure (流出登记): a resident of the caller's units leaves "
                               "to live elsewhere."))

    person_id: int = Field(ge=1, description=_("the person's person_id"))
    departure_date: dt.date = Field(ge=EARLIEST, description=_("departure date"))
    residence_code: str = Field("", pattern=r"^(\d{6}(\d{3}){0,2})?$",
                                description=_("division code of the destination"))
    residence_address: str = Field("", max_length=200, description=_("address of the destination"))
    reason: Reason = Field("work", description=_("reason for moving"))
    phone: str = Field("", max_length=20, description=_("phone"))


class MessageOut(Schema):
    model_config = described(_("One exchange message with its envelope and state."))

    message_id: uuid.UUID = Field(description=_("message ID"))
    correlation_id: uuid.UUID | None = Field(description=_("the message it answers"))
    box: str = Field(description=_("out: sent by this office; in: received"))
    sender: str = Field(description=_("sender (division code)"))
    receiver: str = Field(description=_("receiver (division code)"))
    type: str = Field(description=_("message type"))
    urgency: str = Field(description=_("urgent (15 days) or ordinary (30 days)"))
    state: str = Field(description=_("draft, sent, received, answered, rejected or closed"))
    overdue: bool = Field(description=_("an open request past its deadline (computed)"))
    sent_at: dt.datetime | None = Field(description=_("sent at"))
    deadline: dt.date | None = Field(description=_("answer due by"))
    reason: str = Field(description=_("the reason of a rejection"))
    person_id: int | None = Field(description=_("the person concerned here, when found"))


class MessagePage(Schema):
    model_config = described(_("One page of exchange messages, newest first."))

    count: int = Field(description=_("messages found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[MessageOut] = Field(description=_("the messages of this page"))


class RequestIn(Schema):
    model_config = described(_("A verification request (协查) to another office."))

    person_id: int = Field(ge=1, description=_("the person's person_id"))
    to: str = Field(pattern=CODE, description=_("the office asked (division code)"))
    subject: Literal["identity", "residence", "household", "life"] = Field(
        description=_("what is to be verified"))
    urgency: Literal["urgent", "ordinary"] = Field("ordinary", description=_("urgency"))
    question: str = Field("", max_length=500, description=_("the question"))


class AnswerIn(Schema):
    model_config = described(_("The answer to a verification request received."))

    result: str = Field(min_length=1, max_length=500, description=_("the answer"))
    found: bool = Field(True, description=_("whether the person was found here"))
    alive: bool | None = Field(None, description=_("for subject life: alive today"))


class RejectIn(Schema):
    model_config = described(_("The rejection of a message received, with its reason."))

    reason: str = Field(min_length=1, max_length=300, description=_("the reason"))


def _message_out(m: Message) -> dict:
    today = clock.today()
    overdue = (m.type == MessageType.VERIFICATION_REQUEST and m.deadline is not None
               and m.state in (MessageState.SENT, MessageState.RECEIVED) and m.deadline < today)
    return {"message_id": m.message_id, "correlation_id": m.correlation_id, "box": m.box,
            "sender": m.sender, "receiver": m.receiver, "type": m.type, "urgency": m.urgency,
            "state": m.state, "overdue": overdue, "sent_at": m.sent_at, "deadline": m.deadline,
            "reason": m.reason, "person_id": m.person_id}


def _registered(spell) -> dict:
    return {"spell_id": spell.pk, "person_id": spell.person_id, "direction": spell.direction,
            "start_date": spell.start_date, "end_date": spell.end_date}


@router.get("/spells", auth=reading(REGISTER_MIGRANTS), response={200: SpellPage, **READ_ERRORS},
            summary=_("Current migrants"),
            description=_("One row per current spell of the caller's subtree, by direction: "
                          "the person (ID number masked), the three places, since when, and "
                          "the state of its latest message."))
def list_spells(request: ApiRequest,
                direction: Literal["in", "out"] = Query(..., description=_("in or out")),
                org: str | None = Query(None, pattern=r"^[0-9]{6,12}$",
                                        description=_("only this unit's subtree")),
                page: int = PAGE, page_size: int = PAGE_SIZE) -> dict:
    spells = current_spells(request.auth, direction, org)
    result = paginate(spells, page, page_size)
    result["items"] = list(list_rows(result["items"]))
    return result


@router.post("/arrivals", auth=writing(REGISTER_MIGRANTS), response={201: Registered, **WRITE_ERRORS},
             summary=_("Register an arrival (流入登记)"),
             description=_("A person registered elsewhere comes to live in a village or "
                           "community of the caller's subtree: enrolled when not in the "
                           "register; an arrival notice to the hukou place goes out with the "
                           "next batch. A refusal answers 422 with the reason for each field. "
                           "Token only."))
def register_arrival(request: ApiRequest, body: ArrivalIn) -> Status:
    unit = get_object_or_404(OrgUnit.objects.visible_to(request.auth), code=body.residence_org_code)
    spell = services.register_arrival(
        hukou_code=body.hukou_code, residence_org=unit, arrival_date=body.arrival_date,
        reason=body.reason, phone=body.phone, id_number=body.id_number, name=body.name,
        sex=body.sex, birth_date=body.birth_date, user=request.auth, via="api")
    return Status(201, _registered(spell))


@router.post("/departures", auth=writing(REGISTER_MIGRANTS),
             response={201: Registered, **WRITE_ERRORS}, summary=_("Register a departure (流出登记)"),
             description=_("A resident of the caller's subtree leaves to live elsewhere: a "
                           "person registered here stays registered, marked as living "
                           "elsewhere; an inflow migrant moves out. Token only."))
def register_departure(request: ApiRequest, body: DepartureIn) -> Status:
    person = get_object_or_404(Person.objects.visible_to(request.auth), pk=body.person_id)
    spell = services.register_departure(
        person, departure_date=body.departure_date, destination_code=body.residence_code,
        destination_address=body.residence_address, reason=body.reason, phone=body.phone,
        user=request.auth, via="api")
    return Status(201, _registered(spell))


@router.get("/messages", auth=reading(EXCHANGE_MIGRANTS), response={200: MessagePage, **READ_ERRORS},
            summary=_("Exchange messages"),
            description=_("Messages sent and received about the caller's subtree, newest first; "
                          "`overdue` keeps the open requests past their deadline."))
def list_messages(request: ApiRequest,
                  box: Literal["in", "out"] | None = BOX,
                  state: MessageState | None = STATE,
                  type: MessageType | None = TYPE,
                  overdue: bool = OVERDUE,
                  page: int = PAGE, page_size: int = PAGE_SIZE) -> dict:
    messages = Message.objects.visible_to(request.auth)
    if box:
        messages = messages.filter(box=box)
    if state:
        messages = messages.filter(state=state)
    if type:
        messages = messages.filter(type=type)
    if overdue:
        messages = messages.overdue(clock.today())
    return paginate(messages.order_by("-created_at", "-id"), page, page_size, _message_out)


@router.post("/requests", auth=writing(EXCHANGE_MIGRANTS), response={201: MessageOut, **WRITE_ERRORS},
             summary=_("Write a verification request (协查)"),
             description=_("To another office about a person of the caller's subtree; it goes "
                           "out with the next batch. Token only."))
def write_request(request: ApiRequest, body: RequestIn) -> Status:
    person = get_object_or_404(Person.objects.visible_to(request.auth), pk=body.person_id)
    message = services.request_verification(person=person, to=body.to, subject=body.subject,
                                            urgency=body.urgency, question=body.question,
                                            user=request.auth)
    return Status(201, _message_out(message))


def _received(request: ApiRequest, message_id: uuid.UUID) -> Message:
    return get_object_or_404(Message.objects.visible_to(request.auth), box=Box.INCOMING,
                             message_id=message_id)


@router.post("/messages/{message_id}/answer", auth=writing(EXCHANGE_MIGRANTS),
             response={201: MessageOut, **WRITE_ERRORS}, summary=_("Answer a request received"),
             description=_("The answer goes back to the requester with the next batch; the "
                           "request is answered. Token only."))
def answer(request: ApiRequest, body: AnswerIn, message_id: uuid.UUID = MESSAGE_ID) -> Status:
    reply = services.answer_request(_received(request, message_id), result=body.result,
                                    found=body.found, alive=body.alive, user=request.auth)
    return Status(201, _message_out(reply))


@router.post("/messages/{message_id}/reject", auth=writing(EXCHANGE_MIGRANTS),
             response={200: MessageOut, **WRITE_ERRORS}, summary=_("Reject a message received"),
             description=_("With the reason; the sender is told in a receipt with the next "
                           "batch. Token only."))
def reject(request: ApiRequest, body: RejectIn, message_id: uuid.UUID = MESSAGE_ID) -> dict:
    return _message_out(services.reject_message(_received(request, message_id),
                                                reason=body.reason, user=request.auth))


@router.post("/messages/{message_id}/close", auth=writing(EXCHANGE_MIGRANTS),
             response={200: MessageOut, **WRITE_ERRORS}, summary=_("Close a message"),
             description=_("Its business is done (an answer read, a notice dealt with). Token "
                           "only."))
def close(request: ApiRequest, message_id: uuid.UUID = MESSAGE_ID) -> dict:
    message = get_object_or_404(Message.objects.visible_to(request.auth), message_id=message_id)
    return _message_out(services.close_message(message, user=request.auth))
