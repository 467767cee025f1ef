"""The exchange message: its envelope and the payload of each type, checked by schema.

The envelope follows the spirit of the DCI (Digital Convergence Initiative) registry API:
``message_id`` (UUID), ``correlation_id`` (the request it answers), ``sender`` and
``receiver`` (12-digit division codes), ``type``, ``urgency``, ``sent_at``, ``deadline``,
``payload`` and ``signature``. Payloads are checked with pydantic models that refuse any
field they do not name.

Scope (DESIGN.md §2): renkou exchanges facts needed for registration and equal public
services, for everyone. Message types or fields that carry or request reproductive status,
contraception checks, procedures, fines or a 婚育证明 as a condition are refused with a
message citing that section (:func:`refused_scope`), whoever sends them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as SchemaError
from pydantic_core import ErrorDetails

from .models import MessageType

__all__ = ["FORMAT", "PAYLOADS", "ENVELOPE_FIELDS", "refused_scope", "check_payload",
           "envelope_of", "canonical_bytes", "normalise_code"]

#: The batch format's name and version, written in every batch.
FORMAT = "renkou-migrant-exchange/1"

#: The envelope's fields, in the order they are signed.
ENVELOPE_FIELDS = ("message_id", "correlation_id", "sender", "receiver", "type", "urgency",
                   "sent_at", "deadline", "payload")

#: Message types of the legacy platform that renkou refuses (DESIGN.md §2): they carry or
#: request reproductive status, checks, procedures or fines.
OUT_OF_SCOPE_TYPES = frozenset({
    "pregnancy_notice", "pregnancy_check", "pregnancy_status", "contraception_check",
    "contraceptive_status", "contraception_notice", "iud_check", "procedure_notice",
    "procedure_record", "sterilization_notice", "abortion_notice", "fine_notice",
    "fine_record", "social_maintenance_fee", "marriage_birth_certificate",
    "birth_permit", "birth_approval", "policy_compliance", "out_of_plan_birth",
    "three_checks", "women_check_list",
})
#: Words that, in a type or a payload field's name, mark it as out of scope.
OUT_OF_SCOPE_WORDS = re.compile(
    r"pregnan|contracep|(?:^|_)iud|steril|abortion|procedure|ligation|(?:^|_)fines?(?:_|$)|"
    r"maintenance_fee|"
    r"marriage_birth|婚育|孕|环情|上环|避孕|节育|引产|流产|结扎|社会抚养费|罚款|计划外|政策外",
    re.IGNORECASE)


def scope_message(what: str) -> str:
    return _("%(what)s is refused: renkou does not exchange reproductive status, contraception "
             "or pregnancy checks, procedures, fines or 婚育证明 as a condition "
             "(DESIGN.md §2: scope)") % {"what": what}


def refused_scope(message_type: str, payload: Any = None) -> str | None:
    """The reason a message type (or a field of its payload) is out of scope, or ``None``."""
    if message_type in OUT_OF_SCOPE_TYPES or OUT_OF_SCOPE_WORDS.search(message_type or ""):
        return scope_message(_("the message type “%(type)s”") % {"type": message_type})
    for key in _keys(payload):
        if OUT_OF_SCOPE_WORDS.search(key):
            return scope_message(_("the field “%(field)s”") % {"field": key})
    return None


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value] + [k for v in value.values() for k in _keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


DivisionCode = Field(pattern=r"^\d{6}(\d{3}){0,2}$")


class PersonFacts(_Strict):
    """Who the message is about: enough to find the person in the receiver's register."""

    id_number: str | None = Field(default=None, max_length=18)
    name: str = Field(min_length=1, max_length=50)
    sex: Literal["M", "F"]
    birth_date: dt.date


class Place(_Strict):
    #: optional (an address alone will do); a payload as kept drops a ``None`` code, so
    #: the receiver's check of it must not require one
    code: str | None = Field(default=None, pattern=r"^\d{6}(\d{3}){0,2}$")
    name: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=200)


class ArrivalNotice(_Strict):
    """流入通报: someone registered at the receiver now lives at the sender's."""

    person: PersonFacts
    hukou_code: str = DivisionCode
    residence: Place
    arrival_date: dt.date
    reason: Literal["work", "study", "family", "other"]


class DepartureNotice(_Strict):
    """流出通报: someone left the sender's area (registered there, or living there) for
    the receiver's."""

    person: PersonFacts
    hukou_code: str = DivisionCode
    departure_date: dt.date
    destination: Place
    reason: Literal["work", "study", "family", "other"]


class BirthNotice(_Strict):
    """出生通报: a child was born at the sender's to a mother registered at the receiver's."""

    child: PersonFacts
    mother: PersonFacts
    father: PersonFacts | None = None
    birth_place: Place


class DeathNotice(_Strict):
    """死亡通报: someone registered at the receiver's died at the sender's."""

    person: PersonFacts
    death_date: dt.date
    death_place: Place


class VerificationRequest(_Strict):
    """协查请求: confirm a fact the sender needs for registration or a service."""

    person: PersonFacts
    subject: Literal["identity", "residence", "household", "life"]
    question: str = Field(default="", max_length=500)


class VerificationAnswer(_Strict):
    """协查反馈: the answer to a request (``correlation_id`` names it)."""

    found: bool
    result: str = Field(min_length=1, max_length=500)
    #: for subject "life": whether the person is alive on ``as_of``
    alive: bool | None = None
    as_of: dt.date | None = None
    residence: Place | None = None
    household_no: str | None = Field(default=None, max_length=24)


class ServiceReferral(_Strict):
    """服务转介: the person may use the named services at the receiver's (equal services)."""

    person: PersonFacts
    services: list[str] = Field(min_length=1, max_length=10)
    note: str = Field(default="", max_length=500)


class FieldChange(_Strict):
    old: str | None = None
    new: str | None = None


class CorrectionNotice(_Strict):
    """更正通知: a fact sent earlier (``correlation_id`` names the message) was wrong."""

    person: PersonFacts
    changes: dict[Literal["id_number", "name", "sex", "birth_date", "hukou_code",
                          "residence", "arrival_date", "departure_date", "death_date"],
                  FieldChange]
    reason: str = Field(min_length=1, max_length=300)


PAYLOADS: dict[str, type[_Strict]] = {
    MessageType.ARRIVAL_NOTICE: ArrivalNotice,
    MessageType.DEPARTURE_NOTICE: DepartureNotice,
    MessageType.BIRTH_NOTICE: BirthNotice,
    MessageType.DEATH_NOTICE: DeathNotice,
    MessageType.VERIFICATION_REQUEST: VerificationRequest,
    MessageType.VERIFICATION_ANSWER: VerificationAnswer,
    MessageType.SERVICE_REFERRAL: ServiceReferral,
    MessageType.CORRECTION_NOTICE: CorrectionNotice,
}


def check_payload(message_type: str, payload: Any) -> dict[str, Any]:
    """The payload as kept (JSON types), or :class:`ValidationError` naming the field and
    the reason; out-of-scope types and fields are refused first (DESIGN.md §2)."""
    refusal = refused_scope(message_type, payload)
    if refusal:
        raise ValidationError({"type": refusal})
    schema = PAYLOADS.get(message_type)
    if schema is None:
        raise ValidationError({"type": _("unknown message type “%(type)s”") % {"type": message_type}})
    try:
        checked = schema.model_validate(payload)
    except SchemaError as exc:
        errors = {}
        for error in exc.errors():
            field = "payload." + ".".join(str(p) for p in error["loc"])
            errors[field] = _schema_reason(error)
        raise ValidationError(errors) from None
    return checked.model_dump(mode="json", exclude_none=True)


def _schema_reason(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return _("required")
    if kind == "extra_forbidden":
        return _("not a field of this message type")
    if kind in ("literal_error", "enum"):
        return _("not one of the allowed values")
    if kind.startswith("date"):
        return _("not a date (YYYY-MM-DD)")
    if kind == "string_pattern_mismatch":
        return _("not a division code (6, 9 or 12 digits)")
    if kind in ("string_too_long", "too_long"):
        return _("too long")
    if kind in ("string_too_short", "too_short"):
        return _("empty")
    return _("invalid value")


def normalise_code(code: str) -> str:
    """A division code of 6, 9 or 12 digits, as the 12 digits of the unit (zeros added)."""
    code = (code or "").strip()
    if not re.fullmatch(r"\d{6}(\d{3}){0,2}", code):
        raise ValidationError({"code": _("“%(code)s” is not a division code (6, 9 or 12 digits)")
                               % {"code": code}})
    return code.ljust(12, "0")


def envelope_of(message) -> dict[str, Any]:
    """The envelope of a :class:`~renkou.migrants.models.Message` as exchanged (JSON types),
    without its signature."""
    return {
        "message_id": str(message.message_id),
        "correlation_id": str(message.correlation_id) if message.correlation_id else None,
        "sender": message.sender,
        "receiver": message.receiver,
        "type": message.type,
        "urgency": message.urgency,
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "deadline": message.deadline.isoformat() if message.deadline else None,
        "payload": message.payload,
    }


def canonical_bytes(value: Any) -> bytes:
    """The bytes that are signed: JSON with sorted keys, no spaces, UTF-8 (a stable form
    both sides compute alike)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
