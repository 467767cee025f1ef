"""The migrant pages in a real browser (Debian's Chromium driven by Playwright): a village
clerk registers an arrival through the form, choosing the residence in the org-unit
tree, and finds the newcomer in the inflow list with the ID number masked; then registers
a departure, choosing the person with the person picker by pinyin initials.

Run just these with ``pytest -m browser``."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.accounts.roles import Role
from renkou.conftest import log_in, screenshot
from renkou.migrants.models import Direction, Message, MessageType, MigrantSpell
from renkou.testing.factories import PASSWORD, make_id_number, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_registers_an_arrival_with_the_pickers_and_sees_it_listed(
        live_server, small_register, browser_page, settings, tmp_path):
    settings.RENKOU_ANALYTICS_DIR = str(tmp_path / "analytics")  # the home page: no figures yet
    make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    page, base = browser_page, live_server.url
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, base, "clerk", PASSWORD)

    page.goto(f"{base}/migrants/")
    page.click("a:has-text('流入登记') >> nth=0")
    page.wait_for_selector("h1:has-text('流入登记')")
    born = dt.date(1996, 4, 2)
    number = make_id_number(born, "M", area="340621", seq=31)
    page.fill("input[name=id_number]", number)
    page.fill("input[name=name]", "孙建国")
    page.check("input[name=sex][value=M]")
    page.fill("input[name=birth_date]", born.isoformat())
    page.fill("input[name=hukou_code]", "340621")
    # the residence in the unit tree (renkou.js stands it in for the drop-down list)
    select = page.locator("select[name=residence_org]")
    assert select.is_hidden()
    page.locator("#id_residence_org").click()
    panel = page.locator(".unit-tree-panel")
    panel.locator("input[type=search]").fill("东村")
    panel.locator(f".unit-tree-pick[data-code='{small_register.village.code}']").click()
    assert select.input_value() == small_register.village.code
    page.fill("input[name=arrival_date]", "2026-11-02")
    page.select_option("select[name=reason]", "work")
    screenshot(page, "migrants-arrival-form")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".messages li.success")
    assert "孙建国" in page.locator("h1").inner_text()
    assert "340621000000" in page.locator("#places").inner_text()
    screenshot(page, "migrants-spell")

    spell = MigrantSpell.objects.get(person__id_number=number)
    assert (spell.direction, spell.residence_org_id, spell.hukou_code) == (
        Direction.INFLOW, small_register.village.pk, "340621000000")
    assert Message.objects.get(spell=spell).type == MessageType.ARRIVAL_NOTICE

    page.goto(f"{base}/migrants/inflow/")
    row = page.locator("#spells tbody tr", has_text="孙建国")
    assert row.count() == 1
    text = row.inner_text()
    assert number not in text and number[:6] + "********" + number[-4:] in text
    assert "东村" in text and "务工经商" in text and "流入通报" in text
    screenshot(page, "migrants-inflow-list")

    # a departure: the person chosen with the picker, by pinyin initials
    page.goto(f"{base}/migrants/departure/")
    page.wait_for_selector(".person-picker")
    page.locator("#id_person").press_sequentially("zxm", delay=60)
    option = page.locator("#id_person_list li[role=option]", has_text="张晓明")
    option.click()
    assert page.locator("input[name=person]").input_value() == str(small_register.zxm.pk)
    page.fill("input[name=departure_date]", "2026-10-20")
    page.fill("input[name=destination_code]", "320505")
    page.fill("input[name=destination_address]", "江苏省苏州市高新区")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".messages li.success")
    outflow = MigrantSpell.objects.get(person=small_register.zxm)
    assert (outflow.direction, outflow.residence_code) == (Direction.OUTFLOW, "320505000000")
    page.goto(f"{base}/migrants/outflow/")
    assert "张晓明" in page.locator("#spells").inner_text()
    page.goto(f"{base}/persons/{small_register.zxm.pk}/")
    places = page.locator("#migrant-places").inner_text()
    assert "320505000000" in places and "江苏省苏州市高新区" in places
    screenshot(page, "migrants-person-places")
