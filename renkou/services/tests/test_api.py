"""The service records' API (issue 16, item 6): health workers only, consent first,
out-of-scope fields refused by name, other units' records withheld unless a reason is
given (a break-the-glass read, logged)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from renkou.accounts.roles import Role
from renkou.accounts.services import issue_token
from renkou.core.api import api
from renkou.core.models import AuditEntry
from renkou.services import services
from renkou.services.models import Consent, Encounter, FollowUpState, Purpose

from .conftest import TODAY, consent, pre_pregnancy_check

OTHER_ROLES = [Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER,
               Role.STATISTICIAN, Role.AUDITOR]
ENDPOINTS = [
    ("post", "/api/services/encounters"),
    ("get", "/api/services/encounters?person_id=1"),
    ("post", "/api/services/consents"),
    ("post", "/api/services/consents/1/withdraw"),
    ("get", "/api/services/follow-ups"),
    ("get", "/api/services/catalogue"),
]


def _auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}


def _post(client, url: str, body: dict, user):
    return client.post(url, body, content_type="application/json", **_auth(user))


def _fields(answer) -> dict[str, str]:
    return {e["field"]: e["message"] for e in answer.json()["errors"]}


def _check(stations, **values):
    body = {"person_id": stations.register.mother.pk, "service_code": "PRE_PREGNANCY",
            "date": TODAY.isoformat(), "org_code": stations.register.town.code,
            "place_kind": "township", "provider": "刘医生",
            "values": {"counselling": True, "risk_assessment": "high", "advice": "补充叶酸"}}
    body.update(values)
    return body


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_other_role_is_refused_on_every_endpoint(stations, client, role):
    user = stations.roles[role]
    consent(stations.register.mother, stations.health, stations.register.town)
    auth = _auth(user)
    for method, url in ENDPOINTS:
        if method == "get":
            answer = client.get(url, **auth)
        else:
            answer = client.post(url, _check(stations), content_type="application/json", **auth)
        assert answer.status_code == 403, (role, url, answer.content)
    assert not Encounter.objects.exists()


def test_no_token_answers_401(stations, client):
    assert client.get("/api/services/catalogue").status_code == 401
    assert client.post("/api/services/encounters", _check(stations),
                       content_type="application/json").status_code == 401


def test_an_encounter_without_consent_is_refused_naming_consent(stations, client):
    answer = _post(client, "/api/services/encounters", _check(stations), stations.health)
    assert answer.status_code == 422, answer.content
    assert "consent" in _fields(answer)
    assert not Encounter.objects.exists()


def test_an_encounter_with_consent_is_recorded_with_its_follow_ups(stations, client):
    woman, town = stations.register.mother, stations.register.town
    given = consent(woman, stations.health, town)
    consent(woman, stations.health, town, purpose=Purpose.FOLLOW_UP)
    answer = _post(client, "/api/services/encounters",
                   _check(stations, follow_ups=["risk_review"], referral_to="县妇幼保健院",
                          next_appointment=(TODAY + dt.timedelta(days=30)).isoformat()),
                   stations.health)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["consent_id"] == given.pk and body["at_risk"] is True
    assert body["referred"] is True and body["service"] == "免费孕前优生健康检查"
    assert [f["kind"] for f in body["follow_ups"]] == ["risk_review"]
    assert {i["item"]: i["value"] for i in body["items"]}["risk_assessment"] == "高风险人群"
    encounter = Encounter.objects.get()
    assert encounter.recorded_via == "api" and encounter.recorded_by == stations.health
    assert AuditEntry.objects.filter(object_type="service_encounter", object_id=str(encounter.pk),
                                     username=stations.health.username).exists()
    due = client.get("/api/services/follow-ups", **_auth(stations.health)).json()
    assert due["count"] == 1 and due["items"][0]["kind"] == "risk_review"
    assert due["items"][0]["name"] == woman.name
    assert client.get("/api/services/follow-ups",
                      **_auth(stations.street_health)).json()["count"] == 0


@pytest.mark.parametrize("field", ["pregnancy_status", "contraceptive_status"])
def test_an_out_of_scope_field_of_the_body_is_refused_naming_it(stations, client, field):
    consent(stations.register.mother, stations.health, stations.register.town)
    answer = _post(client, "/api/services/encounters", _check(stations, **{field: "no"}),
                   stations.health)
    assert answer.status_code == 422, answer.content
    errors = _fields(answer)
    assert set(errors) == {field}
    assert "DESIGN.md" in errors[field] and field in errors[field]
    assert not Encounter.objects.exists()


def test_an_unknown_field_of_the_body_is_refused_naming_it(stations, client):
    consent(stations.register.mother, stations.health, stations.register.town)
    answer = _post(client, "/api/services/encounters", _check(stations, colour="red"),
                   stations.health)
    assert answer.status_code == 422
    errors = _fields(answer)
    assert set(errors) == {"colour"} and "colour" in errors["colour"]
    assert "DESIGN.md" not in errors["colour"]


def test_out_of_scope_and_unknown_items_are_refused_naming_values_field(stations, client):
    consent(stations.register.mother, stations.health, stations.register.town)
    answer = _post(client, "/api/services/encounters",
                   _check(stations, values={"pregnancy_status": "yes", "blood_sugar": "5.1",
                                            "counselling": True}), stations.health)
    assert answer.status_code == 422, answer.content
    errors = _fields(answer)
    assert "DESIGN.md" in errors["values.pregnancy_status"]
    assert "values.blood_sugar" in errors
    assert not Encounter.objects.exists()


def test_a_unit_outside_the_callers_subtree_is_refused_naming_org_code(stations, client):
    consent(stations.register.mother, stations.health, stations.register.town)
    answer = _post(client, "/api/services/encounters",
                   _check(stations, org_code=stations.register.street.code), stations.health)
    assert answer.status_code == 422 and "org_code" in _fields(answer)
    missing = _post(client, "/api/services/encounters", _check(stations, person_id=999999),
                    stations.health)
    assert missing.status_code == 404


def test_a_consent_is_recorded_and_withdrawn(stations, client):
    woman = stations.register.mother
    answer = _post(client, "/api/services/consents", {
        "person_id": woman.pk, "purpose": "follow_up", "service_code": "PRE_PREGNANCY",
        "method": "verbal", "witness": "王护士", "org_code": stations.register.town.code,
        "expires_on": "2027-06-15"}, stations.health)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "active" and body["given_on"] == TODAY.isoformat()
    assert body["information_version"].startswith("孕前优生")
    no_witness = _post(client, "/api/services/consents", {
        "person_id": woman.pk, "purpose": "service", "service_code": "PRE_PREGNANCY",
        "method": "verbal"}, stations.health)
    assert no_witness.status_code == 422 and "witness" in _fields(no_witness)
    consent(woman, stations.health, stations.register.town)
    pre_pregnancy_check(woman, stations.health, stations.register.town,
                        follow_ups=["pregnancy_outcome"])
    assert services.follow_up_list(stations.health).count() == 1
    # another subtree's health worker cannot find it
    url = f"/api/services/consents/{body['consent_id']}/withdraw"
    assert _post(client, url, {"note": "x"}, stations.street_health).status_code == 404
    withdrawn = _post(client, url, {"note": "本人不再需要随访"}, stations.health)
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawal_note"] == "本人不再需要随访"
    assert services.follow_up_list(stations.health).count() == 0
    assert Consent.objects.get(pk=body["consent_id"]).withdrawn_by == stations.health
    again = _post(client, url, {}, stations.health)
    assert again.status_code == 422 and "consent" in _fields(again)
    assert client.get("/api/services/follow-ups",
                      **_auth(stations.health)).json()["count"] == 0
    assert set(services.FollowUp.objects.values_list("state", flat=True)) == {
        FollowUpState.CANCELLED}


def test_another_units_encounters_are_withheld_unless_a_reason_is_given(stations, client):
    woman, town = stations.register.mother, stations.register.town
    consent(woman, stations.health, town)
    pre_pregnancy_check(woman, stations.health, town)
    own = client.get(f"/api/services/encounters?person_id={woman.pk}",
                     **_auth(stations.health)).json()
    assert len(own["encounters"]) == 1 and own["withheld"] == 0
    assert own["encounters"][0]["values"]["risk_assessment"] == "high"
    auth = _auth(stations.street_health)
    # she is not of 城关街道's units: its health worker may serve her once she has looked
    # her up by her whole ID number (logged), as when the woman stands at the station
    url = f"/api/services/encounters?person_id={woman.pk}"
    assert client.get(url, **auth).status_code == 404
    found = client.get(f"/api/services/persons?q={woman.id_number}", **auth).json()
    assert [p["person_id"] for p in found["results"]] == [woman.pk]
    assert woman.id_number not in str(found)  # masked
    withheld = client.get(url, **auth)
    assert withheld.status_code == 200
    body = withheld.json()
    assert body["encounters"] == [] and body["withheld"] == 1 and not body["broke_glass"]
    assert "high" not in withheld.content.decode()
    entry = AuditEntry.objects.filter(object_type="service_record", object_id=str(woman.pk),
                                      username=stations.street_health.username).latest("id")
    assert entry.details["withheld"] == 1
    short = client.get(f"/api/services/encounters?person_id={woman.pk}&reason=急", **auth)
    assert short.status_code == 422 and "reason" in _fields(short)
    opened = client.get(f"/api/services/encounters?person_id={woman.pk}"
                        "&reason=本人在南门社区就诊，需查看孕前检查结果", **auth).json()
    assert len(opened["encounters"]) == 1 and opened["broke_glass"] is True
    entry = AuditEntry.objects.filter(object_type="service_record", object_id=str(woman.pk),
                                      username=stations.street_health.username).latest("id")
    assert entry.details["access"] == services.BREAK_GLASS == "break_glass"
    assert entry.details["reason"].startswith("本人在南门社区")


def test_the_catalogue_lists_the_services_and_their_items(stations, client):
    answer = client.get("/api/services/catalogue", **_auth(stations.health))
    assert answer.status_code == 200
    found = {s["code"]: s for s in answer.json()}
    assert "PRE_PREGNANCY" in found
    items = {i["code"]: i for i in found["PRE_PREGNANCY"]["items"]}
    assert [c["code"] for c in items["risk_assessment"]["choices"]] == ["low", "high"]
    assert "pregnancy_status" not in answer.content.decode()


def test_the_api_answers_in_english_when_asked(stations, client):
    answer = client.post("/api/services/encounters", _check(stations), content_type="application/json",
                         HTTP_ACCEPT_LANGUAGE="en", **_auth(stations.health))
    assert answer.status_code == 422
    assert "no active consent" in _fields(answer)["consent"]


def test_every_operation_and_field_of_the_services_api_is_described():
    with translation.override("en"):
        schema = api.get_openapi_schema()
    missing = []
    for path, item in schema["paths"].items():
        if not path.startswith("/api/services"):
            continue
        for method, operation in item.items():
            for key in ("summary", "description"):
                if not operation.get(key):
                    missing.append(f"{method} {path} {key}")
            missing += [f"{method} {path} {p['name']}" for p in operation.get("parameters", [])
                        if not p.get("description")]
    names = ["EncounterIn", "ConsentIn", "WithdrawIn", "EncounterOut", "ConsentOut", "RecordOut",
             "FollowUpPage", "FollowUpOut", "CatalogueServiceOut", "ItemOut", "ChoiceOut",
             "FollowUpSpecOut", "ItemValue", "FollowUpBrief"]
    components = schema["components"]["schemas"]
    for name in names:
        missing += [f"{name}.{f}" for f, spec in components[name]["properties"].items()
                    if not spec.get("description")]
        if not components[name].get("description"):
            missing.append(name)
    assert missing == []
    assert components["EncounterIn"]["additionalProperties"] is False
