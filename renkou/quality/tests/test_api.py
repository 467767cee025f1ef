"""The data-quality JSON API: the stored scorecard (ranks, missing stays null, scope) and
the violations (scope, roles, masked ID numbers, filters)."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.accounts.models import Role, User
from renkou.accounts.services import issue_token
from renkou.core.models import AuditEntry
from renkou.quality import scorecard, services
from renkou.quality.models import Violation, ViolationStatus

from .conftest import TODAY, id_for, person

EAST_ID = id_for(dt.date(1988, 5, 4), "F")


@pytest.fixture
def api_get(client):
    def get(path: str, user: User, **headers):
        token = issue_token(user, "tests")
        return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)
    return get


@pytest.fixture
def stored(tree):
    """Hand-made stored scorecard: 东村 better on entry rate, 西村 has no residents (its
    rates are missing), 南村 lies in the other township."""
    def values(**v):
        return {"persons": 0, "residents": 0, "entry_rate": None, "accuracy": None,
                "duplicate_rate": None, "violations": 0, "violation_rate": None, **v}
    scorecard.save_scorecard({
        tree.county.pk: values(persons=30, residents=30, entry_rate=80.0, violation_rate=1.0),
        tree.town.pk: values(persons=20, residents=20, entry_rate=90.0),
        tree.east.pk: values(persons=20, residents=20, entry_rate=90.0, accuracy=97.5,
                             violations=1, violation_rate=50.0, whipple=104.0,
                             birth_outlier_months=["2026-01"], birth_outliers=1),
        tree.west.pk: values(),
        tree.town2.pk: values(persons=10, residents=10, entry_rate=60.0),
        tree.south.pk: values(persons=10, residents=10, entry_rate=60.0, whipple=130.0),
    })


# ------------------------------------------------------------------ scorecard

def test_scorecard_of_the_callers_unit_ranks_its_villages(api_get, users, tree, stored):
    response = api_get("/api/quality/scorecard", users.township)
    assert response.status_code == 200
    body = response.json()
    assert (body["org_code"], body["org_name"], body["level"]) == (tree.town.code, "和平镇", 3)
    assert body["computed_at"] is not None
    assert body["unit"]["measures"]["entry_rate"] == 90.0
    assert all(v is None for v in body["unit"]["ranks"].values())  # the unit itself: no rank
    rows = {r["org_code"]: r for r in body["rows"]}
    assert set(rows) == {tree.east.code, tree.west.code}  # 南村 is outside 和平镇
    east, west = rows[tree.east.code], rows[tree.west.code]
    assert (east["org_name"], east["level"]) == ("东村", 3)
    assert east["measures"]["accuracy"] == 97.5 and east["ranks"]["accuracy"] == 1
    assert east["measures"]["birth_outlier_months"] == ["2026-01"]
    # missing stays null, never 0, and has no rank
    assert west["measures"]["entry_rate"] is None and west["ranks"]["entry_rate"] is None
    assert west["measures"]["accuracy"] is None and west["measures"]["srb"] is None
    assert west["measures"]["persons"] == 0  # a count of nothing is 0
    assert east["ranks"]["entry_rate"] == 1


def test_scorecard_for_the_county_and_a_level(api_get, users, tree, stored):
    body = api_get(f"/api/quality/scorecard?org={tree.county.code}&level=3", users.county).json()
    rows = [r["org_code"] for r in body["rows"]]
    assert rows == [tree.east.code, tree.west.code, tree.south.code]
    by_code = {r["org_code"]: r for r in body["rows"]}
    assert by_code[tree.east.code]["ranks"]["whipple"] == 1  # |104 − 100| < |130 − 100|
    assert by_code[tree.south.code]["ranks"]["whipple"] == 2
    assert by_code[tree.south.code]["ranks"]["entry_rate"] == 2
    towns = api_get("/api/quality/scorecard", users.statistician).json()
    assert towns["level"] == 2 and [r["org_code"] for r in towns["rows"]] == [
        tree.town.code, tree.town2.code]


def test_scorecard_scope_and_roles(api_get, users, tree, stored):
    # a unit outside the caller's subtree answers 404, as one that does not exist
    assert api_get(f"/api/quality/scorecard?org={tree.town2.code}", users.township
                   ).status_code == 404
    assert api_get(f"/api/quality/scorecard?org={tree.county.code}", users.township
                   ).status_code == 404
    assert api_get("/api/quality/scorecard?org=999", users.county).status_code == 404
    auditor = User.objects.create(username="auditor", role=Role.AUDITOR, org=tree.county)
    assert api_get("/api/quality/scorecard", auditor).status_code == 403
    assert api_get("/api/quality/scorecard?level=9", users.county).status_code == 422


def test_scorecard_before_the_job_ran_is_empty_not_zero(api_get, users, tree):
    body = api_get("/api/quality/scorecard", users.township).json()
    assert body["computed_at"] is None and body["unit"] is None and body["rows"] == []


def test_scorecard_from_the_job(api_get, users, tree):
    person(tree.east, "东甲", "F", dt.date(1980, 1, 1), id_number=id_for(dt.date(1980, 1, 1), "F"))
    person(tree.east, "东乙", "M", dt.date(1981, 1, 1))
    scorecard.compute_scorecard(today=TODAY)
    rows = {r["org_code"]: r for r in api_get("/api/quality/scorecard", users.township
                                              ).json()["rows"]}
    assert rows[tree.east.code]["measures"]["entry_rate"] == 50.0
    assert rows[tree.east.code]["measures"]["residents"] == 2
    assert rows[tree.west.code]["measures"]["entry_rate"] is None
    assert rows[tree.west.code]["measures"]["timeliness"] is None


# ------------------------------------------------------------------ violations

@pytest.fixture
def defects(tree):
    """One finding per village: 东村 an ID number whose birth date disagrees, 西村 and
    南村 a person over 110."""
    east = person(tree.east, "东错", "F", dt.date(1988, 4, 5), id_number=EAST_ID)
    west = person(tree.west, "西错", "M", dt.date(1910, 1, 1))
    south = person(tree.south, "南错", "M", dt.date(1905, 1, 1))
    services.run_checks(today=TODAY)
    return east, west, south


def test_violations_in_the_callers_subtree_with_masked_ids(api_get, users, tree, defects):
    east, west, south = defects
    views = AuditEntry.objects.filter(action="view").count()
    response = api_get("/api/quality/violations", users.township)
    assert response.status_code == 200
    body = response.json()
    found = {(i["rule_code"], i["person_id"]) for i in body["items"]}
    assert ("ID_BIRTH_DATE", east.pk) in found and ("AGE_OVER_110", west.pk) in found
    assert south.pk not in {i["person_id"] for i in body["items"]}
    assert body["count"] == len(body["items"])
    item = next(i for i in body["items"] if i["person_id"] == east.pk)
    assert item["org_code"] == tree.east.code and item["name"] == "东错"
    assert item["id_number"] == EAST_ID[:6] + "********" + EAST_ID[-4:]
    assert EAST_ID not in response.content.decode()
    assert item["status"] == "open" and item["message"]
    old = next(i for i in body["items"] if i["person_id"] == west.pk)
    assert "110" in old["message"] and old["id_number"] == ""
    # a list with masked ID numbers is not a view of a person record
    assert AuditEntry.objects.filter(action="view").count() == views


def test_violation_filters_and_language(api_get, users, tree, defects):
    east, west, _south = defects
    v = Violation.objects.get(rule_code="AGE_OVER_110", person=west)
    services.resolve(v, status=ViolationStatus.ACCEPTED, comment="户口本核实", user=users.township)
    accepted = api_get("/api/quality/violations?status=accepted", users.township).json()
    assert [(i["person_id"], i["comment"]) for i in accepted["items"]] == [(west.pk, "户口本核实")]
    assert accepted["items"][0]["resolved_at"] is not None
    only_id = api_get("/api/quality/violations?rule=ID_BIRTH_DATE", users.township).json()
    assert {i["person_id"] for i in only_id["items"]} == {east.pk}
    west_only = api_get(f"/api/quality/violations?org={tree.west.code}", users.township).json()
    assert {i["person_id"] for i in west_only["items"]} == {west.pk}
    paged = api_get("/api/quality/violations?page_size=1&page=2", users.township).json()
    assert paged["page"] == 2 and len(paged["items"]) == 1 and paged["count"] >= 2
    english = api_get("/api/quality/violations?rule=AGE_OVER_110&status=accepted",
                      users.township, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["items"][0]["message"].startswith("Aged")
    chinese = api_get("/api/quality/violations?rule=AGE_OVER_110&status=accepted",
                      users.township).json()
    assert chinese["items"][0]["message"].startswith("年龄")


def test_violations_scope_and_roles(api_get, users, tree, defects):
    east, _west, _south = defects
    clerk = api_get("/api/quality/violations", users.clerk).json()
    assert {i["org_code"] for i in clerk["items"]} == {tree.east.code}
    assert api_get(f"/api/quality/violations?org={tree.south.code}", users.township
                   ).status_code == 404
    assert api_get(f"/api/quality/violations?org={tree.west.code}", users.clerk
                   ).status_code == 404
    # the statistician reads aggregates, never person rows
    assert api_get("/api/quality/violations", users.statistician).status_code == 403
    assert api_get("/api/quality/violations?status=bogus", users.township).status_code == 422


def test_no_token_answers_401(client, defects):
    assert client.get("/api/quality/violations").status_code == 401
    assert client.get("/api/quality/scorecard").status_code == 401
