"""A person's service record as FHIR R5 resources (issue 16, item 6).

:func:`person_bundle` is a Bundle of type ``collection``: the person (Patient), each
encounter the health worker may read (Encounter), each item recorded in it
(Observation, linked to its Encounter) and the person's consents (Consent, active or
inactive by their state today). Every resource is built with the ``fhir.resources``
library (FHIR R5), which validates it on construction, so a bundle that would not
validate cannot be built. What goes in is exactly what
:func:`~renkou.services.services.service_record` lets the user read (which logs the read,
a break-the-glass read with its reason); the export is logged too.

Identifier and code systems (stable strings; ``OFFICE`` is this office's 12-digit
division code, ``RENKOU_OFFICE_CODE`` or the root of the org tree):

- resident ID number (公民身份号码, GB 11643): ``urn:oid:2.16.156.10011.1.3``, the root
  China's health-record and EMR shared-document standards (WS/T 483, WS/T 500) give the
  patient's ID-card number; its type is v2-0203 ``NI``;
- the register's ``person_id``: ``urn:renkou:OFFICE:person``; an encounter's and a
  consent's number: ``urn:renkou:OFFICE:encounter`` and ``urn:renkou:OFFICE:consent``;
- the service catalogue's codes: ``urn:renkou:service-catalogue``; a service's items:
  ``urn:renkou:service-catalogue:SERVICE``; an item's choices:
  ``urn:renkou:service-catalogue:SERVICE:ITEM``; a consent's purpose:
  ``urn:renkou:consent-purpose``;
- the entries' ``fullUrl``: ``urn:uuid:`` UUIDs derived (UUID 5) from the office, the
  resource type and the number, so that exporting the same record twice gives the same
  references.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from html import escape
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fhir.resources.attachment import Attachment
from fhir.resources.bundle import Bundle, BundleEntry
from fhir.resources.codeableconcept import CodeableConcept
from fhir.resources.codeablereference import CodeableReference
from fhir.resources.coding import Coding
from fhir.resources.consent import Consent as FhirConsent
from fhir.resources.consent import ConsentProvision, ConsentProvisionActor
from fhir.resources.encounter import Encounter as FhirEncounter
from fhir.resources.encounter import EncounterLocation, EncounterParticipant
from fhir.resources.humanname import HumanName
from fhir.resources.identifier import Identifier
from fhir.resources.meta import Meta
from fhir.resources.narrative import Narrative
from fhir.resources.observation import Observation
from fhir.resources.patient import Patient
from fhir.resources.period import Period
from fhir.resources.quantity import Quantity
from fhir.resources.reference import Reference

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit
from renkou.register.models import Person, PersonStatus

from .catalogue import Item, Service
from .catalogue import services as catalogue_services
from .models import Consent, Encounter, PlaceKind, Purpose
from .services import service_record

__all__ = ["ID_NUMBER_SYSTEM", "CATALOGUE_SYSTEM", "PURPOSE_SYSTEM", "person_bundle",
           "systems"]

#: The resident ID number (公民身份号码): the OID of WS/T 483 and WS/T 500 for it.
ID_NUMBER_SYSTEM = "urn:oid:2.16.156.10011.1.3"
CATALOGUE_SYSTEM = "urn:renkou:service-catalogue"
PURPOSE_SYSTEM = "urn:renkou:consent-purpose"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
LOINC = "http://loinc.org"
XHTML = "http://www.w3.org/1999/xhtml"
_NAMESPACE = uuid.UUID("6f1c1b2e-3d4a-5b6c-8d7e-9f0a1b2c3d4e")


def _office() -> str:
    configured = str(getattr(settings, "RENKOU_OFFICE_CODE", "") or "")
    if configured:
        return configured.ljust(12, "0")[:12]
    root = OrgUnit.objects.filter(parent=None).order_by("code").values_list("code", flat=True).first()
    return (root or "000000").ljust(12, "0")[:12]


def systems(office: str | None = None) -> dict[str, str]:
    """The identifier systems of this office's exports (see the module)."""
    office = office or _office()
    return {"id_number": ID_NUMBER_SYSTEM, "person": f"urn:renkou:{office}:person",
            "encounter": f"urn:renkou:{office}:encounter",
            "consent": f"urn:renkou:{office}:consent", "catalogue": CATALOGUE_SYSTEM,
            "purpose": PURPOSE_SYSTEM}


class _Builder:
    """Builds one bundle: the references between its entries and the entries."""

    def __init__(self, office: str) -> None:
        self.office = office
        self.systems = systems(office)
        self.entries: list[BundleEntry] = []

    def url(self, kind: str, key: Any) -> str:
        return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, f"{self.office}/{kind}/{key}"))

    def add(self, resource: Any, kind: str, key: Any) -> str:
        full_url = self.url(kind, key)
        self.entries.append(BundleEntry(fullUrl=full_url, resource=resource))
        return full_url


def _fhir_id(*parts: Any) -> str:
    """A resource id (letters, digits, - and . only, at most 64 characters)."""
    text = "-".join(str(p) for p in parts).replace("_", "-")
    return "".join(c if c.isalnum() and c.isascii() or c in "-." else "-" for c in text)[:64]


def _narrative(*lines: str) -> Narrative:
    body = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    return Narrative(status="additional", div=f'<div xmlns="{XHTML}">{body}</div>')


def _period(start: dt.date, end: dt.date | None = None) -> Period:
    """A period of whole days (FHIR dateTime at the precision of a day)."""
    return Period.model_validate({"start": start.isoformat(),
                                  "end": end.isoformat() if end else None})


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-CN"


# ---------------------------------------------------------------- resources

def _patient(person: Person, b: _Builder) -> Patient:
    identifiers = [Identifier(use="official", system=b.systems["person"], value=str(person.pk))]
    if person.id_number:
        identifiers.insert(0, Identifier(
            use="official", system=ID_NUMBER_SYSTEM, value=person.id_number,
            type=CodeableConcept(coding=[Coding(system=V2_0203, code="NI",
                                                display="National unique individual identifier")],
                                 text=_("resident ID number"))))
    gender = {"M": "male", "F": "female"}.get(person.sex, "unknown")
    extra: dict[str, Any] = {}
    if person.status == PersonStatus.DEAD:
        extra["deceasedBoolean"] = True
    return Patient(id=_fhir_id("person", person.pk), identifier=identifiers,
                   name=[HumanName(use="official", text=person.name)], gender=gender,
                   birthDate=person.birth_date, **extra)


def _code(service: Service | None, code: str) -> CodeableConcept:
    name = service.name if service else code
    return CodeableConcept(coding=[Coding(system=CATALOGUE_SYSTEM, code=code, display=name)],
                           text=name)


#: ``Encounter.class`` of every service encounter: ambulatory (the Python name is class_fhir).
_AMBULATORY: dict[str, Any] = {"class_fhir": [CodeableConcept(coding=[Coding(
    system=ACT_CODE, code="AMB", display="ambulatory")])]}


def _encounter(encounter: Encounter, service: Service | None, patient_url: str,
               b: _Builder) -> FhirEncounter:
    place = str(PlaceKind(encounter.place_kind).label) if encounter.place_kind in PlaceKind.values \
        else encounter.place_kind
    notes = []
    if encounter.referred:
        notes.append(_("referred to %(where)s") % {"where": encounter.referral_to or "—"})
    if encounter.next_appointment:
        notes.append(_("next appointment: %(day)s")
                     % {"day": encounter.next_appointment.isoformat()})
    if encounter.note:
        notes.append(encounter.note)
    day = encounter.date.isoformat()
    return FhirEncounter(
        id=_fhir_id("encounter", encounter.pk),
        identifier=[Identifier(system=b.systems["encounter"], value=str(encounter.pk))],
        status="completed",
        subject=Reference(reference=patient_url),
        actualPeriod=_period(encounter.date, encounter.date),
        serviceType=[CodeableReference(concept=_code(service, encounter.service_code))],
        participant=[EncounterParticipant(actor=Reference(display=encounter.provider))]
        if encounter.provider else None,
        location=[EncounterLocation(location=Reference(
            display=_("%(unit)s, %(place)s") % {"unit": encounter.org.name, "place": place}))],
        serviceProvider=Reference(display=encounter.org.name),
        text=_narrative(f"{service.name if service else encounter.service_code} {day}",
                        *notes),
        **_AMBULATORY,
    )


def _value(item: Item | None, service_code: str, value: Any) -> dict[str, Any]:
    """The Observation's ``value[x]`` for an item's value, by the item's kind."""
    if item is None:
        return {"valueString": str(value)}
    if item.kind == "yes_no" and isinstance(value, bool):
        return {"valueBoolean": value}
    if item.kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"valueQuantity": Quantity(value=Decimal(str(value)), unit=item.unit or None)}
    if item.kind == "date":
        try:
            return {"valueDateTime": dt.date.fromisoformat(str(value)).isoformat()}
        except ValueError:
            return {"valueString": str(value)}
    if item.kind == "choice":
        choice = item.choice(str(value))
        name = choice.name if choice else str(value)
        return {"valueCodeableConcept": CodeableConcept(
            coding=[Coding(system=f"{CATALOGUE_SYSTEM}:{service_code}:{item.code}",
                           code=str(value), display=name)], text=name)}
    text = str(value)
    return {"valueString": f"{text} {item.unit}".strip() if item.unit else text}


def _day_and_value(encounter: Encounter, item: Item | None, value: Any) -> dict[str, Any]:
    """``effectiveDateTime`` (the encounter's day) and ``value[x]`` of an Observation."""
    return {"effectiveDateTime": encounter.date.isoformat(),
            **_value(item, encounter.service_code, value)}


def _observations(encounter: Encounter, service: Service | None, patient_url: str,
                  encounter_url: str) -> list[tuple[Observation, str]]:
    found = []
    order = [i.code for i in service.items] if service else []
    keys = sorted(encounter.values, key=lambda k: (order.index(k) if k in order else len(order), k))
    for key in keys:
        value = encounter.values[key]
        if value is None or value == "":
            continue
        item = service.item(key) if service else None
        name = item.name if item else key
        meta = (Meta(security=[Coding(system=CONFIDENTIALITY, code="R", display="restricted")])
                if item is not None and item.sensitive else None)
        found.append((Observation(
            id=_fhir_id("obs", encounter.pk, key), meta=meta, status="final",
            code=CodeableConcept(coding=[Coding(
                system=f"{CATALOGUE_SYSTEM}:{encounter.service_code}", code=key, display=name)],
                text=name),
            subject=Reference(reference=patient_url),
            encounter=Reference(reference=encounter_url),
            performer=[Reference(display=encounter.provider)] if encounter.provider else None,
            **_day_and_value(encounter, item, value)), key))
    return found


_STATUS = {"active": "active", "withdrawn": "inactive", "expired": "inactive", "pending": "draft"}


def _consent(consent: Consent, patient_url: str, today: dt.date, b: _Builder) -> FhirConsent:
    state = consent.status(today)
    catalogue = catalogue_services()
    service = catalogue.get(consent.service_code) if consent.service_code else None
    service_name = (service.name if service else consent.service_code) if consent.service_code \
        else _("every service")
    purpose = str(Purpose(consent.purpose).label) if consent.purpose in Purpose.values \
        else consent.purpose
    action = _("%(purpose)s: %(service)s") % {"purpose": purpose, "service": service_name}
    actors = None
    if consent.share_with is not None:
        actors = [ConsentProvisionActor(
            role=CodeableConcept(coding=[Coding(system=PARTICIPATION, code="IRCP",
                                                display="information recipient")]),
            reference=Reference(display=consent.share_with.name))]
    ends = [d for d in (consent.expires_on, consent.withdrawn_on) if d is not None]
    lines = [action, _("given on %(day)s (%(method)s)")
             % {"day": consent.given_on.isoformat(), "method": consent.get_method_display()}]
    if consent.witness:
        lines.append(_("witness: %(name)s") % {"name": consent.witness})
    if consent.withdrawn_on:
        lines.append(_("withdrawn on %(day)s") % {"day": consent.withdrawn_on.isoformat()}
                     + (f": {consent.withdrawal_note}" if consent.withdrawal_note else ""))
    elif state == "expired" and consent.expires_on is not None:
        lines.append(_("expired on %(day)s") % {"day": consent.expires_on.isoformat()})
    return FhirConsent(
        id=_fhir_id("consent", consent.pk),
        identifier=[Identifier(system=b.systems["consent"], value=str(consent.pk))],
        status=_STATUS.get(state, "unknown"),
        category=[CodeableConcept(coding=[Coding(system=LOINC, code="59284-0")],
                                  text=_("consent"))],
        subject=Reference(reference=patient_url),
        grantor=[Reference(reference=patient_url)],
        controller=[Reference(display=consent.org.name)],
        date=consent.given_on,
        period=_period(consent.given_on, min(ends) if ends else None),
        decision="permit",
        sourceAttachment=[Attachment(title=consent.information_version)],
        provision=[ConsentProvision(
            period=_period(consent.given_on, consent.expires_on),
            purpose=[Coding(system=PURPOSE_SYSTEM, code=consent.purpose, display=purpose)],
            action=[CodeableConcept(
                coding=[Coding(system=CATALOGUE_SYSTEM, code=consent.service_code,
                               display=service_name)] if consent.service_code else None,
                text=action)],
            actor=actors)],
        text=_narrative(*lines),
    )


# ---------------------------------------------------------------- the bundle

def person_bundle(person: Person, user, *, reason: str = "") -> dict[str, Any]:
    """The person's service record as a FHIR R5 Bundle (type collection), as JSON data.

    Only what :func:`~renkou.services.services.service_record` lets ``user`` read (it
    raises ``PermissionDenied`` for a user who is no health worker, and logs the read;
    ``reason`` opens other units' encounters as a break-the-glass read). The export is
    logged (``export``, ``service_record``, format ``fhir``).
    """
    record = service_record(user, person, reason=reason)
    today = clock.today()
    catalogue = catalogue_services()
    b = _Builder(_office())
    patient_url = b.add(_patient(person, b), "Patient", person.pk)
    observations = 0
    for encounter in sorted(record.encounters, key=lambda e: (e.date, e.pk)):
        service = catalogue.get(encounter.service_code)
        encounter_url = b.add(_encounter(encounter, service, patient_url, b), "Encounter",
                              encounter.pk)
        for observation, key in _observations(encounter, service, patient_url, encounter_url):
            b.add(observation, "Observation", f"{encounter.pk}/{key}")
            observations += 1
    for consent in sorted(record.consents, key=lambda c: (c.given_on, c.pk)):
        b.add(_consent(consent, patient_url, today, b), "Consent", consent.pk)
    bundle = Bundle(
        id=_fhir_id("services", person.pk, today.strftime("%Y%m%d")),
        type="collection", timestamp=clock.now(), language=_language(),
        identifier=Identifier(system=f"urn:renkou:{b.office}:export",
                              value=str(uuid.uuid4())),
        entry=b.entries)
    audit.record(AuditAction.EXPORT, "service_record", person.pk, details={
        "format": "fhir", "encounters": len(record.encounters), "observations": observations,
        "consents": len(record.consents), "withheld": record.withheld,
        "broke_glass": record.broke_glass})
    return bundle.model_dump(mode="json")
