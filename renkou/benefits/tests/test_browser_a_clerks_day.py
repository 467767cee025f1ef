"""A village clerk who has never seen a terminal (issue 13, "done when"), in a real
browser: she downloads the person template, fills ten rows in Chinese, uploads it, gets
her file back with the one bad row marked, fixes it, uploads again, imports, prints the
household card (户卡) of the household the new persons formed, and prints her village's
payment roster (花名册) of the period — each as a PDF from the browser's own print.

It lives with the benefits tests for their small county with a recipient whose roster
the county has made. Run just this with ``pytest -m browser``."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from renkou.benefits.rosters import generate_roster
from renkou.benefits.workflow import set_bank_account
from renkou.conftest import screenshot as _shot
from renkou.register.models import Person
from renkou.testing.factories import make_id_number
from renkou.testing.pdf_text import pdf_text, squeeze

from .conftest import PASSWORD
from .test_workflow import approved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _rows(village: str) -> list[list[str]]:
    rows = []
    for n in range(10):
        born = dt.date(1950 + 5 * n, 1 + n, 10 + n)
        sex = "男" if n % 2 else "女"
        rows.append([f"刘{'一二三四五六七八九十'[n]}", sex, born.isoformat(),
                     make_id_number(born, "M" if n % 2 else "F", seq=60 + n), village, "0010001",
                     "其他", "农业户口", "未婚", "汉族", "初中", "2024-03-01"])
    rows[6][2] = "1980-07-36"  # a typing slip: she meant 1980-07-16
    return rows


def _fill(path, rows) -> None:
    book = load_workbook(path)
    sheet = book["人员信息"]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    book.save(path)


def test_a_clerk_imports_ten_chinese_rows_and_prints_the_household_card_and_the_roster(
        live_server, county, users, elderly_couple, browser_page, tmp_path):
    app = approved(users, "rural-reward", elderly_couple.father)
    set_bank_account(users.clerk, app, payee_name="王大山", bank_name="农商银行",
                     bank_account="6230 1234 5678 9012")
    roster = generate_roster(users.county, "rural-reward", "2025", org_code=county.village.code)
    page = browser_page
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(live_server.url + "/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=从文件导入人员")

    with page.expect_download() as download:
        page.click("text=下载导入模板")
    template = tmp_path / "模板.xlsx"
    download.value.save_as(template)
    rows = _rows(county.village.code)
    _fill(template, rows)

    page.set_input_files("input[type=file]", str(template))
    page.click("button:has-text('上传并检查')")
    page.wait_for_selector("text=文件未导入")
    _shot(page, "import_problems")
    problem = page.locator("table").last.locator("tbody tr").first
    assert problem.locator("td").nth(0).inner_text() == "8"  # the seventh person, row 8
    assert problem.locator("td").nth(1).inner_text() == "出生日期"
    with page.expect_download() as download:
        page.click("text=下载标注了错误的文件")
    marked = tmp_path / "marked.xlsx"
    download.value.save_as(marked)
    cell = load_workbook(marked).active["C8"]
    assert cell.comment is not None and cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert not Person.objects.filter(name__startswith="刘").exists()

    # she corrects the marked cell in the file she got back and sends that file again
    book = load_workbook(marked)
    book.active["C8"] = "1980-07-16"
    book.save(marked)
    page.click("text=上传另一个文件")
    page.set_input_files("input[type=file]", str(marked))
    page.click("button:has-text('上传并检查')")
    page.wait_for_selector("text=没有发现问题")
    page.click("button:has-text('导入')")
    page.wait_for_selector(".messages li.success")
    assert Person.objects.filter(name__startswith="刘").count() == 10

    household = Person.objects.get(name="刘一").household
    page.goto(f"{live_server.url}/households/{household.pk}/")
    page.click("text=户卡")
    page.wait_for_selector("#card-members")
    assert page.locator("#card-members tbody tr").count() == 10
    page.wait_for_load_state("load")  # its stylesheet applied
    page.emulate_media(media="print")
    assert not page.locator("nav.nav").is_visible()  # the menu does not print
    assert page.locator(".print-head").is_visible()  # the unit and the time printed do
    assert "户主（签字）" in page.locator(".signatures").inner_text()
    _shot(page, "household_card_print")
    pdf = tmp_path / "户卡.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000

    # the period's payment roster of her village, printed to sign and hand in
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/benefits/rosters/")
    page.click(f"a[href='/benefits/rosters/{roster.pk}/']")
    page.wait_for_selector(".signatures")
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    assert not page.locator("nav.nav").is_visible()
    _shot(page, "roster_print_by_clerk")
    pdf = tmp_path / "花名册.pdf"
    page.pdf(path=str(pdf), format="A4")
    text = squeeze(pdf_text(pdf.read_bytes()))
    assert squeeze("农村部分计划生育家庭奖励扶助发放花名册") in text
    assert squeeze(f"单位：{county.village.name}") in text and "王大山" in text
    assert elderly_couple.father.id_number not in text
    for label in ("经办人", "审核人", "负责人"):
        assert label in text
