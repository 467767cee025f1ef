"""A real browser (Debian's Chromium driven by Playwright) logs in, finds a person by
pinyin initials and records a birth through the form.

Run just this with ``pytest -m browser``. Set ``RENKOU_SCREENSHOT_DIR`` to keep
screenshots of the pages it visits.
"""

from __future__ import annotations

import pytest

from renkou.accounts.models import Role, User
from renkou.conftest import screenshot as _shot
from renkou.register.models import Person

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_find_by_initials_and_record_a_birth(live_server, small_register, browser_page):
    User.objects.create_user(username="clerk", password=PASSWORD, role=Role.COUNTY_OFFICER,
                             org=small_register.county)
    page = browser_page

    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=各乡镇（街道）在册人口")
    _shot(page, "home")

    page.click("nav >> text=人员查询")
    box = page.locator("input[name=q]")
    box.press_sequentially("zxm", delay=50)
    # live search: htmx swaps the results in without a page load
    page.locator("#results a", has_text="张晓明").wait_for()
    assert "q=zxm" in page.url
    _shot(page, "search")

    page.locator("#results a", has_text="张晓明").click()
    page.wait_for_selector("h1:has-text('张晓明')")
    assert small_register.zxm.id_number in page.content()  # the full number on this page
    _shot(page, "person")

    page.locator("dd a", has_text="0010001").click()  # his household
    page.locator("#members a", has_text="李秀英").click()
    page.wait_for_selector("h1:has-text('李秀英')")
    page.locator(".actions a", has_text="生育登记").click()
    page.wait_for_selector("h1:has-text('生育登记')")
    page.wait_for_selector(".person-picker")  # renkou.js (deferred) has made the pickers
    # the father with the picker: his pinyin initials, then the one choice
    page.locator("#id_father").press_sequentially("zxm", delay=50)
    page.locator("#id_father_list li[role=option]", has_text="张晓明").click()
    assert page.locator("input[name=father]").input_value() == str(small_register.zxm.pk)
    page.fill("input[name=name]", "张小宝")
    page.check("input[name=sex][value=M]")
    page.fill("input[name=birth_date]", "2024-06-01")
    _shot(page, "birth_form")
    page.click("button:has-text('保存')")

    page.wait_for_selector(".messages li.success")
    assert "张小宝" in page.locator(".messages").inner_text()
    children = page.locator("table", has=page.locator("th", has_text="孩次")).first
    assert "张小宝" in children.inner_text()
    _shot(page, "mother")

    child = Person.objects.get(name="张小宝")
    assert child.mother_id == small_register.mother.pk
    assert child.father_id == small_register.zxm.pk
