"""The register's JSON API: tokens, scope (404), roles (403), masking, logging, writes."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.accounts.models import ApiToken, Role, User
from renkou.accounts.services import issue_token, revoke_tokens
from renkou.core import clock
from renkou.core.models import AuditAction, AuditEntry
from renkou.register import services
from renkou.register.models import LifeEvent, Person, PersonStatus

from .conftest import make_id_number


def _user(username: str, role: str, org) -> User:
    """A user who reaches the API by token only (no password to hash)."""
    return User.objects.create(username=username, role=role, org=org)


@pytest.fixture
def township(small_register) -> User:
    """A township officer of 和平镇: sees 张晓明 and 李秀英, not the street's 王芳 and 赵强."""
    return _user("township", Role.TOWNSHIP_OFFICER, small_register.town)


@pytest.fixture
def api_get(client):
    def get(path: str, token: str | None = None, **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client.get(path, **headers)
    return get


@pytest.fixture
def api_post(client):
    def post(path: str, body: dict, token: str | None = None, **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client.post(path, body, content_type="application/json", **headers)
    return post


@pytest.fixture
def token(township) -> str:
    return issue_token(township, "tests")


# ------------------------------------------------------------------ authentication

def test_no_token_or_a_bad_one_answers_401(api_get, token):
    assert api_get("/api/persons").status_code == 401
    response = api_get("/api/persons", "not-a-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "detail" in response.json()


def test_token_is_stored_hashed_and_can_be_revoked(api_get, township, token):
    stored = ApiToken.objects.get(user=township)
    assert token not in (stored.key_hash, stored.prefix) and token.startswith(stored.prefix)
    assert api_get("/api/persons", token).status_code == 200
    assert ApiToken.objects.get(pk=stored.pk).last_used is not None
    assert revoke_tokens(township) == 1
    assert api_get("/api/persons", token).status_code == 401


def test_inactive_user_token_answers_401(api_get, township, token):
    township.is_active = False
    township.save()
    assert api_get("/api/persons", token).status_code == 401


def test_logged_in_session_may_read_but_not_write(client, township, small_register):
    client.force_login(township)
    assert client.get("/api/persons").status_code == 200
    body = {"event_type": "death", "event_date": "2024-01-01"}
    response = client.post(f"/api/persons/{small_register.zxm.pk}/events", body,
                           content_type="application/json")
    assert response.status_code == 401
    assert Person.objects.get(pk=small_register.zxm.pk).status == PersonStatus.RESIDENT


# ------------------------------------------------------------------ reading persons

def test_person_list_is_scoped_masked_and_carries_person_id(api_get, token, small_register):
    data = api_get("/api/persons", token).json()
    assert data["count"] == 2
    by_id = {item["person_id"]: item for item in data["items"]}
    assert set(by_id) == {small_register.zxm.pk, small_register.mother.pk}
    zxm = by_id[small_register.zxm.pk]
    full = small_register.zxm.id_number
    assert zxm["id_number"] == full[:6] + "********" + full[-4:]
    assert zxm["org_code"] == small_register.village.code
    assert zxm["household_no"] == "0010001"
    assert zxm["status"] == "resident"


def test_person_search_and_filters(api_get, token, small_register):
    assert [i["name"] for i in api_get("/api/persons?q=zxm", token).json()["items"]] == ["张晓明"]
    assert api_get("/api/persons?q=王芳", token).json()["count"] == 0  # outside the township
    assert api_get(f"/api/persons?org={small_register.village.code}", token).json()["count"] == 2
    assert api_get("/api/persons?status=dead", token).json()["count"] == 0
    page = api_get("/api/persons?page_size=1&page=2", token).json()
    assert (page["count"], page["page"], len(page["items"])) == (2, 2, 1)
    assert api_get("/api/persons?page_size=1&page=3", token).json()["items"] == []


def test_person_list_org_outside_scope_answers_404(api_get, token, small_register):
    assert api_get(f"/api/persons?org={small_register.street.code}", token).status_code == 404


def test_person_list_query_count_does_not_grow_with_rows(api_get, token, small_register,
                                                         django_assert_max_num_queries):
    for i in range(5):
        services.enrol_person(name=f"测试{i}", sex="M", birth_date=dt.date(2000, 1, 1),
                              hukou_type="rural", org=small_register.village,
                              household=small_register.household, relationship="other")
    with django_assert_max_num_queries(6):
        data = api_get("/api/persons", token).json()
    assert data["count"] == 7


def test_person_detail_shows_full_id_and_is_logged(api_get, token, small_register):
    zxm = small_register.zxm
    response = api_get(f"/api/persons/{zxm.pk}", token)
    assert response.status_code == 200
    data = response.json()
    assert data["id_number"] == zxm.id_number
    assert data["person_id"] == zxm.pk
    assert data["household_id"] == small_register.household.pk
    entry = AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="person").get()
    assert (entry.object_id, entry.username, entry.channel) == (str(zxm.pk), "township", "api")
    assert entry.role == Role.TOWNSHIP_OFFICER


def test_person_outside_scope_or_missing_answers_404(api_get, token, small_register):
    for path in (f"/api/persons/{small_register.wang.pk}",
                 f"/api/persons/{small_register.wang.pk}/events",
                 "/api/persons/999999"):
        response = api_get(path, token)
        assert response.status_code == 404, path
        assert response.json() == api_get("/api/persons/999999", token).json()
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW).exists()


def test_person_events(api_get, token, small_register):
    events = api_get(f"/api/persons/{small_register.zxm.pk}/events", token).json()
    assert [e["event_type"] for e in events] == ["enrol"]
    assert events[0]["org_code"] == small_register.village.code
    assert events[0]["person_id"] == small_register.zxm.pk


# ------------------------------------------------------------------ roles

@pytest.mark.parametrize("role", [Role.STATISTICIAN, Role.AUDITOR])
def test_roles_without_person_access_answer_403(api_get, small_register, role):
    key = issue_token(_user("someone", role, small_register.county), "")
    for path in ("/api/persons", f"/api/persons/{small_register.zxm.pk}", "/api/households",
                 f"/api/households/{small_register.household.pk}", "/api/events"):
        assert api_get(path, key).status_code == 403, path


def test_statistician_cannot_write(api_post, small_register):
    key = issue_token(_user("stat", Role.STATISTICIAN, small_register.county), "")
    body = {"event_type": "death", "event_date": "2024-01-01"}
    assert api_post(f"/api/persons/{small_register.zxm.pk}/events", body, key).status_code == 403
    birth = {"mother_id": small_register.mother.pk, "name": "张小宝", "sex": "M",
             "birth_date": "2024-01-01"}
    assert api_post("/api/births", birth, key).status_code == 403


def test_village_clerk_sees_only_her_village(api_get, small_register):
    key = issue_token(_user("clerk", Role.VILLAGE_CLERK, small_register.community), "")
    ids = {i["person_id"] for i in api_get("/api/persons", key).json()["items"]}
    assert ids == {small_register.wang.pk, small_register.zhao.pk}
    assert api_get(f"/api/persons/{small_register.zxm.pk}", key).status_code == 404


# ------------------------------------------------------------------ households and events

def test_households(api_get, token, small_register):
    data = api_get("/api/households?q=0010", token).json()
    assert data["count"] == 1
    item = data["items"][0]
    assert (item["household_no"], item["members"], item["head_person_id"]) == (
        "0010001", 2, small_register.zxm.pk)
    detail = api_get(f"/api/households/{item['household_id']}", token).json()
    assert {m["person_id"] for m in detail["member_list"]} == {small_register.zxm.pk,
                                                              small_register.mother.pk}
    assert all("*" in m["id_number"] for m in detail["member_list"])
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="household",
                                     object_id=str(item["household_id"])).exists()


def test_household_outside_scope_answers_404(api_get, small_register):
    key = issue_token(_user("clerk", Role.VILLAGE_CLERK, small_register.community), "")
    assert api_get(f"/api/households/{small_register.household.pk}", key).status_code == 404
    assert api_get("/api/households", key).json()["count"] == 0


def test_event_list_filters(api_get, token, small_register):
    assert api_get("/api/events", token).json()["count"] == 2
    assert api_get("/api/events?type=birth", token).json()["count"] == 0
    assert api_get("/api/events?from=2020-01-02", token).json()["count"] == 0
    assert api_get("/api/events?to=2020-01-01&type=enrol", token).json()["count"] == 2
    one = api_get(f"/api/events?person_id={small_register.mother.pk}", token).json()
    assert [e["person_id"] for e in one["items"]] == [small_register.mother.pk]
    # a person outside the subtree has no events here
    assert api_get(f"/api/events?person_id={small_register.wang.pk}", token).json()["count"] == 0


# ------------------------------------------------------------------ writing

def test_record_death(api_post, token, small_register):
    zxm = small_register.zxm
    body = {"event_type": "death", "event_date": "2024-03-01", "cause": "心脏病"}
    response = api_post(f"/api/persons/{zxm.pk}/events", body, token)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["event_type"], data["event_date"], data["recorded_via"]) == (
        "death", "2024-03-01", "api")
    assert Person.objects.get(pk=zxm.pk).status == PersonStatus.DEAD
    event = LifeEvent.objects.get(pk=data["event_id"])
    assert event.recorded_by.username == "township"
    entry = AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(zxm.pk)).first()
    assert (entry.username, entry.channel) == ("township", "api")


@pytest.mark.date_sensitive
def test_refusal_is_422_in_chinese_by_default_and_english_on_request(api_post, token,
                                                                    small_register):
    path = f"/api/persons/{small_register.zxm.pk}/events"
    future = (clock.today() + dt.timedelta(days=3)).isoformat()
    body = {"event_type": "death", "event_date": future}
    response = api_post(path, body, token)
    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": "event_date", "message": "事件日期晚于今天"}]}
    response = api_post(path, body, token, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"][0]["message"] == "the event date is in the future"
    assert Person.objects.get(pk=small_register.zxm.pk).status == PersonStatus.RESIDENT


def test_marriage_rules_and_references(api_post, token, small_register):
    path = f"/api/persons/{small_register.zxm.pk}/events"
    body = {"event_type": "marriage", "event_date": "2024-01-01",
            "spouse_id": small_register.mother.pk}
    response = api_post(path, body, token, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "person_id",
                                            "message": "张晓明 is already married"}
    # a spouse outside the caller's subtree is as unknown as a missing one
    body["spouse_id"] = small_register.zhao.pk
    response = api_post(path, body, token, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"][0]["field"] == "spouse_id"


def test_move_within_and_unknown_org(api_post, token, small_register):
    path = f"/api/persons/{small_register.mother.pk}/events"
    body = {"event_type": "move_within", "event_date": "2024-01-01", "org_code": "999999999999"}
    response = api_post(path, body, token)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "org_code"
    body["org_code"] = small_register.town.code
    assert api_post(path, body, token).status_code == 201
    assert Person.objects.get(pk=small_register.mother.pk).registered_org == small_register.town


def test_write_outside_scope_answers_404(api_post, token, small_register):
    body = {"event_type": "move_out", "event_date": "2024-01-01"}
    response = api_post(f"/api/persons/{small_register.wang.pk}/events", body, token)
    assert response.status_code == 404
    assert Person.objects.get(pk=small_register.wang.pk).status == PersonStatus.RESIDENT


def test_malformed_body_answers_422_with_errors(api_post, token, small_register):
    path = f"/api/persons/{small_register.zxm.pk}/events"
    response = api_post(path, {"event_type": "abduction", "event_date": "2024-01-01"}, token)
    assert response.status_code == 422
    assert response.json()["errors"]
    response = api_post(path, {"event_type": "marriage", "event_date": "2024-01-01"}, token)
    assert response.status_code == 422
    assert any("spouse_id" in e["field"] for e in response.json()["errors"])


def test_record_birth(api_post, token, small_register):
    born = dt.date(2023, 6, 1)
    id_number = make_id_number(born, "M", seq=34)
    body = {"mother_id": small_register.mother.pk, "father_id": small_register.zxm.pk,
            "name": "张小宝", "sex": "M", "birth_date": born.isoformat(), "id_number": id_number}
    response = api_post("/api/births", body, token)
    assert response.status_code == 201, response.content
    child = response.json()
    assert child["id_number"] == id_number[:6] + "********" + id_number[-4:]
    assert child["household_no"] == "0010001"
    person = Person.objects.get(pk=child["person_id"])
    assert (person.mother_id, person.father_id, person.birth_order) == (
        small_register.mother.pk, small_register.zxm.pk, 1)


def test_birth_refusals(api_post, token, small_register):
    body = {"mother_id": small_register.zxm.pk, "name": "张小宝", "sex": "M",
            "birth_date": "2023-06-01"}
    response = api_post("/api/births", body, token, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"errors": [{"field": "mother_id",
                                           "message": "the mother must be a woman"}]}
    body["mother_id"] = small_register.wang.pk  # outside the township
    response = api_post("/api/births", body, token)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mother_id"
    body.update(mother_id=small_register.mother.pk, id_number="110101202306011234")
    response = api_post("/api/births", body, token, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"][0]["field"] == "id_number"


# ------------------------------------------------------------------ schema and docs

def test_openapi_schema_documents_errors_and_bearer_auth(client):
    schema = client.get("/api/openapi.json").json()
    get_person = schema["paths"]["/api/persons/{person_id}"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(get_person["responses"])
    post = schema["paths"]["/api/persons/{person_id}/events"]["post"]
    assert post["security"] == [{"TokenAuth": []}]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_docs_page_loads_no_asset_from_the_internet(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "cdn" not in html.lower() and "https://" not in html


# ------------------------------------------------------------------ the access log

def test_audit_log_for_auditors_only(api_get, token, small_register):
    zxm = small_register.zxm
    api_get(f"/api/persons/{zxm.pk}", token)
    assert api_get("/api/audit", token).status_code == 403
    key = issue_token(_user("auditor", Role.AUDITOR, small_register.county), "")
    data = api_get(f"/api/audit?action=view&object_id={zxm.pk}", key).json()
    assert data["count"] == 1
    item = data["items"][0]
    assert (item["user"], item["object_type"], item["object_id"], item["channel"]) == (
        "township", "person", str(zxm.pk), "api")
    # an auditor of another township does not read this township's users
    other = issue_token(_user("auditor2", Role.AUDITOR, small_register.street), "")
    assert api_get(f"/api/audit?action=view&object_id={zxm.pk}", other).json()["count"] == 0


# ------------------------------------------------------------------ corrections

def test_corrections_through_the_api(api_post, api_get, token, small_register):
    zxm = small_register.zxm
    death = services.record_death(zxm, event_date=dt.date(2024, 5, 1))
    path = f"/api/events/{death.pk}/corrections"
    refused = api_post(path, {"action": "replace", "reason": "  ", "event_date": "2024-04-01"},
                       token)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    future = api_post(path, {"action": "replace", "reason": "日期有误",
                             "event_date": "2099-01-01"}, token)
    assert future.status_code == 422
    replaced = api_post(path, {"action": "replace", "reason": "日期有误",
                               "event_date": "2024-04-01"}, token)
    assert replaced.status_code == 201
    correction = replaced.json()
    assert correction["event_type"] == "correction"
    assert correction["supersedes_event_id"] == death.pk
    again = api_post(path, {"action": "void", "reason": "x"}, token)
    assert again.status_code == 422  # the death is corrected already: correct the correction
    voided = api_post(f"/api/events/{correction['event_id']}/corrections",
                      {"action": "void", "reason": "死亡登记错误，本人健在"}, token)
    assert voided.status_code == 201
    zxm.refresh_from_db()
    assert zxm.status == PersonStatus.DEAD  # voiding the correction restores the death
    entry = AuditEntry.objects.filter(object_type="person", object_id=str(zxm.pk),
                                      action=AuditAction.CHANGE).count()
    assert entry == 2
    wang_event = small_register.wang.events.get()
    outside = api_post(f"/api/events/{wang_event.pk}/corrections",
                       {"action": "void", "reason": "x"}, token)
    assert outside.status_code == 404
