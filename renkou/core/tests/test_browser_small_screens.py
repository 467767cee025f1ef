"""Every main page on a phone (issue 14, item 6), in a real browser at 390 × 844: the
document never scrolls sideways, the menu is folded behind its button and opens on a
click (and stays open without JavaScript), the statistics and scorecard tables scroll in
their own box with the unit column kept in view, and a POST form is sent once, its
buttons waiting, while a GET search is left alone.

One browser, one log-in per role, on the demo county (its own stories for duplicates,
benefits, data quality and the statistics). A screenshot of each page is kept in the
test's temporary folder. Run just this with ``pytest -m browser``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from renkou.accounts.services import DEMO_PASSWORD, ensure_demo_users
from renkou.analytics import services as analytics
from renkou.conftest import log_in
from renkou.core import registry
from renkou.dedupe.models import CandidatePair
from renkou.quality.models import Violation
from renkou.register.models import Person
from renkou.synthetic.service import generate_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo_county(settings, tmp_path):
    settings.RENKOU_ANALYTICS_DIR = str(tmp_path / "analytics")
    generate_county(1_500, seed=5, defects=0.03)
    users = {username: org for username, _role, org in ensure_demo_users()}
    for step in registry.demo_steps():
        step.run(io.StringIO())
    analytics.refresh()
    return users


def _pages(users) -> dict[str, list[str]]:
    village = users["clerk"]
    person = Person.objects.filter(registered_org=village).order_by("pk").first()
    pair = CandidatePair.objects.order_by("pk").first()
    return {
        "county": ["/", f"/persons/?q={person.name[0]}", f"/persons/{person.pk}/",
                   f"/households/{person.household_id}/", "/stats/", "/quality/scorecard/",
                   "/quality/violations/", "/benefits/", "/benefits/applications/", "/dedupe/",
                   f"/dedupe/pairs/{pair.pk}/", "/org/", f"/org/{village.code}/",
                   "/reconciliation/", "/jobs/", "/accounts/users/", "/persons/new/"],
        "clerk": ["/", f"/persons/?q={person.name[0]}", f"/persons/{person.pk}/", "/persons/new/",
                  "/stats/", "/quality/scorecard/", f"/quality/worklist/{village.code}/",
                  "/benefits/"],
        "auditor": ["/", "/audit/"],
    }


def _sideways(page) -> list[int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def _check_menu(page) -> None:
    toggle, menu = page.locator("nav.nav .nav-toggle"), page.locator("#nav-menu")
    assert toggle.is_visible() and not menu.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert menu.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert menu.locator("a").first.is_visible()
    toggle.click()
    assert not menu.is_visible()


def test_a_phone_user_s_day_every_page_fits_the_menu_folds_tables_scroll_forms_send_once(
        live_server, demo_county, browser_page, tmp_path):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    shots = Path(tmp_path) / "screens"
    shots.mkdir()
    pages = _pages(demo_county)
    sideways, failed = [], []
    for username, paths in pages.items():
        log_in(page, live_server.url, username, DEMO_PASSWORD)
        for path in paths:
            response = page.goto(live_server.url + path)
            page.wait_for_load_state()
            if response.status != 200:
                failed.append((username, path, response.status))
            width, inner = _sideways(page)
            if width > inner:
                sideways.append((username, path, width))
            _check_menu(page)
            name = path.split("?")[0].strip("/").replace("/", "_") or "home"
            name += "-search" if "?" in path else ""
            page.screenshot(path=str(shots / f"{username}-{name}.png"), full_page=True)
        if username == "county":
            _check_unit_column_stays(page, live_server.url)
        if username == "clerk":
            _check_forms_send_once(page, live_server.url, demo_county["clerk"])
    assert failed == [] and sideways == []
    _check_menu_without_javascript(page, live_server.url)
    _check_error_page(page, live_server.url, shots)
    assert len(list(shots.glob("*.png"))) == sum(len(p) for p in pages.values()) + 1


def _check_unit_column_stays(page, base: str) -> None:
    """The statistics and scorecard tables, wider than the phone, scroll in their own box
    while their first column (the unit) stays in view."""
    for path, selector in (("/stats/", "#drilldown table"), ("/stats/", ".stats-table table"),
                           ("/quality/scorecard/", ".table-scroll table")):
        page.goto(base + path)
        page.wait_for_load_state()
        table = page.locator(selector).first
        table.scroll_into_view_if_needed()
        row = table.locator("tbody tr").first.locator("th, td")
        before = row.nth(0).bounding_box()["x"], row.nth(1).bounding_box()["x"]
        scrolled = table.evaluate("t => { t.scrollLeft = 120; return t.scrollLeft; }")
        assert scrolled > 0, (path, selector)  # wider than the phone: it scrolls …
        assert row.nth(0).bounding_box()["x"] == before[0]  # … but the unit stays put
        assert row.nth(1).bounding_box()["x"] < before[1]
        assert _sideways(page)[0] <= PHONE["width"]


def _check_forms_send_once(page, base: str, village) -> None:
    """A POST form: its buttons wait (disabled, aria-busy, "正在处理…") and a second press
    sends nothing, yet the pressed button's value is sent; the back-forward cache gives
    them back. A GET search is left alone."""
    finding = Violation.objects.filter(org__path__startswith=village.path, status="open").first()
    assert finding is not None
    page.goto(f"{base}/quality/worklist/{village.code}/")
    page.wait_for_load_state()
    sent: list[str] = []
    # the answer "204 No Content" leaves the page in place, as a slow answer would for a while
    page.route("**/resolve/", lambda route: (sent.append(route.request.post_data),
                                             route.fulfill(status=204)))
    action = f"/quality/violations/{finding.pk}/resolve/"
    state = """action => { const form = document.querySelector(`form[action="${action}"]`);
        const buttons = Array.from(form.querySelectorAll("button"));
        const note = form.querySelector(".busy-note");
        return {busy: form.getAttribute("aria-busy"), note: note && note.textContent,
                disabled: buttons.map(b => b.disabled),
                working: form.querySelector("button[value=fixed]").classList.contains("working")}; }"""
    page.locator(f"form[action='{action}'] button[value=fixed]").click(no_wait_after=True)
    page.wait_for_function("() => document.querySelector('form[aria-busy=true] button:disabled')")
    waiting = page.evaluate(state, action)
    assert waiting["busy"] == "true" and waiting["working"] and waiting["note"] == "正在处理…"
    assert waiting["disabled"] and all(waiting["disabled"])
    page.evaluate("action => document.querySelector(`form[action='${action}']`).requestSubmit()", action)
    page.wait_for_timeout(300)
    assert len(sent) == 1 and "status=fixed" in sent[0]  # sent once, with the pressed button's value
    page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    back = page.evaluate(state, action)
    assert back["busy"] is None and back["note"] is None and not back["working"]
    assert not any(back["disabled"])
    page.unroute("**/resolve/")

    page.goto(f"{base}/persons/")
    page.wait_for_load_state()
    search = page.locator("main form[method=get]").first
    page.route("**/persons/?*", lambda route: route.fulfill(status=204))
    search.locator("input[name=q]").fill("王")
    search.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert page.evaluate("""() => { const form = document.querySelector("main form[method=get]");
        return [form.getAttribute("aria-busy"), form.querySelector("button").disabled]; }""") == [None, False]
    page.unroute("**/persons/?*")


def _check_menu_without_javascript(page, base: str) -> None:
    context = page.context.browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        bare = context.new_page()
        bare.goto(base + "/accounts/login/")
        bare.fill("#id_username", "clerk")
        bare.fill("#id_password", DEMO_PASSWORD)
        bare.click("main button[type=submit]")  # the menu's first button switches the language
        bare.wait_for_load_state()
        assert bare.locator("#nav-menu").is_visible()
        assert not bare.locator("nav.nav .nav-toggle").is_visible()
        assert bare.locator("#nav-menu a", has_text="人员查询").is_visible()
        assert _sideways(bare)[0] <= PHONE["width"]
    finally:
        context.close()


def _check_error_page(page, base: str, shots: Path) -> None:
    """The 404 page on the phone: the layout, the folded menu, the way back (in a page of
    its own, whose console rightly reports the 404)."""
    context = page.context.browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        other = context.new_page()
        log_in(other, base, "county", DEMO_PASSWORD)
        other.goto(base + "/persons/")
        other.evaluate("() => { location.href = '/no-such-page/'; }")
        other.wait_for_url("**/no-such-page/")
        other.wait_for_load_state()
        assert other.locator("h1").inner_text() == "页面不存在"
        assert _sideways(other)[0] <= PHONE["width"]
        _check_menu(other)
        other.screenshot(path=str(shots / "error-404.png"), full_page=True)
        assert other.locator("a[data-back]").inner_text() == "← 返回上一页"
        other.click("a[data-back]")
        other.wait_for_url("**/persons/", wait_until="commit")  # maybe from the back-forward cache
    finally:
        context.close()
