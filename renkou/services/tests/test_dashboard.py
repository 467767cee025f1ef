"""The service records on the home page: a health worker's follow-ups, requests and
encounters; an auditor's break-the-glass reads, with the log filtered on them; nothing of
them for a clerk."""

from __future__ import annotations

import datetime as dt
import html as markup
import re

import pytest
from django.urls import reverse

from renkou.accounts.roles import Role
from renkou.core.audit import acting
from renkou.core.dashboard import DashboardRequest
from renkou.services import services
from renkou.services.dashboard import break_glass_panel, health_panel
from renkou.services.models import Purpose, RequestState

from .conftest import TODAY, consent, pre_pregnancy_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(stations):
    """At 和平镇's station (on 2026-06-15): 李秀英 checked 40 and 25 days ago (a risk
    review each: one overdue, one due in 5 days), 10 days ago and today (this month);
    a request of 张晓明 waiting, another withdrawn."""
    r, health = stations.register, stations.health
    woman = r.mother
    consent(woman, health, r.town, given_on=TODAY - dt.timedelta(days=70))
    consent(woman, health, r.town, purpose=Purpose.FOLLOW_UP, given_on=TODAY - dt.timedelta(days=70))
    for days in (40, 25):
        pre_pregnancy_check(woman, health, r.town, date=TODAY - dt.timedelta(days=days),
                            follow_ups=["risk_review"])  # due 10 days ago, in 5 days
    pre_pregnancy_check(woman, health, r.town, date=TODAY - dt.timedelta(days=10))
    pre_pregnancy_check(woman, health, r.town)
    services.request_service(r.zxm, service_code="SCREENING", requested_on=TODAY, org=r.town,
                             user=health)
    withdrawn = services.request_service(r.zxm, service_code="PREMARITAL", requested_on=TODAY,
                                         org=r.town, user=health)
    services.close_request(withdrawn, state=RequestState.WITHDRAWN, user=health)
    return stations


def _home(client, user) -> tuple:
    client.force_login(user)
    response = client.get(reverse("register:home"))
    assert response.status_code == 200
    return response.context["board"], response.content.decode()


def test_a_health_worker_sees_the_follow_ups_due_and_overdue_requests_and_this_month(client, served):
    board, html = _home(client, served.health)
    panel = board.panel("services-work")
    # encounters this month, requests waiting, follow-ups due in 14 days, overdue
    assert [f.value for f in panel.figures] == ["2", "1", "1", "1"]
    follow_ups, index = reverse("services:follow_ups"), reverse("services:index")
    assert [(item.count, item.overdue, item.url) for item in board.work
            if item.url.startswith("/services")] == [
        (1, True, follow_ups), (1, False, follow_ups), (1, False, index + "#waiting")]
    rows = panel.data["rows"]
    assert [(row["follow_up"].due_on, row["overdue"]) for row in rows] == [
        (TODAY - dt.timedelta(days=10), True), (TODAY + dt.timedelta(days=5), False)]
    assert 'id="panel-services-work"' in html and "李秀英" in html
    assert reverse("services:person", args=[served.register.mother.pk]) in html
    # the unit above counts them too; another township's station does not
    county = health_panel(DashboardRequest(served.county_health, today=TODAY))[0]
    assert [f.value for f in county.figures] == ["2", "1", "1", "1"]
    street = health_panel(DashboardRequest(served.street_health, today=TODAY))[0]
    assert [f.value for f in street.figures] == ["0", "0", "0", "0"] and street.work == []


def test_withdrawing_the_follow_up_consent_empties_the_panel_s_follow_ups(served):
    woman = served.register.mother
    services.withdraw_consent(services.active_consent(woman, Purpose.FOLLOW_UP, "PRE_PREGNANCY"),
                              user=served.health)
    panel = health_panel(DashboardRequest(served.health, today=TODAY))[0]
    assert [f.value for f in panel.figures][2:] == ["0", "0"] and panel.data["rows"] == []


def test_an_auditor_sees_the_break_the_glass_reads_and_the_log_filtered_on_them(client, served):
    auditor = served.roles[Role.AUDITOR]
    board, _html = _home(client, auditor)
    assert "services-break-glass" not in [p.key for p in board.panels]  # none yet: no panel
    woman = served.register.mother
    with acting(served.street_health):
        services.service_record(served.street_health, woman, reason="本人到我所就诊，需了解检查结果")
    with acting(served.health):
        services.service_record(served.health, woman)  # its own unit's record: no glass broken
    board, html = _home(client, auditor)
    panel = board.panel("services-break-glass")
    assert [f.value for f in panel.figures] == ["1"]
    row, = panel.data["rows"]
    assert row["entry"].username == served.street_health.username
    assert row["reason"] == "本人到我所就诊，需了解检查结果" and row["units"] == served.register.town.code
    links = {markup.unescape(u) for u in re.findall(r'href="([^"]*)"', html)}
    url = next(u for u in links if "access=break_glass" in u)
    assert url.startswith(reverse("core:audit")) and "object_type=service_record" in url
    log = client.get(url)
    assert log.status_code == 200
    shown = [e for e, _text in log.context["lines"]]
    assert [e.details["access"] for e in shown] == ["break_glass"]
    assert len(client.get(reverse("core:audit"), {"object_type": "service_record"}).context["lines"]) == 2
    # the panel ignores reads older than 30 days
    assert break_glass_panel(DashboardRequest(auditor, today=TODAY + dt.timedelta(days=31))) == []


def test_a_clerk_and_a_statistician_see_no_service_panel(client, served):
    with acting(served.street_health):
        services.service_record(served.street_health, served.register.mother, reason="本人到我所就诊")
    for role in (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.STATISTICIAN):
        board, _html = _home(client, served.roles[role])
        assert not [p.key for p in board.panels if p.key.startswith("services-")], role


def test_the_panels_ask_the_database_a_few_questions(served, django_assert_max_num_queries):
    with acting(served.street_health):
        services.service_record(served.street_health, served.register.mother, reason="本人到我所就诊")
    with django_assert_max_num_queries(4):  # follow-ups counted, requests, encounters, listed
        health_panel(DashboardRequest(served.health, today=TODAY))
    with django_assert_max_num_queries(2):  # the latest reads, their count when five or more
        break_glass_panel(DashboardRequest(served.roles[Role.AUDITOR], today=TODAY))
