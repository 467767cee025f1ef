"""Pages in Chinese, scoped and guarded; exports and person views logged; the command."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from renkou.benefits.models import Application
from renkou.benefits.workflow import open_applications
from renkou.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_pages_render_in_chinese(as_user, users, elderly_couple):
    c = as_user(users.county)
    for name in ("index", "screen", "applications", "notices", "rosters", "requalify", "figures"):
        response = c.get(reverse(f"benefits:{name}"))
        assert response.status_code == 200, name
    assert "农村部分计划生育家庭奖励扶助" in c.get(reverse("benefits:index")).content.decode()
    # a county's screening is a background job (test_screening_jobs); a township's is
    # computed while the page waits
    page = as_user(users.township).get(reverse("benefits:screen"),
                                       {"programme": "rural-reward", "year": 2025})
    body = page.content.decode()
    assert "王大山" in body and elderly_couple.father.id_number not in body
    assert "筛查" in body
    county = as_user(users.county)  # the same client, logged in as the county officer
    assert "开始筛查" in county.get(reverse("benefits:screen"),
                                 {"programme": "rural-reward", "year": 2025}).content.decode()


def test_screen_open_review_from_pages(as_user, users, elderly_couple):
    c = as_user(users.clerk)
    r = c.post(reverse("benefits:open_bulk"), {"programme": "rural-reward", "year": "2025",
                                               "person": [elderly_couple.father.pk]})
    assert r.status_code == 302
    app = Application.objects.get()
    r = c.post(reverse("benefits:decide", args=[app.pk]), {"decision": "pass", "comment": "核实"})
    app.refresh_from_db()
    assert app.state == "village_passed"
    assert c.get(reverse("benefits:application", args=[app.pk])).status_code == 200
    other = as_user(users.other_clerk)
    assert other.get(reverse("benefits:application", args=[app.pk])).status_code == 404


def test_screening_csv_is_logged(as_user, users, elderly_couple):
    c = as_user(users.clerk)
    r = c.get(reverse("benefits:screen"), {"programme": "rural-reward", "year": 2025,
                                           "format": "csv"})
    rows = list(csv.reader(r.content.decode("utf-8-sig").splitlines()))
    assert rows[0][0] == "person_id"
    assert {int(row[0]) for row in rows[1:]} == {elderly_couple.father.pk, elderly_couple.mother.pk}
    entry = AuditEntry.objects.get(action="export", object_type="benefit_screening")
    assert entry.details["rows"] == 2 and entry.username == "clerk"


def test_person_history_is_a_logged_person_view(as_user, users, elderly_couple):
    open_applications(users.clerk, "rural-reward", 2025, [elderly_couple.father.pk])
    c = as_user(users.clerk)
    r = c.get(reverse("benefits:person", args=[elderly_couple.father.pk]))
    assert r.status_code == 200 and "王大山" in r.content.decode()
    assert AuditEntry.objects.filter(action="view", object_type="person",
                                     object_id=str(elderly_couple.father.pk)).exists()
    assert as_user(users.other_clerk).get(
        reverse("benefits:person", args=[elderly_couple.father.pk])).status_code == 404


def test_roles_outside_benefits_get_403(as_user, users):
    c = as_user(users.statistician)
    assert c.get(reverse("benefits:index")).status_code == 403
    assert c.get(reverse("benefits:figures")).status_code == 200
    clerk = as_user(users.clerk)
    r = clerk.post(reverse("benefits:version_add", args=["rural-reward"]),
                   {"effective_from": "2026-01-01", "rate": "default", "amount": "1000"})
    assert r.status_code == 403


def test_command_screen_writes_person_id_first(tmp_path, elderly_couple, users):
    out = tmp_path / "s.csv"
    call_command("benefits", "screen", "--programme", "rural-reward", "--year", "2025",
                 "--out", str(out), "--user", "township")
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["person_id", "name", "id_number"]
    assert len(rows) == 3
    assert AuditEntry.objects.filter(object_type="benefit_screening", username="township").exists()


def test_command_figures_and_versions(tmp_path, capsys, users, elderly_couple):
    call_command("benefits", "add-version", "--programme", "rural-reward", "--from", "2025-07-01",
                 "--amount", "1200")
    out = tmp_path / "s.csv"
    call_command("benefits", "screen", "--programme", "rural-reward", "--year", "2025",
                 "--out", str(out))
    assert "1080.00" in out.read_text(encoding="utf-8-sig")
    app = Application.objects.create(programme="rural-reward", year=2025,
                                     person=elderly_couple.father,
                                     org=elderly_couple.father.registered_org,
                                     source="walk_in", state="approved",
                                     approved_on=dt.date(2025, 1, 1))
    call_command("benefits", "roster", "--programme", "rural-reward", "--period", "2025",
                 "--xlsx", str(tmp_path / "r.xlsx"), "--bank-csv", str(tmp_path / "b.csv"),
                 "--paid-on", "2026-01-10")
    assert app.payments.get().paid
    capsys.readouterr()
    call_command("benefits", "figures", "--year", "2025", "--format", "json")
    assert '"payment_rate": 100.0' in capsys.readouterr().out


def test_api_figures_and_applications(client, users, elderly_couple):
    from renkou.accounts.services import issue_token

    open_applications(users.clerk, "rural-reward", 2025, [elderly_couple.father.pk])
    token = issue_token(users.clerk)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    r = client.get("/api/benefits/applications", **auth)
    assert r.status_code == 200
    [item] = r.json()
    assert item["person_id"] == elderly_couple.father.pk and "*" in item["id_number"]
    assert client.get("/api/benefits/figures?year=2025", **auth).json() == []
    assert len(client.get("/api/benefits/programmes", **auth).json()) == 4
    stat = issue_token(users.statistician)
    assert client.get("/api/benefits/applications",
                      HTTP_AUTHORIZATION=f"Bearer {stat}").status_code == 403


def test_screening_page_is_logged_and_decision_form_only_for_the_step_role(as_user, users,
                                                                           elderly_couple):
    c = as_user(users.clerk)
    c.get(reverse("benefits:screen"), {"programme": "rural-reward", "year": 2025})
    assert AuditEntry.objects.filter(action="view", object_type="benefit_screening",
                                     username="clerk").exists()
    [app] = open_applications(users.clerk, "rural-reward", 2025, [elderly_couple.father.pk])
    page = c.get(reverse("benefits:application", args=[app.pk])).content.decode()
    assert reverse("benefits:decide", args=[app.pk]) in page
    page = as_user(users.township).get(reverse("benefits:application", args=[app.pk])).content.decode()
    assert reverse("benefits:decide", args=[app.pk]) not in page
    r = as_user(users.township).post(reverse("benefits:decide", args=[app.pk]), {"decision": "pass"})
    assert r.status_code == 403


def test_rosters_and_requalification_are_county_steps(as_user, users, elderly_couple):
    from renkou.benefits.requalification import requalify
    from renkou.benefits.rosters import generate_roster

    c = as_user(users.clerk)
    assert c.get(reverse("benefits:rosters")).status_code == 200  # she sees them
    assert c.post(reverse("benefits:roster_new"),
                  {"programme": "rural-reward", "period": "2025"}).status_code == 403
    assert c.get(reverse("benefits:requalify")).status_code == 403
    assert c.post(reverse("benefits:requalify"),
                  {"programme": "rural-reward", "year": "2025"}).status_code == 403
    with pytest.raises(PermissionDenied):
        generate_roster(users.clerk, "rural-reward", "2025")
    with pytest.raises(PermissionDenied):
        requalify(users.clerk, "rural-reward", 2025)
