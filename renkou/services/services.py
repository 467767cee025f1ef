"""The service records' rules: consents, requests, encounters, follow-ups, and who reads them.

Pages, the API, the CLI and the demo call these. Every change runs in one transaction
with its log entry and locks what its rule reads before checking it (a withdrawal and an
encounter on the same consent cannot both pass: the encounter locks the consent it rests
on, then checks it is active, then writes). Refusals are ``ValidationError`` keyed by the
field (``consent`` when there is no active consent), in the interface language.

Who reads what (DESIGN.md §1): health workers read the records of their subtree
(:meth:`~renkou.services.models.ServiceScopedQuerySet.visible_to`); a record kept by
another unit is shown when the person agreed to share it with this office, else only
after the health worker writes a reason — a break-the-glass read, logged and shown to
auditors (:func:`service_record`). The offices see that a service was received, never a
result (:func:`services_received`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.scoping import in_subtree, user_org_path
from renkou.orgunits.models import OrgUnit
from renkou.register.models import Person

from .catalogue import Item, Service, out_of_scope_reason, service, services
from .models import (
    PER_SERVICE,
    Consent,
    ConsentMethod,
    Encounter,
    FollowUp,
    FollowUpState,
    PlaceKind,
    Purpose,
    RequestState,
    ServiceRequest,
    active_q,
)
from .permissions import RECORD_SERVICES

__all__ = ["BREAK_GLASS", "give_consent", "withdraw_consent", "active_consent",
           "request_service", "close_request", "record_encounter", "close_follow_up",
           "follow_up_list", "ServiceRecord", "service_record", "services_received",
           "check_values", "display_values", "check_unit"]

#: ``details["access"]`` of a log entry that read another unit's record without a sharing
#: consent (a break-the-glass read, 紧急调阅); the auditors' page lists them.
BREAK_GLASS = "break_glass"
#: The shortest reason a break-the-glass read accepts.
MIN_REASON = 4


def _today() -> dt.date:
    return clock.today()


def _refuse(field_name: str, message: str) -> ValidationError:
    return ValidationError({field_name: [message]})


def _service(code: str) -> Service:
    try:
        return service(code)
    except KeyError:
        raise _refuse("service", _("there is no service %(code)s in the catalogue")
                      % {"code": code}) from None


def check_unit(user, org: OrgUnit) -> None:
    """Refuse a unit outside the user's subtree (a record is kept where it was given)."""
    path = user_org_path(user)
    if path is not None and (path == "" or not in_subtree(org.path, path)):
        raise _refuse("org", _("the unit %(unit)s is outside your units") % {"unit": org.name})


# ------------------------------------------------------------------------- consents

@transaction.atomic
def give_consent(person: Person, *, purpose: str, given_on: dt.date, method: str,
                 information_version: str = "", service_code: str = "", witness: str = "",
                 expires_on: dt.date | None = None, share_with: OrgUnit | None = None,
                 org: OrgUnit, user, via: str = "form") -> Consent:
    """Record a consent the person gave (FHIR Consent): for one service (receiving it,
    follow-up) or for every service (sharing, statistics) when ``service_code`` is ""."""
    check_unit(user, org)
    if purpose not in Purpose.values:
        raise _refuse("purpose", _("the purpose must be one of %(values)s")
                      % {"values": ", ".join(Purpose.values)})
    if purpose in PER_SERVICE and not service_code:
        raise _refuse("service_code", _("a consent to receive a service or to be followed up "
                                        "names the service"))
    chosen = _service(service_code) if service_code else None
    if method not in ConsentMethod.values:
        raise _refuse("method", _("the method must be one of %(values)s")
                      % {"values": ", ".join(ConsentMethod.values)})
    if method == ConsentMethod.VERBAL and not witness.strip():
        raise _refuse("witness", _("a verbal consent needs the name of its witness"))
    today = _today()
    if given_on > today:
        raise _refuse("given_on", _("a consent cannot be given on a later day than today"))
    if expires_on is not None and expires_on <= given_on:
        raise _refuse("expires_on", _("the expiry must be after the day the consent was given"))
    version = information_version.strip() or (chosen.information_version if chosen else "")
    if not version:
        raise _refuse("information_version", _("name the information the person was given "
                                                "(the form and its version)"))
    if share_with is not None and purpose != Purpose.SHARE:
        raise _refuse("share_with", _("only a consent to share names an office"))
    Person.objects.select_for_update().filter(pk=person.pk).first()
    consent = Consent.objects.create(
        person=person, purpose=purpose, service_code=service_code, share_with=share_with,
        given_on=given_on, method=method, witness=witness.strip(), information_version=version,
        expires_on=expires_on, org=org, recorded_at=clock.now(), recorded_by=_user(user),
        recorded_via=via)
    audit.record(AuditAction.CREATE, "service_consent", consent.pk,
                 details={"person_id": person.pk, "purpose": purpose, "service": service_code})
    return consent


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def withdraw_consent(consent: Consent, *, user, note: str = "", via: str = "form") -> Consent:
    """Withdraw a consent today (the person may at any time). Withdrawing a follow-up
    consent cancels the person's follow-ups it covered, in every unit, at once."""
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    today = _today()
    if locked.withdrawn_on is not None:
        raise _refuse("consent", _("this consent was already withdrawn on %(day)s")
                      % {"day": locked.withdrawn_on.isoformat()})
    locked.withdrawn_on = max(today, locked.given_on)
    locked.withdrawal_note = note.strip()[:200]
    locked.withdrawn_by = _user(user)
    locked.save(update_fields=["withdrawn_on", "withdrawal_note", "withdrawn_by"])
    cancelled = 0
    if locked.purpose == Purpose.FOLLOW_UP:
        still_covered = (Consent.objects.filter(person=locked.person_id).exclude(pk=locked.pk)
                         .covering(Purpose.FOLLOW_UP, OuterRef("service_code")).filter(active_q(today)))
        due = FollowUp.objects.filter(person=locked.person_id, state=FollowUpState.DUE)
        if locked.service_code:
            due = due.filter(service_code=locked.service_code)
        cancelled = (due.filter(~Exists(still_covered))
                     .update(state=FollowUpState.CANCELLED, closed_on=today))
    audit.record(AuditAction.CHANGE, "service_consent", locked.pk,
                 details={"person_id": locked.person_id, "withdrawn": today.isoformat(),
                          "purpose": locked.purpose, "follow_ups_cancelled": cancelled,
                          "via": via})
    return locked


def active_consent(person: Person | int, purpose: str, service_code: str,
                   on: dt.date | None = None, *, lock: bool = False) -> Consent | None:
    """The person's active consent for ``purpose`` covering the service on ``on`` (any
    unit recorded it: a consent is the person's), the latest given; locked with ``lock``."""
    rows = (Consent.objects.filter(person=person).covering(purpose, service_code)
            .filter(active_q(on or _today())).order_by("-given_on", "-id"))
    if lock:
        rows = rows.select_for_update()
    return rows.first()


# ------------------------------------------------------------------------- requests

@transaction.atomic
def request_service(person: Person, *, service_code: str, requested_on: dt.date,
                    org: OrgUnit, user, note: str = "") -> ServiceRequest:
    """Record that the person asked for a service (the figures' coverage counts these)."""
    check_unit(user, org)
    _service(service_code)
    if requested_on > _today():
        raise _refuse("requested_on", _("a request cannot be dated after today"))
    row = ServiceRequest.objects.create(person=person, service_code=service_code, org=org,
                                        requested_on=requested_on, note=note.strip()[:200],
                                        recorded_at=clock.now(), recorded_by=_user(user))
    audit.record(AuditAction.CREATE, "service_request", row.pk,
                 details={"person_id": person.pk, "service": service_code})
    return row


@transaction.atomic
def close_request(request: ServiceRequest, *, state: str, user, note: str = "") -> ServiceRequest:
    """Close a waiting request: the person withdrew it, or was referred elsewhere."""
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != RequestState.OPEN:
        raise _refuse("state", _("this request is no longer waiting"))
    if state not in (RequestState.WITHDRAWN, RequestState.REFERRED):
        raise _refuse("state", _("a request is closed as withdrawn or referred"))
    locked.state, locked.closed_on = state, _today()
    locked.note = (note.strip() or locked.note)[:200]
    locked.save(update_fields=["state", "closed_on", "note"])
    audit.record(AuditAction.CHANGE, "service_request", locked.pk, details={"state": state})
    return locked


# ------------------------------------------------------------------------- encounters

def _check_value(item: Item, value: Any) -> Any:
    if value is None or value == "":
        return None
    if item.kind == "choice":
        if item.choice(str(value)) is None:
            raise ValueError(_("“%(value)s” is not one of %(choices)s")
                             % {"value": value, "choices": ", ".join(c.code for c in item.choices)})
        return str(value)
    if item.kind == "yes_no":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "是", "y"):
            return True
        if text in ("0", "false", "no", "否", "n"):
            return False
        raise ValueError(_("answer yes or no"))
    if item.kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(_("not a number")) from None
        if not math.isfinite(number):  # float() takes "nan" and "inf"; JSON does not
            raise ValueError(_("not a number"))
        return number
    if item.kind == "date":
        try:
            return (value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))).isoformat()
        except ValueError:
            raise ValueError(_("not a date (YYYY-MM-DD)")) from None
    return str(value).strip()[:1000]


def check_values(chosen: Service, values: dict[str, Any]) -> dict[str, Any]:
    """The encounter's values checked against the service's items: an unknown item is
    refused (naming it; one that DESIGN.md §2 keeps out says so), each value of its kind."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in (values or {}).items():
        item = chosen.item(str(key))
        if item is None:
            errors[f"values.{key}"] = [out_of_scope_reason(str(key)) or
                                       _("%(service)s records no item “%(item)s”")
                                       % {"service": chosen.name, "item": key}]
            continue
        try:
            checked = _check_value(item, value)
        except ValueError as exc:
            errors[f"values.{key}"] = [f"{item.name}: {exc}"]
            continue
        if checked is not None:
            clean[item.code] = checked
    if errors:
        raise ValidationError(errors)
    return clean


def display_values(chosen: Service, values: dict[str, Any]) -> list[tuple[Item, str]]:
    """The recorded values in the catalogue's order, as people read them."""
    rows = []
    for item in chosen.items:
        if item.code not in values:
            continue
        value = values[item.code]
        if item.kind == "choice":
            choice = item.choice(value)
            shown = choice.name if choice is not None else str(value)
        elif item.kind == "yes_no":
            shown = _("yes") if value else _("no")
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
        rows.append((item, f"{shown} {item.unit}".strip()))
    return rows


def _was_inflow_migrant(person: Person, on: dt.date) -> bool:
    from django.apps import apps

    if not apps.is_installed("renkou.migrants"):
        return False
    spells = apps.get_model("migrants", "MigrantSpell").objects
    return (spells.filter(person=person, direction="in", start_date__lte=on)
            .filter(Q(end_date=None) | Q(end_date__gt=on)).exclude(end_reason="corrected").exists())


@transaction.atomic
def record_encounter(person: Person, *, service_code: str, date: dt.date, org: OrgUnit,
                     provider: str, values: dict[str, Any] | None = None,
                     place_kind: str = PlaceKind.TOWNSHIP_STATION, referred: bool = False,
                     referral_to: str = "", next_appointment: dt.date | None = None,
                     follow_ups: list[str] | tuple[str, ...] = (),
                     request: ServiceRequest | None = None, note: str = "", user,
                     via: str = "form") -> Encounter:
    """Record a service given. Refused without the person's active consent to receive it
    (``consent``); a follow-up is arranged only under her active follow-up consent
    (``follow_ups``); ``values`` are the catalogue's items only."""
    check_unit(user, org)
    chosen = _service(service_code)
    if date > _today():
        raise _refuse("date", _("an encounter cannot be dated after today"))
    if place_kind not in PlaceKind.values:
        raise _refuse("place_kind", _("the place must be one of %(values)s")
                      % {"values": ", ".join(PlaceKind.values)})
    if not provider.strip():
        raise _refuse("provider", _("name the provider who gave the service"))
    if next_appointment is not None and next_appointment <= date:
        raise _refuse("next_appointment", _("the next appointment must be after the encounter"))
    if referral_to and not referred:
        referred = True
    clean = check_values(chosen, values or {})
    # lock, then check, then write: the consent this encounter rests on cannot be
    # withdrawn between the check and the save
    Person.objects.select_for_update().filter(pk=person.pk).first()
    consent = active_consent(person, Purpose.SERVICE, service_code, date, lock=True)
    if consent is None or not consent.is_active(_today()):
        raise _refuse("consent", _("%(name)s has no active consent to receive %(service)s: "
                                   "record her consent first (a service is given only to "
                                   "someone who asked for it and agreed)")
                      % {"name": person.name, "service": chosen.name})
    wanted = []
    for code in follow_ups:
        spec = chosen.follow_up(code)
        if spec is None:
            raise _refuse("follow_ups", _("%(service)s has no follow-up “%(code)s”")
                          % {"service": chosen.name, "code": code})
        wanted.append(spec)
    if wanted and active_consent(person, Purpose.FOLLOW_UP, service_code, lock=True) is None:
        raise _refuse("follow_ups", _("%(name)s has not agreed to be followed up for "
                                      "%(service)s: no follow-up is arranged without her "
                                      "follow-up consent") % {"name": person.name,
                                                              "service": chosen.name})
    if request is not None:
        request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
        if request.person_id != person.pk or request.service_code != service_code:
            raise _refuse("request", _("the request is for another person or service"))
        if request.state != RequestState.OPEN:
            raise _refuse("request", _("this request is no longer waiting"))
    at_risk = None
    if chosen.risk_item and chosen.risk_item in clean:
        at_risk = clean[chosen.risk_item] == "high"
    encounter = Encounter.objects.create(
        person=person, service_code=service_code, org=org, place_kind=place_kind, date=date,
        provider=provider.strip()[:50], consent=consent, request=request, values=clean,
        at_risk=at_risk, referred=referred, referral_to=referral_to.strip()[:100],
        next_appointment=next_appointment, migrant_at_residence=_was_inflow_migrant(person, date),
        note=note.strip()[:500], recorded_at=clock.now(), recorded_by=_user(user),
        recorded_via=via)
    for spec in wanted:
        FollowUp.objects.create(encounter=encounter, person=person, service_code=service_code,
                                kind=spec.code, org=org,
                                due_on=date + dt.timedelta(days=spec.after_days))
    if request is not None:
        request.state, request.closed_on = RequestState.SERVED, date
        request.save(update_fields=["state", "closed_on"])
    audit.record(AuditAction.CREATE, "service_encounter", encounter.pk,
                 details={"person_id": person.pk, "service": service_code, "via": via})
    return encounter


# ------------------------------------------------------------------------- follow-ups

def follow_up_list(user, *, on: dt.date | None = None) -> QuerySet[FollowUp]:
    """The follow-ups due in the user's subtree of persons with an active follow-up
    consent today: withdrawing it takes the person off every list at once."""
    today = on or _today()
    covered = (Consent.objects.filter(person=OuterRef("person"), purpose=Purpose.FOLLOW_UP)
               .filter(Q(service_code=OuterRef("service_code")) | Q(service_code=""))
               .filter(active_q(today)))
    return (FollowUp.objects.visible_to(user).filter(state=FollowUpState.DUE)
            .filter(Exists(covered)).select_related("person", "org", "encounter"))


@transaction.atomic
def close_follow_up(follow_up: FollowUp, *, state: str, outcome: str = "", user) -> FollowUp:
    """Record a follow-up as done (with its outcome) or declined by the person."""
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if locked.state != FollowUpState.DUE:
        raise _refuse("state", _("this follow-up is no longer due"))
    if state not in (FollowUpState.DONE, FollowUpState.DECLINED):
        raise _refuse("state", _("a follow-up is closed as done or declined"))
    if active_consent(locked.person_id, Purpose.FOLLOW_UP, locked.service_code, lock=True) is None:
        raise _refuse("consent", _("the person's follow-up consent is no longer active"))
    refused = out_of_scope_reason(outcome)
    if refused:
        raise _refuse("outcome", refused)
    locked.state, locked.closed_on = state, _today()
    locked.outcome, locked.closed_by = outcome.strip()[:500], _user(user)
    locked.save(update_fields=["state", "closed_on", "outcome", "closed_by"])
    audit.record(AuditAction.CHANGE, "service_follow_up", locked.pk,
                 details={"person_id": locked.person_id, "state": state})
    return locked


# ------------------------------------------------------------------------- reading

@dataclass
class ServiceRecord:
    """What a health worker may read of a person's service record.

    ``encounters``/``consents``/``follow_ups``/``requests``: the rows shown;
    ``withheld``: encounters kept by other units and not shown (a reason opens them);
    ``shared``: rows shown because the person agreed to share them with this office;
    ``broke_glass``: shown after a recorded reason.
    """

    person: Person
    encounters: list[Encounter] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    requests: list[ServiceRequest] = field(default_factory=list)
    withheld: int = 0
    shared: int = 0
    broke_glass: bool = False


def _shares_with(person: Person, user, on: dt.date) -> bool:
    """Whether the person agreed to share her results with the user's office."""
    path = user_org_path(user)
    consents = Consent.objects.filter(person=person, purpose=Purpose.SHARE).filter(active_q(on))
    if path is None:
        return consents.exists()
    for consent in consents.select_related("share_with"):
        if consent.share_with is None or in_subtree(path, consent.share_with.path):
            return True
    return False


def service_record(user, person: Person, *, reason: str = "") -> ServiceRecord:
    """The person's service record as ``user`` (a health worker) may read it, logged.

    Rows of the user's subtree are shown. Rows kept by other units are shown when the
    person agreed to share with this office; otherwise only with a ``reason`` (at least
    :data:`MIN_REASON` characters), as a break-the-glass read the auditors see; without
    one they are counted in ``withheld``.
    """
    from renkou.accounts.permissions import has_capability

    if not has_capability(user, RECORD_SERVICES):
        raise PermissionDenied(RECORD_SERVICES)
    today = _today()
    reason = reason.strip()
    if reason and len(reason) < MIN_REASON:
        raise _refuse("reason", _("write the reason for reading another unit's record (at "
                                  "least %(n)d characters)") % {"n": MIN_REASON})

    def rows(model, *related: str) -> tuple[list, list]:
        everything = model.objects.filter(person=person).select_related("org", *related)
        mine = set(model.objects.visible_to(user).filter(person=person).values_list("pk", flat=True))
        own: list[Any] = []
        other: list[Any] = []
        for row in everything:
            (own if row.pk in mine else other).append(row)
        return own, other

    encounters, other_encounters = rows(Encounter)
    consents, other_consents = rows(Consent, "share_with")
    follow_ups, other_follow_ups = rows(FollowUp)
    requests, other_requests = rows(ServiceRequest)
    record = ServiceRecord(person, encounters, consents, follow_ups, requests)
    others = other_encounters + other_follow_ups + other_requests
    details: dict[str, Any] = {"shown": len(encounters)}
    if others:
        if _shares_with(person, user, today):
            record.shared = len(other_encounters)
            details["access"] = "shared"
        elif reason:
            record.broke_glass = True
            details.update(access=BREAK_GLASS, reason=reason,
                           units=sorted({r.org.code for r in others}))
        else:
            record.withheld = len(other_encounters)
            details["withheld"] = record.withheld
        if record.shared or record.broke_glass:
            record.encounters += other_encounters
            record.follow_ups += other_follow_ups
            record.requests += other_requests
            details["shown"] = len(record.encounters)
    # consents of other units are shown always: they say what the person agreed to, which
    # a health worker must know before serving her (no results in them)
    record.consents += other_consents
    record.encounters.sort(key=lambda e: (e.date, e.pk), reverse=True)
    audit.record(AuditAction.VIEW, "service_record", person.pk, details=details, user=user)
    return record


def services_received(person: Person) -> list[dict[str, Any]]:
    """What the offices may see on a person's record: which service, when and where —
    never an item, a result, a referral or a follow-up."""
    catalogue = services()
    rows = (Encounter.objects.filter(person=person).select_related("org")
            .order_by("-date", "-id").values("service_code", "date", "org__name"))
    return [{"service": catalogue[r["service_code"]].name if r["service_code"] in catalogue
             else r["service_code"], "date": r["date"], "unit": r["org__name"]} for r in rows]

