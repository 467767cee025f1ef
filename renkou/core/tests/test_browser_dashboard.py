"""Each of the five roles logs in through the log-in page of a real browser (Debian's
Chromium, Playwright) and lands on its home page: its panels titled in Chinese and its
chart drawn by ECharts from the package. Run just this with ``pytest -m browser``."""

from __future__ import annotations

import pytest

from renkou.accounts.roles import Role
from renkou.conftest import log_in
from renkou.conftest import screenshot as _shot
from renkou.testing.factories import PASSWORD

from .test_dashboard import county  # noqa: F401  (the small county with its open work)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Role → the panel titles its home shows, and the panel whose chart is drawn.
EXPECTED = {
    Role.VILLAGE_CLERK: (["全员人口信息库", "待办事项", "在册人口", "主要指标", "数据质量评分表",
                          "利益导向"], "analytics-key-figures"),
    Role.TOWNSHIP_OFFICER: (["全员人口信息库", "待办事项", "各村（社区）在册人口", "主要指标",
                             "下级单位主要指标"], "analytics-key-figures"),
    Role.COUNTY_OFFICER: (["全员人口信息库", "待办事项", "各乡镇（街道）在册人口", "主要指标",
                           "下级单位主要指标", "数据质量评分表", "利益导向"],
                          "analytics-key-figures"),
    Role.STATISTICIAN: (["各乡镇（街道）在册人口", "主要指标", "下级单位主要指标", "数据质量评分表"],
                        "analytics-key-figures"),
    Role.AUDITOR: (["访问与变更日志"], "core-audit"),
}


def test_each_role_lands_on_its_dashboard_with_its_panels_and_a_chart(
        live_server, county, browser_page):  # noqa: F811
    page = browser_page
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    for role, (titles, charted) in EXPECTED.items():
        log_in(page, live_server.url, county.users[role].username, PASSWORD)
        assert page.url == live_server.url + "/"
        page.wait_for_selector(f"#chart-{charted} canvas")
        shown = page.locator("section.card h2").all_inner_texts()
        assert [t for t in titles if not any(s.startswith(t) for s in shown)] == [], (role, shown)
        size = page.locator(f"#chart-{charted} canvas").bounding_box()
        assert size and size["width"] > 200 and size["height"] > 100, role
        if role == Role.STATISTICIAN:
            assert page.locator("a[href^='/persons/'], form[action^='/persons/']").count() == 0
            assert page.locator("#panel-work").count() == 0
        if role == Role.AUDITOR:
            assert page.locator("#latest-entries tbody tr").count() >= 1
        _shot(page, f"dashboard_{role}")
