"""The FHIR export of a person's service record (issue 16, item 6): a Bundle that
validates with ``fhir.resources`` (R5), with the Patient, her Encounters, their
Observations and her Consents; only what the health worker may read; logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from fhir.resources.bundle import Bundle

from renkou.accounts.roles import Role
from renkou.core.models import AuditEntry
from renkou.services import services
from renkou.services.fhir import ID_NUMBER_SYSTEM, person_bundle, systems
from renkou.services.models import Purpose

from .conftest import TODAY, consent, pre_pregnancy_check


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.fixture
def served(stations):
    """李秀英 with a service consent, a withdrawn follow-up consent, an expired consent
    for another service and one pre-pregnancy check at 和平镇's station."""
    woman, town, health = stations.register.mother, stations.register.town, stations.health
    consent(woman, health, town, service_code="PREMARITAL",
            given_on=TODAY - dt.timedelta(days=400), expires_on=TODAY - dt.timedelta(days=30))
    consent(woman, health, town)
    follow = consent(woman, health, town, purpose=Purpose.FOLLOW_UP)
    encounter = pre_pregnancy_check(woman, health, town, follow_ups=["risk_review"],
                                    referral_to="县妇幼保健院")
    services.withdraw_consent(follow, user=health, note="本人不再需要随访")
    return encounter


def test_the_bundle_validates_and_holds_patient_encounter_observations_and_consents(stations,
                                                                                    served):
    woman = stations.register.mother
    bundle = person_bundle(woman, stations.health)
    parsed = Bundle.model_validate(bundle)  # validates every resource again
    assert parsed.type == "collection"
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {
        "Patient", "Encounter", "Observation", "Consent"}
    (patient,) = _resources(bundle, "Patient")
    assert patient["gender"] == "female" and patient["birthDate"] == "1992-05-10"
    assert patient["name"][0]["text"] == "李秀英"
    ids = {i["system"]: i["value"] for i in patient["identifier"]}
    assert ids[ID_NUMBER_SYSTEM] == woman.id_number
    assert ids[systems()["person"]] == str(woman.pk)
    (encounter,) = _resources(bundle, "Encounter")
    assert encounter["status"] == "completed"
    assert encounter["class"][0]["coding"][0]["code"] == "AMB"
    assert encounter["actualPeriod"]["start"] == TODAY.isoformat()
    assert encounter["serviceType"][0]["concept"]["text"] == "免费孕前优生健康检查"
    assert "和平镇" in encounter["location"][0]["location"]["display"]
    urls = {e["resource"]["resourceType"] + "/" + e["resource"]["id"]: e["fullUrl"]
            for e in bundle["entry"]}
    observations = {o["code"]["text"]: o for o in _resources(bundle, "Observation")}
    assert set(observations) == {"优生咨询", "风险评估", "咨询指导意见"}
    assert observations["优生咨询"]["valueBoolean"] is True
    risk = observations["风险评估"]
    assert risk["valueCodeableConcept"]["coding"][0]["code"] == "high"
    assert risk["valueCodeableConcept"]["text"] == "高风险人群"
    assert risk["meta"]["security"][0]["code"] == "R"  # a sensitive result
    assert observations["咨询指导意见"]["valueString"] == "补充叶酸"
    for observation in observations.values():
        assert observation["encounter"]["reference"] == urls[f"Encounter/{encounter['id']}"]
        assert observation["subject"]["reference"] == urls[f"Patient/{patient['id']}"]
    consents = {(c["provision"][0]["purpose"][0]["code"],
                 c["provision"][0]["action"][0]["coding"][0]["code"]): c
                for c in _resources(bundle, "Consent")}
    service = consents[("service", "PRE_PREGNANCY")]
    assert service["status"] == "active" and service["decision"] == "permit"
    assert service["date"] == TODAY.isoformat()
    assert service["sourceAttachment"][0]["title"] == "孕前优生健康检查知情同意书 2024 版"
    withdrawn = consents[("follow_up", "PRE_PREGNANCY")]
    assert withdrawn["status"] == "inactive"
    assert "本人不再需要随访" in withdrawn["text"]["div"]
    assert withdrawn["period"]["end"] == TODAY.isoformat()
    expired = consents[("service", "PREMARITAL")]
    assert expired["status"] == "inactive"
    assert expired["provision"][0]["period"]["end"] == (TODAY - dt.timedelta(days=30)).isoformat()


def test_the_export_is_logged(stations, served):
    woman = stations.register.mother
    person_bundle(woman, stations.health)
    export = AuditEntry.objects.filter(action="export", object_type="service_record",
                                       object_id=str(woman.pk)).get()
    assert export.details["format"] == "fhir" and export.details["encounters"] == 1
    assert AuditEntry.objects.filter(action="view", object_type="service_record",
                                     object_id=str(woman.pk)).exists()


def test_the_export_holds_only_what_the_user_may_read(stations, served):
    woman = stations.register.mother
    bundle = person_bundle(woman, stations.street_health)
    Bundle.model_validate(bundle)
    assert _resources(bundle, "Encounter") == [] and _resources(bundle, "Observation") == []
    assert len(_resources(bundle, "Consent")) == 3  # what she agreed to, never a result
    assert "high" not in str(bundle) and "补充叶酸" not in str(bundle)
    opened = person_bundle(woman, stations.street_health, reason="本人在南门社区就诊")
    assert len(_resources(opened, "Encounter")) == 1
    read = AuditEntry.objects.filter(action="view", object_type="service_record",
                                     object_id=str(woman.pk)).latest("id")
    assert read.details["access"] == "break_glass"


@pytest.mark.parametrize("role", [Role.VILLAGE_CLERK, Role.COUNTY_OFFICER, Role.STATISTICIAN,
                                  Role.AUDITOR])
def test_nobody_but_a_health_worker_may_export(stations, served, role):
    with pytest.raises(PermissionDenied):
        person_bundle(stations.register.mother, stations.roles[role])
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_same_record_exported_twice_has_the_same_references(stations, served):
    woman = stations.register.mother
    first = [e["fullUrl"] for e in person_bundle(woman, stations.health)["entry"]]
    second = [e["fullUrl"] for e in person_bundle(woman, stations.health)["entry"]]
    assert first == second and all(u.startswith("urn:uuid:") for u in first)
