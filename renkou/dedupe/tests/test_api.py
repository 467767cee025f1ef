"""The duplicate pairs' JSON API: the review queue's scope, roles, masking, filters and the
per-field explanation."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.accounts.models import Role, User
from renkou.accounts.services import issue_token
from renkou.core.models import AuditEntry
from renkou.dedupe import services
from renkou.dedupe.models import CandidatePair, PairStatus
from renkou.register import services as register
from renkou.register.models import HukouType, Sex


def _user(username: str, role: str, org) -> User:
    return User.objects.create(username=username, role=role, org=org)


@pytest.fixture
def api_get(client):
    def get(path: str, user: User | None = None, **headers):
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(user, 'tests')}"
        return client.get(path, **headers)
    return get


def _pair(a, b, probability: float, status: str = PairStatus.PENDING,
          explanation: dict | None = None) -> CandidatePair:
    lo, hi = sorted((a, b), key=lambda p: p.pk)
    return CandidatePair.objects.create(person_a=lo, person_b=hi, probability=probability,
                                        match_weight=round(probability * 10, 3), status=status,
                                        explanation=explanation or {})


@pytest.fixture
def pairs(small_register):
    """Four hand-made pairs: two inside 和平镇 (one pending, one judged different), one
    inside the street's community, one across the township and the street."""
    r = small_register
    common = {"event_date": dt.date(2022, 5, 1), "hukou_type": HukouType.RURAL}
    zhang_dup = register.enrol_person(name="张小明", sex=Sex.MALE, birth_date=dt.date(1990, 3, 7),
                                      org=r.village, **common)
    li_dup = register.enrol_person(name="李秀英", sex=Sex.FEMALE, birth_date=dt.date(1992, 5, 10),
                                   org=r.village, **common)
    wang_dup = register.enrol_person(name="王芳", sex=Sex.FEMALE, birth_date=dt.date(1995, 1, 8),
                                     org=r.community, **common)
    return {
        "zhang": _pair(r.zxm, zhang_dup, 0.97, explanation={
            "name": {"level": "same_pinyin", "weight": 5.25},
            "birth_date": {"level": "exact", "weight": 7.5},
            "id_number": {"level": "one_missing_adult", "weight": -1.0}}),
        "li": _pair(r.mother, li_dup, 0.9, status=PairStatus.DIFFERENT),
        "wang": _pair(r.wang, wang_dup, 0.6, explanation={
            "birth_date": {"level": "day_month_swapped", "weight": 3.0}}),
        "across": _pair(r.zxm, r.zhao, 0.8),
    }


def test_pending_pairs_of_the_callers_subtree_masked(api_get, small_register, pairs):
    r = small_register
    town = _user("town", Role.TOWNSHIP_OFFICER, r.town)
    views = AuditEntry.objects.filter(action="view").count()
    response = api_get("/api/dedupe/pairs", town)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and [i["id"] for i in body["items"]] == [pairs["zhang"].pk]
    item = body["items"][0]
    zhang = pairs["zhang"]
    assert (item["person_a"], item["person_b"]) == (r.zxm.pk, zhang.person_b_id)
    assert (item["name_a"], item["name_b"]) == ("张晓明", "张小明")
    # beside the birth date only the area code shows: the two must not rebuild the number
    assert item["id_number_a"] == r.zxm.id_number[:6] + "*" * 12
    assert item["id_number_b"] == ""
    assert r.zxm.id_number not in response.content.decode()
    assert (item["org_code_a"], item["org_code_b"]) == (r.village.code, r.village.code)
    assert item["birth_date_a"] == "1990-03-07"
    assert item["probability"] == 0.97 and item["match_weight"] == 9.7
    assert item["status"] == "pending"
    # a list with masked ID numbers is not a view of the records
    assert AuditEntry.objects.filter(action="view").count() == views


def test_explanation_per_field(api_get, small_register, pairs):
    town = _user("town", Role.TOWNSHIP_OFFICER, small_register.town)
    explanation = api_get("/api/dedupe/pairs", town).json()["items"][0]["explanation"]
    assert [f["field"] for f in explanation] == list(services.EXPLANATION_FIELDS)
    by_field = {f["field"]: f for f in explanation}
    assert by_field["name"] == {"field": "name", "label": "姓名", "level": "same_pinyin",
                                "level_label": "拼音相同（同音）", "agreement": "agree", "weight": 5.25}
    assert by_field["birth_date"]["weight"] == 7.5 and by_field["birth_date"]["level"] == "exact"
    assert by_field["id_number"]["weight"] == -1.0
    # not scored: missing, no weight (never 0)
    assert by_field["father_name"]["level"] == "missing"
    assert by_field["father_name"]["weight"] is None
    english = api_get("/api/dedupe/pairs", town, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["items"][0]["explanation"][0]["level_label"] == "same pinyin"


def test_scope_status_and_probability(api_get, small_register, pairs):
    r = small_register
    county = _user("county", Role.COUNTY_OFFICER, r.county)
    street = _user("street", Role.TOWNSHIP_OFFICER, r.street)
    town = _user("town", Role.TOWNSHIP_OFFICER, r.town)
    ids = lambda body: [i["id"] for i in body["items"]]  # noqa: E731
    assert ids(api_get("/api/dedupe/pairs", county).json()) == [
        pairs["zhang"].pk, pairs["across"].pk, pairs["wang"].pk]  # most probable first
    assert ids(api_get("/api/dedupe/pairs?min_probability=0.7", county).json()) == [
        pairs["zhang"].pk, pairs["across"].pk]
    # a pair with one record outside the caller's subtree is not shown
    assert ids(api_get("/api/dedupe/pairs", street).json()) == [pairs["wang"].pk]
    assert ids(api_get("/api/dedupe/pairs?status=different", town).json()) == [pairs["li"].pk]
    assert ids(api_get("/api/dedupe/pairs?status=different", street).json()) == []
    assert ids(api_get("/api/dedupe/pairs?status=same", county).json()) == []
    paged = api_get("/api/dedupe/pairs?page=2&page_size=2", county).json()
    assert (paged["count"], ids(paged)) == (3, [pairs["wang"].pk])


def test_roles_and_bad_parameters(api_get, small_register, pairs):
    r = small_register
    for role, org in ((Role.VILLAGE_CLERK, r.village), (Role.STATISTICIAN, r.county),
                      (Role.AUDITOR, r.county)):
        assert api_get("/api/dedupe/pairs", _user(role, role, org)).status_code == 403
    county = _user("county", Role.COUNTY_OFFICER, r.county)
    assert api_get("/api/dedupe/pairs?status=maybe", county).status_code == 422
    assert api_get("/api/dedupe/pairs?min_probability=1.5", county).status_code == 422
    assert api_get("/api/dedupe/pairs").status_code == 401


def test_pairs_from_a_detection_run(api_get, dup_register):
    r = dup_register
    services.run_detection()
    town = _user("street", Role.TOWNSHIP_OFFICER, r.street)
    items = api_get("/api/dedupe/pairs", town).json()["items"]
    wang = next(i for i in items if {i["person_a"], i["person_b"]} == {r.wang.pk, r.wang_dup.pk})
    assert wang["probability"] >= services.REVIEW_FLOOR
    levels = {f["field"]: f["level"] for f in wang["explanation"]}
    assert levels["birth_date"] == "day_month_swapped" and levels["name"] == "exact"
    assert all(isinstance(f["weight"], float) for f in wang["explanation"]
               if f["level"] != "missing")
