"""The access log page: who may read it, whose entries an auditor reads, the filters,
paging, and that viewing a person record shows up in it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from renkou.accounts.models import Role, User
from renkou.core import audit
from renkou.core.models import AuditAction, AuditEntry
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural

pytestmark = pytest.mark.django_db

URL = "/audit/"


def _unit(code, name, kind, parent=None):
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural=UrbanRural.RURAL)
    unit.save()
    return unit


@pytest.fixture
def tree():
    county = _unit("110101000000", "东城县", OrgKind.COUNTY)
    town_a = _unit("110101001000", "和平镇", OrgKind.TOWN, county)
    village_a = _unit("110101001201", "东村", OrgKind.VILLAGE, town_a)
    town_b = _unit("110101002000", "城关街道", OrgKind.STREET, county)
    return county, town_a, village_a, town_b


def _user(username, role, org):
    return User.objects.create_user(username=username, password="x-unused-Pass-2024",
                                    role=role, org=org)


@pytest.fixture
def people(tree):
    county, town_a, village_a, town_b = tree
    return {
        "clerk_a": _user("clerk_a", Role.VILLAGE_CLERK, village_a),
        "clerk_b": _user("clerk_b", Role.VILLAGE_CLERK, town_b),
        "auditor_a": _user("auditor_a", Role.AUDITOR, town_a),
        "auditor": _user("auditor", Role.AUDITOR, county),
        "statistician": _user("statistician", Role.STATISTICIAN, county),
        "officer": _user("officer", Role.COUNTY_OFFICER, county),
    }


@pytest.fixture
def entries(people):
    """One entry per kind of actor: a clerk in town A, a clerk in town B, nobody."""
    with audit.acting(people["clerk_a"], "10.0.0.1", "web"):
        a = audit.record(AuditAction.VIEW, "person", 11)
    with audit.acting(people["clerk_b"], "10.0.0.2", "web"):
        b = audit.record(AuditAction.EXPORT, "persons", details={"rows": 3})
    with audit.acting(None, "10.0.0.9", "web"):
        nobody = audit.record(AuditAction.LOGIN_FAILED, "user", "",
                              details={"username": "clerk_a"})
    return {"a": a, "b": b, "nobody": nobody}


def _shown(client, **params) -> list[AuditEntry]:
    """The entries on the page, leaving out the auditor's own log-in (force_login)."""
    response = client.get(URL, params)
    assert response.status_code == 200
    return [e for e in response.context["entries"] if e.action != AuditAction.LOGIN]


@pytest.mark.parametrize("who", ["clerk_a", "statistician", "officer"])
def test_only_auditors_read_the_log(client, people, who):
    client.force_login(people[who])
    assert client.get(URL).status_code == 403


def test_the_log_needs_a_login(client, people):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_an_auditor_reads_its_subtree_and_unattributed_entries(client, people, entries):
    client.force_login(people["auditor_a"])
    assert set(_shown(client)) == {entries["a"], entries["nobody"]}


def test_a_county_auditor_reads_every_entry_in_the_county(client, people, entries):
    client.force_login(people["auditor"])
    assert set(_shown(client)) >= set(entries.values())


def test_an_auditor_bound_to_no_org_unit_reads_nothing(client, entries):
    loose = User.objects.create_user(username="loose", password="x-unused-Pass-2024",
                                      role=Role.AUDITOR)
    client.force_login(loose)
    assert _shown(client) == []


def test_filters(client, people, entries):
    client.force_login(people["auditor"])
    assert set(_shown(client, username="clerk_a")) == {entries["a"], entries["nobody"]}
    assert _shown(client, username="clerk_b") == [entries["b"]]
    assert _shown(client, action=AuditAction.EXPORT) == [entries["b"]]
    assert _shown(client, object_type="person", object_id="11") == [entries["a"]]
    assert _shown(client, object_id="12") == []
    assert _shown(client, client_address="10.0.0.2") == [entries["b"]]


def test_date_filters_take_whole_days_in_the_site_time_zone(client, people, clock):
    client.force_login(people["auditor"])
    day = dt.date(2024, 3, 1)
    clock.move_to(day, at=dt.time(23, 30))  # Asia/Shanghai
    with audit.acting(people["clerk_a"], "10.0.0.1", "web"):
        entries = {"a": audit.record(AuditAction.VIEW, "person", 11)}
    clock.move_to(day + dt.timedelta(days=1), at=dt.time(0, 30))
    with audit.acting(people["clerk_b"], "10.0.0.2", "web"):
        entries["b"] = audit.record(AuditAction.EXPORT, "persons", details={"rows": 3})
    clock.restore()
    assert _shown(client, date_from="2024-03-01", date_to="2024-03-01") == [entries["a"]]
    assert _shown(client, date_from="2024-03-02", date_to="2024-03-02") == [entries["b"]]
    assert entries["a"] not in _shown(client, date_from=(day + dt.timedelta(days=1)).isoformat())


def test_an_invalid_filter_is_reported_and_ignored(client, people, entries):
    client.force_login(people["auditor"])
    response = client.get(URL, {"date_from": "yesterday", "client_address": "not-an-ip"})
    assert response.status_code == 400  # bad input is a 400, with the message and the log
    assert len(response.context["entries"]) >= 3
    assert "筛选条件无效" in response.content.decode()


def test_pages_of_fifty_newest_first_in_one_query(client, people, django_assert_max_num_queries):
    client.force_login(people["auditor_a"])  # logged first, so the 120 views are the newest
    with audit.acting(people["clerk_a"], "10.0.0.1", "web"):
        for i in range(120):
            audit.record(AuditAction.VIEW, "person", i)
    # session, user, the user's org unit, and one query for the page of entries
    with django_assert_max_num_queries(4):
        first = client.get(URL)
    rows = first.context["entries"]
    assert len(rows) == 50 and first.context["has_next"] and not first.context["has_previous"]
    assert [e.object_id for e in rows[:3]] == ["119", "118", "117"]
    last = client.get(URL, {"page": 3})
    assert [e.object_id for e in last.context["entries"]] == [str(i) for i in range(19, -1, -1)] \
        + [str(people["auditor_a"].pk)]  # and the auditor's own log-in, the oldest entry
    assert not last.context["has_next"]
    assert "page=2" in last.content.decode()


def test_an_auditor_lands_on_its_dashboard_of_the_log_and_sees_only_its_links(client, people):
    client.force_login(people["auditor"])
    home = client.get(reverse("register:home")).content.decode()
    assert "访问与变更日志" in home and "最新日志" in home and f'href="{URL}"' in home
    html = client.get(URL).content.decode()
    assert "访问与变更日志" in html
    for page in (home, html):
        assert reverse("register:search") not in page and reverse("orgunits:tree") not in page


def test_entries_show_user_action_object_and_address(client, people, entries):
    client.force_login(people["auditor"])
    html = client.get(URL).content.decode()
    assert "clerk_b" in html and "10.0.0.2" in html and "行数: 3" in html
    assert "导出" in html and "登录失败" in html
