"""The pickers in a real browser (Debian's Chromium driven by Playwright): a village
clerk types pinyin initials in the mother picker of a birth form, tells two women named
李秀英 apart by birth date and records the birth with the right one; a county officer
chooses a move destination in the org-unit tree.

Run just these with ``pytest -m browser``."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.accounts.models import Role, User
from renkou.conftest import log_in
from renkou.conftest import screenshot as _shot
from renkou.register import services
from renkou.register.models import EventType, HukouType, LifeEvent, Person
from renkou.testing.factories import PASSWORD, make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, url: str, username: str) -> None:
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, url, username, PASSWORD)
    page.wait_for_selector("nav.nav")


def test_a_clerk_picks_the_mother_by_pinyin_initials_among_namesakes(
        live_server, small_register, browser_page):
    born = dt.date(1988, 11, 2)
    namesake = services.enrol_person(
        name="李秀英", sex="F", birth_date=born, org=small_register.village,
        id_number=make_id_number(born, "F", seq=71), hukou_type=HukouType.RURAL,
        event_date=dt.date(2020, 1, 1))
    User.objects.create_user(username="clerk", password=PASSWORD, role=Role.VILLAGE_CLERK,
                             org=small_register.village)
    page = browser_page
    _log_in(page, live_server.url, "clerk")
    father = small_register.zxm
    page.goto(f"{live_server.url}/persons/{father.pk}/events/birth/")
    page.wait_for_selector("h1:has-text('生育登记')")
    # the father is the page's person, chosen already; the number is in a hidden field
    assert page.locator("input[name=father]").get_attribute("type") == "hidden"
    assert page.locator("input[name=father]").input_value() == str(father.pk)
    assert "张晓明" in page.locator(".person-picker", has=page.locator("#id_father")).inner_text()

    page.locator("#id_mother").press_sequentially("lxy", delay=60)
    options = page.locator("#id_mother_list li[role=option]")
    options.nth(1).wait_for()
    assert options.count() == 2
    texts = options.all_inner_texts()
    assert all("李秀英" in t and "东村" in t for t in texts)
    assert all(small_register.mother.id_number not in t and namesake.id_number not in t
               for t in texts)
    _shot(page, "picker_namesakes")
    options.filter(has_text="1992-05-10").click()
    assert page.locator("input[name=mother]").input_value() == str(small_register.mother.pk)
    assert "1992-05-10" in page.locator(".picker-chosen").first.inner_text()

    page.fill("input[name=name]", "张小宝")
    page.check("input[name=sex][value=M]")
    page.fill("input[name=birth_date]", "2024-06-01")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".messages li.success")

    child = Person.objects.get(name="张小宝")
    assert (child.mother_id, child.father_id) == (small_register.mother.pk, father.pk)
    birth = LifeEvent.objects.get(person=child)
    assert birth.event_type == EventType.BIRTH
    assert birth.payload["mother_id"] == small_register.mother.pk
    assert not namesake.children_as_mother.exists()


def test_an_officer_picks_a_move_destination_in_the_unit_tree(live_server, small_register,
                                                              browser_page):
    User.objects.create_user(username="officer", password=PASSWORD, role=Role.COUNTY_OFFICER,
                             org=small_register.county)
    page = browser_page
    _log_in(page, live_server.url, "officer")
    zhao = small_register.zhao  # registered in 南门社区 (城关街道)
    page.goto(f"{live_server.url}/persons/{zhao.pk}/events/move-within/")
    page.fill("input[name=event_date]", "2024-05-01")
    select = page.locator("select[name=org_code]")
    assert select.is_hidden()  # the tree stands in for the drop-down list

    toggle = page.locator("#id_org_code")
    toggle.click()
    panel = page.locator(".unit-tree-panel")
    town, village = small_register.town, small_register.village
    village_button = panel.locator(f".unit-tree-pick[data-code='{village.code}']")
    assert panel.locator(f".unit-tree-pick[data-code='{town.code}']").is_visible()
    assert not village_button.is_visible()  # under 和平镇, closed
    panel.locator(".unit-tree-row", has=page.locator(
        f".unit-tree-pick[data-code='{town.code}']")).locator(".unit-tree-twist").click()
    assert village_button.is_visible()
    _shot(page, "unit_tree")

    # the filter box narrows the tree to the units that match and the way down to them
    panel.locator("input[type=search]").fill("南门")
    assert panel.locator(f".unit-tree-pick[data-code='{small_register.community.code}']").is_visible()
    assert not village_button.is_visible()
    panel.locator("input[type=search]").fill("东村")
    village_button.click()
    assert panel.is_hidden()
    assert select.input_value() == village.code
    assert "东村" in toggle.inner_text()

    page.click("button:has-text('保存')")
    page.wait_for_selector(".messages li.success")
    zhao.refresh_from_db()
    assert zhao.registered_org == village
