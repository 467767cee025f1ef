"""Role × org-unit matrix: no role reads or writes outside its scope, through pages,
the API and exports.

County 示范县 has two townships; township 一镇 has villages 甲村 and 乙村, township
二镇 has 丙村; one person lives in each village. Each role is tried at the levels it
is used at, against every person: a record outside the user's subtree answers 404,
a record the user's role may not read answers 403, and a refused write changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from renkou.accounts.models import Role, User
from renkou.orgunits.models import OrgUnit
from renkou.register import services
from renkou.register.exporting import export_persons
from renkou.register.models import Household, LifeEvent, Person

PASSWORD = "matrix-test-pass-2026"
VILLAGES = ("v1a", "v1b", "v2a")

#: user key → (role, org key, villages whose persons it may read and change)
USERS = {
    "clerk_v1a": (Role.VILLAGE_CLERK, "v1a", {"v1a"}),
    "township_t1": (Role.TOWNSHIP_OFFICER, "t1", {"v1a", "v1b"}),
    "township_t2": (Role.TOWNSHIP_OFFICER, "t2", {"v2a"}),
    "county": (Role.COUNTY_OFFICER, "county", {"v1a", "v1b", "v2a"}),
    "statistician_county": (Role.STATISTICIAN, "county", set()),
    "statistician_t1": (Role.STATISTICIAN, "t1", set()),
    "auditor": (Role.AUDITOR, "county", set()),
}
#: roles that may read person records at all (others get 403 for records in scope)
READERS = {Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER}


def _unit(code, name, kind, parent, urban_rural="rural"):
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural=urban_rural)
    unit.save()
    return unit


@pytest.fixture
def world(db):
    county = _unit("340621000000", "示范县", "county", None)
    t1 = _unit("340621100000", "一镇", "town", county)
    t2 = _unit("340621101000", "二镇", "town", county)
    orgs = {
        "county": county, "t1": t1, "t2": t2,
        "v1a": _unit("340621100201", "甲村", "village", t1),
        "v1b": _unit("340621100202", "乙村", "village", t1),
        "v2a": _unit("340621101201", "丙村", "village", t2),
    }
    persons = {}
    for i, key in enumerate(VILLAGES):
        household = Household.objects.create(household_no=f"H{i}", org=orgs[key])
        persons[key] = services.enrol_person(
            name=f"居民{i}", sex="F", birth_date=dt.date(1980, 1, 1 + i), org=orgs[key],
            hukou_type="rural", household=household, relationship="head",
            event_date=dt.date(2020, 1, 1),
        )
    users = {
        key: User.objects.create_user(username=key, password=PASSWORD, role=role,
                                      org=orgs[org_key])
        for key, (role, org_key, _) in USERS.items()
    }
    return SimpleNamespace(orgs=orgs, persons=persons, users=users)


def expected_read(user_key: str, village: str) -> int:
    role, _org, scope = USERS[user_key]
    if role not in READERS:
        return 403
    return 200 if village in scope else 404


CASES = [(u, v) for u in USERS for v in VILLAGES]


@pytest.mark.parametrize(("user_key", "village"), CASES)
def test_person_page(client, world, user_key, village):
    client.force_login(world.users[user_key])
    person = world.persons[village]
    response = client.get(reverse("register:person", args=[person.pk]))
    assert response.status_code == expected_read(user_key, village)
    household = client.get(reverse("register:household", args=[person.household_id]))
    assert household.status_code == expected_read(user_key, village)


@pytest.mark.parametrize(("user_key", "village"), CASES)
def test_recording_a_death_through_the_form(client, world, user_key, village):
    client.force_login(world.users[user_key])
    person = world.persons[village]
    before = LifeEvent.objects.count()
    response = client.post(reverse("register:event", args=[person.pk, "death"]),
                           {"event_date": "2024-05-01", "cause": ""})
    expected = expected_read(user_key, village)
    if expected == 200:
        assert response.status_code == 302
        assert Person.objects.get(pk=person.pk).status == "dead"
    else:
        assert response.status_code == expected
        assert LifeEvent.objects.count() == before
        assert Person.objects.get(pk=person.pk).status == "resident"


@pytest.mark.parametrize("user_key", list(USERS))
def test_search_lists_only_the_users_subtree(client, world, user_key):
    client.force_login(world.users[user_key])
    response = client.get(reverse("register:search"), {"q": "居民"})
    role, _org, scope = USERS[user_key]
    if role not in READERS:
        assert response.status_code == 403
        return
    shown = {v for v in VILLAGES if world.persons[v].name in response.content.decode()}
    assert shown == scope


@pytest.mark.parametrize("user_key", list(USERS))
def test_export_contains_only_the_users_subtree(tmp_path, world, user_key):
    user = world.users[user_key]
    role, _org, scope = USERS[user_key]
    out = tmp_path / "persons.csv"
    if role not in READERS:
        with pytest.raises(PermissionDenied):
            export_persons(out, user=user)
        return
    export_persons(out, user=user)
    names = out.read_text(encoding="utf-8-sig")
    assert {v for v in VILLAGES if world.persons[v].name in names} == scope
    as_of = tmp_path / "as_of.csv"
    export_persons(as_of, user=user, as_of=dt.date(2021, 1, 1))
    names = as_of.read_text(encoding="utf-8-sig")
    assert {v for v in VILLAGES if world.persons[v].name in names} == scope
    for org_key, unit in world.orgs.items():
        inside = org_key in scope or any(
            world.persons[v].registered_org.path.startswith(unit.path) for v in scope)
        if not inside:
            with pytest.raises(OrgUnit.DoesNotExist):
                export_persons(tmp_path / f"{org_key}.csv", user=user, org=unit.code)


@pytest.mark.parametrize("target", VILLAGES)
def test_a_move_cannot_take_a_person_outside_the_users_subtree(client, world, target):
    client.force_login(world.users["clerk_v1a"])
    person = world.persons["v1a"]
    response = client.post(reverse("register:event", args=[person.pk, "move-within"]),
                           {"event_date": "2024-05-01", "org_code": world.orgs[target].code,
                            "household_no": ""})
    person.refresh_from_db()
    if target == "v1a":  # inside her subtree, but already there: refused for that reason
        assert response.status_code == 200 and person.registered_org == world.orgs["v1a"]
    else:
        assert response.status_code == 200  # the form again, with the reason
        assert person.registered_org == world.orgs["v1a"]
        assert world.orgs[target].code in response.content.decode()


def test_enrolment_cannot_borrow_a_household_outside_the_users_subtree(client, world):
    client.force_login(world.users["clerk_v1a"])
    before = Person.objects.count()
    response = client.post(reverse("register:enrol"), {
        "event_date": "2024-05-01", "name": "新人", "sex": "M", "birth_date": "1990-01-01",
        "hukou_type": "rural", "marital_status": "single", "relationship": "other",
        "ethnicity": "01", "org_code": world.orgs["v1a"].code, "household_no": "H2",
    })
    assert response.status_code == 200
    assert Person.objects.count() == before


# ---------------------------------------------------------------- the JSON API


def _bearer(world, user_key: str) -> dict:
    from renkou.accounts.services import issue_token

    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(world.users[user_key], 'matrix')}"}


@pytest.mark.parametrize(("user_key", "village"), CASES)
def test_api_person_and_household(client, world, user_key, village):
    auth = _bearer(world, user_key)
    person = world.persons[village]
    assert client.get(f"/api/persons/{person.pk}", **auth).status_code == \
        expected_read(user_key, village)
    assert client.get(f"/api/households/{person.household_id}", **auth).status_code == \
        expected_read(user_key, village)
    assert client.get(f"/api/persons/{person.pk}/events", **auth).status_code == \
        expected_read(user_key, village)


@pytest.mark.parametrize("user_key", list(USERS))
def test_api_lists_only_the_users_subtree(client, world, user_key):
    auth = _bearer(world, user_key)
    role, _org, scope = USERS[user_key]
    response = client.get("/api/persons", {"page_size": 100}, **auth)
    if role not in READERS:
        assert response.status_code == 403
        return
    ids = {item["person_id"] for item in response.json()["items"]}
    assert ids == {world.persons[v].pk for v in scope}
    events = client.get("/api/events", {"page_size": 100}, **auth).json()["items"]
    assert {e["person_id"] for e in events} == ids


@pytest.mark.parametrize(("user_key", "village"), CASES)
def test_api_recording_a_death(client, world, user_key, village):
    auth = _bearer(world, user_key)
    person = world.persons[village]
    before = LifeEvent.objects.count()
    response = client.post(f"/api/persons/{person.pk}/events",
                           {"event_type": "death", "event_date": "2024-05-01"},
                           content_type="application/json", **auth)
    expected = expected_read(user_key, village)
    if expected == 200:
        assert response.status_code in (200, 201)
        assert Person.objects.get(pk=person.pk).status == "dead"
    else:
        assert response.status_code == expected
        assert LifeEvent.objects.count() == before


@pytest.mark.parametrize("target", VILLAGES)
def test_api_move_cannot_leave_the_users_subtree(client, world, target):
    auth = _bearer(world, "clerk_v1a")
    person = world.persons["v1a"]
    response = client.post(f"/api/persons/{person.pk}/events",
                           {"event_type": "move_within", "event_date": "2024-05-01",
                            "org_code": world.orgs[target].code},
                           content_type="application/json", **auth)
    assert response.status_code == 422
    person.refresh_from_db()
    assert person.registered_org == world.orgs["v1a"]
