"""The payment roster (花名册) and the public notice (公示) printed from a real browser
(Debian's Chromium driven by Playwright): each page, printed to a PDF with the browser's
own print, carries its title block and its signature lines (the roster's 经办人、审核人、
负责人; the notice's issuing office, seal and date), the print head and the page
numbers, and no menu. Run with ``pytest -m browser``."""

from __future__ import annotations

import pytest

from renkou.benefits.models import Notice
from renkou.benefits.rosters import generate_roster
from renkou.benefits.workflow import set_bank_account
from renkou.conftest import log_in, screenshot
from renkou.testing.pdf_text import pdf_text, squeeze

from .conftest import PASSWORD
from .test_workflow import approved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, username: str) -> None:
    log_in(page, base, username, PASSWORD)


def _printed(page, path, shot: str) -> str:
    """The page printed to A4 by the browser, as the text of the PDF."""
    page.wait_for_load_state("load")  # its stylesheet applied
    page.emulate_media(media="print")
    screenshot(page, shot)
    assert not page.locator("nav.nav").is_visible()  # the menu does not print
    assert not page.locator("button[data-print]").is_visible()
    page.pdf(path=str(path), format="A4")
    page.emulate_media(media="screen")
    data = path.read_bytes()
    assert data[:5] == b"%PDF-"
    return squeeze(pdf_text(data))


def test_the_roster_and_the_notice_print_with_title_block_and_signature_lines(
        live_server, users, elderly_couple, browser_page, tmp_path):
    app = approved(users, "rural-reward", elderly_couple.father)
    set_bank_account(users.clerk, app, payee_name="王大山", bank_name="农商银行",
                     bank_account="6230 1234 5678 9012")
    roster = generate_roster(users.county, "rural-reward", "2025")
    notice = Notice.objects.get()
    page, base = browser_page, live_server.url
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))

    _log_in(page, base, "countyofficer")
    page.goto(f"{base}/benefits/rosters/{roster.pk}/")
    assert page.locator("a:has-text('下载 PDF'), a:has-text('Download PDF')").count() == 1
    text = _printed(page, tmp_path / "花名册.pdf", "roster_print")
    assert squeeze("农村部分计划生育家庭奖励扶助发放花名册") in text  # the title block
    assert squeeze(f"单位：{roster.org.name}（{roster.org.code}）") in text
    assert squeeze("期间：2025") in text
    assert "王大山" in text and squeeze("合计") in text and "960" in text
    assert elderly_couple.father.id_number not in text
    for label in ("经办人", "审核人", "负责人"):  # the signature lines
        assert label in text
    assert "打印于" in text and "countyofficer" in text  # the print head
    assert squeeze("第 1 页 / 共 1 页") in text  # the page numbers (@page)

    _log_in(page, base, "township")
    page.goto(f"{base}/benefits/notices/{notice.pk}/")
    page.click("a:has-text('打印')")
    page.wait_for_selector("#notice-sheet")
    text = _printed(page, tmp_path / "公示.pdf", "notice_print")
    assert squeeze("农村部分计划生育家庭奖励扶助公示") in text
    assert squeeze("单位：城关镇") in text
    assert "王大山" in text and elderly_couple.father.id_number not in text
    assert squeeze(elderly_couple.father.id_number[:6] + "********") in text  # masked
    assert squeeze("公示期内可向办公室提出异议") in text  # how and where to object
    issuer = squeeze(page.locator("#notice-issuer").inner_text())
    assert issuer.startswith("城关镇") and issuer in text  # the office, seal and date
    assert squeeze("第 1 页 / 共 1 页") in text
