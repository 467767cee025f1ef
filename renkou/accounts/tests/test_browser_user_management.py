"""User management in a real browser (Debian's Chromium driven by Playwright): the
county officer creates a township user from the page and logs out; the new user logs
in with the initial password, is sent to change it, changes it and reaches the home
page; it then locks itself out with wrong passwords, and the officer gives it a
temporary password and lifts the lock.

Run just this with ``pytest -m browser``."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from renkou.accounts.models import Role, User
from renkou.conftest import log_in
from renkou.conftest import screenshot as _shot
from renkou.testing.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INITIAL = "Chushi-mima-2026"
OWN = "Lanhua-shuzi-2026"
TEMPORARY = "Linshi-mima-2026"


def _log_in(page, url: str, username: str, password: str) -> None:
    log_in(page, url, username, password)
    page.wait_for_selector("nav.nav")


def _log_out(page) -> None:
    page.click("nav form[action$='/logout/'] button")
    page.wait_for_selector("#id_username")


def test_an_officer_creates_a_township_user_who_changes_its_password_and_is_later_unlocked(
        live_server, small_register, browser_page):
    make_user("officer", Role.COUNTY_OFFICER, small_register.county)
    town = small_register.town
    page = browser_page
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    url = live_server.url

    # the officer creates the township's user from the page
    _log_in(page, url, "officer", PASSWORD)
    page.click("nav a:has-text('用户管理')")
    page.click("a:has-text('新建用户')")
    page.wait_for_load_state()
    page.fill("#id_username", "hepingzhen")
    page.fill("#id_full_name", "李明")
    page.select_option("#id_role", Role.TOWNSHIP_OFFICER)
    page.locator("#id_org").click()  # the unit tree stands in for the drop-down list
    page.locator(f".unit-tree-panel .unit-tree-pick[data-code='{town.code}']").click()
    page.fill("#id_password", INITIAL)
    page.click("button:has-text('创建用户')")
    page.wait_for_selector(".messages li.success")
    assert "乡镇（街道）计生办" in page.locator("#user-fields").inner_text()
    assert "临时密码" in page.locator("#user-state").inner_text()
    _shot(page, "user_created")
    _log_out(page)

    # the new user is sent from the home page to choose its own password
    _log_in(page, url, "hepingzhen", INITIAL)
    assert page.url == f"{url}/accounts/me/password/"
    assert page.locator("#must-change").is_visible()
    page.fill("#id_old_password", INITIAL)
    page.fill("#id_new_password1", OWN)
    page.fill("#id_new_password2", OWN)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert page.url == f"{url}/"
    assert "李明" in page.locator("nav a.user").inner_text()
    user = User.objects.get(username="hepingzhen")
    assert user.org == town and not user.must_change_password and user.check_password(OWN)

    # five wrong passwords lock it out (typed by another client: the lockout page answers
    # 429, which the browser would report as an error)
    for _ in range(5):
        Client().post(reverse("accounts:login"), {"username": "hepingzhen",
                                                  "password": "wrong-password"})

    # the officer sees the lock, gives a temporary password and lifts the lock
    _log_in(page, url, "officer", PASSWORD)
    page.goto(f"{url}/accounts/users/")
    row = page.locator("#users tr", has=page.locator("a:has-text('hepingzhen')"))
    assert "已锁定" in row.inner_text()
    row.locator("a:has-text('hepingzhen')").click()
    page.fill("#id_password", TEMPORARY)
    page.click("button:has-text('重置密码')")
    page.wait_for_selector(".messages li.success")
    page.click("button:has-text('解除锁定')")
    page.wait_for_selector(".messages li.success")
    assert "已锁定" not in page.locator("#user-lock").inner_text()
    _shot(page, "user_unlocked")
    _log_out(page)

    # the user gets in with the temporary password, and must change it again
    _log_in(page, url, "hepingzhen", TEMPORARY)
    assert page.url == f"{url}/accounts/me/password/"
