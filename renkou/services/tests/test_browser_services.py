"""The service-record pages in a real browser (Debian's Chromium driven by Playwright): a
health worker of 和平镇's station finds a woman by pinyin initials, records her consent to
the free pre-pregnancy check and her consent to be followed up, records the check with
the catalogue's items, and finds the follow-up she agreed to on the follow-up list.

Run just this with ``pytest -m browser``."""

from __future__ import annotations

import pytest

from renkou.conftest import log_in, screenshot
from renkou.services.models import Consent, Encounter, FollowUp, Purpose
from renkou.testing.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_health_worker_records_consent_and_a_pre_pregnancy_check_and_the_follow_up_is_listed(
        live_server, stations, browser_page, settings, tmp_path):
    settings.RENKOU_ANALYTICS_DIR = str(tmp_path / "analytics")  # the home page: no figures yet
    woman = stations.register.mother
    page, base = browser_page, live_server.url
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, base, stations.health.username, PASSWORD)

    # find her by pinyin initials
    page.goto(f"{base}/services/")
    page.fill("input[name=q]", "lxy")
    page.click("form.searchbox button[type=submit]")
    row = page.locator("#found tbody tr", has_text="李秀英")
    assert row.count() == 1 and woman.id_number not in row.inner_text()
    screenshot(page, "services-search")
    row.locator("a").click()
    page.wait_for_selector("#consents")
    assert f"/services/person/{woman.pk}/" in page.url

    # her consent to receive the check (the information sheet: the catalogue's)
    page.click(f"a[href='/services/person/{woman.pk}/consent/']")
    page.select_option("select[name=purpose]", "service")
    page.select_option("select[name=service_code]", "PRE_PREGNANCY")
    page.select_option("select[name=method]", "paper")
    screenshot(page, "services-consent-form")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert "孕前优生健康检查知情同意书 2024 版" in page.locator("#consents").inner_text()

    # and, as she wishes, to be followed up: verbal, with a witness
    page.click(f"a[href='/services/person/{woman.pk}/consent/']")
    page.select_option("select[name=purpose]", "follow_up")
    page.select_option("select[name=service_code]", "PRE_PREGNANCY")
    page.select_option("select[name=method]", "verbal")
    page.fill("input[name=witness]", "王护士")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert page.locator("#consents tbody tr").count() == 2
    assert "王护士" in page.locator("#consents").inner_text()

    # the check, with the catalogue's items
    page.click(f"a[href='/services/person/{woman.pk}/encounter/']")
    page.click(f"#choose a[href='/services/person/{woman.pk}/encounter/PRE_PREGNANCY/']")
    page.wait_for_selector("#items")
    page.select_option("select[name=item_counselling]", "yes")
    page.fill("textarea[name=item_blood_pressure]", "118/76")
    page.select_option("select[name=item_risk_assessment]", "high")
    page.fill("textarea[name=item_advice]", "补充叶酸，三个月后复查")
    page.check("input[name=follow_ups][value=risk_review]")
    screenshot(page, "services-encounter-form")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(".messages li.success")
    values = page.locator("#values").inner_text()
    assert "高风险人群" in values and "补充叶酸，三个月后复查" in values and "118/76 mmHg" in values
    assert "高风险人群复查" in page.locator("#encounter-follow-ups").inner_text()
    screenshot(page, "services-encounter")

    encounter = Encounter.objects.get(person=woman)
    assert encounter.values["risk_assessment"] == "high" and encounter.at_risk is True
    assert encounter.consent == Consent.objects.get(person=woman, purpose=Purpose.SERVICE)

    # the follow-up she agreed to is on the list
    page.goto(f"{base}/services/follow-ups/")
    listed = page.locator("#follow-ups tbody tr", has_text="李秀英")
    assert listed.count() == 1 and "高风险人群复查" in listed.inner_text()
    assert FollowUp.objects.get(person=woman).kind == "risk_review"
    screenshot(page, "services-follow-ups")
