"""The whole benefit path in a real browser (Debian's Chromium driven by Playwright):
a village clerk screens and opens an application, the clerk and the township review
it, the township posts the public notice, the county approves once the notice has
run, generates the year's roster and downloads it; then a death recorded in the
ledger stops the payment on the next roster. Run with ``pytest -m browser``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from renkou.benefits.models import Application, Roster
from renkou.conftest import log_in, screenshot
from renkou.core import clock
from renkou.register import services as reg

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, username: str) -> None:
    log_in(page, base, username, PASSWORD)


def _decide(page, base: str, app: Application, comment: str) -> None:
    page.goto(f"{base}/benefits/applications/{app.pk}/")
    page.check("input[name=decision][value=pass]")
    page.fill("textarea[name=comment]", comment)
    page.click("text=登记审核意见")
    page.wait_for_load_state()


def test_screen_apply_review_notice_approve_roster_and_a_death_stops_it(
        live_server, users, elderly_couple, browser_page):
    page, base = browser_page, live_server.url
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    year = clock.today().year - 1

    _log_in(page, base, "clerk")  # village clerk of 东村
    page.goto(f"{base}/benefits/screen/?programme=rural-reward&year={year}")
    page.check("input[name=person][aria-label=王大山]")
    screenshot(page, "benefits-screen")
    page.click("text=为所选人员受理申请")
    page.wait_for_load_state()
    app = Application.objects.get(person=elderly_couple.father)
    assert app.state == "submitted" and app.source == "screening"
    _decide(page, base, app, "村级核实无误")

    _log_in(page, base, "township")
    _decide(page, base, app, "乡镇审核通过")
    app.refresh_from_db()
    assert app.state == "township_passed"
    page.goto(f"{base}/benefits/applications/")
    page.check(f"input[name=application][value='{app.pk}']")
    page.select_option("select[name=programme] >> nth=-1", "rural-reward")
    started = clock.today() - dt.timedelta(days=10)  # a notice that has already run 7 days
    page.fill("input[name=starts_on]", started.isoformat())
    page.click("text=发布公示")
    page.wait_for_load_state()
    assert "公示" in page.content() and elderly_couple.father.id_number not in page.content()
    screenshot(page, "benefits-notice")

    _log_in(page, base, "countyofficer")
    _decide(page, base, app, "县级审批")
    app.refresh_from_db()
    assert app.state == "approved"
    page.goto(f"{base}/benefits/rosters/")
    page.select_option("select[name=programme]", "rural-reward")
    page.fill("input[name=period]", str(year))
    page.click("button:has-text(\"生成花名册\")")
    page.wait_for_load_state()  # the roster is a background job: its page, then the worker
    call_command("worker", batch=True, verbosity=0)
    page.reload()
    page.click("text=查看结果")
    page.wait_for_load_state()
    roster = Roster.objects.get(programme="rural-reward", period=str(year))
    assert "王大山" in page.content()
    with page.expect_download() as download:
        page.click("text=Excel")
    assert download.value.suggested_filename.endswith(".xlsx")
    screenshot(page, "benefits-roster")

    # the ledger records his death this year (mid-March, or today early in the year):
    # this year's roster pays up to the month of death and stops the application
    today = clock.today()
    died = min(dt.date(today.year, 3, 15), today)
    reg.record_death(elderly_couple.father, event_date=died, user=users.clerk)
    page.goto(f"{base}/benefits/rosters/")
    page.select_option("select[name=programme]", "rural-reward")
    page.fill("input[name=period]", str(died.year))
    page.click("button:has-text(\"生成花名册\")")
    page.wait_for_load_state()
    call_command("worker", batch=True, verbosity=0)
    app.refresh_from_db()
    assert app.state == "stopped" and app.ended_on.month == died.month
    assert roster.pk != Roster.objects.get(programme="rural-reward", period=str(died.year)).pk
    page.goto(f"{base}/benefits/persons/{elderly_couple.father.pk}/")
    assert "已终止" in page.content()
    screenshot(page, "benefits-history")
