"""Printed benefit forms: the payment roster (发放花名册) as a PDF with its title block,
total and signature lines, and the public notice (公示) for the notice board as a page and
a PDF — the Chinese font embedded, masked ID numbers only, page numbers; out of the
user's area they are not found; every PDF is logged."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from renkou.benefits.models import Notice
from renkou.benefits.rosters import generate_roster
from renkou.benefits.workflow import set_bank_account
from renkou.core import pdf
from renkou.core.models import AuditAction, AuditEntry
from renkou.testing.pdf_text import pdf_text, squeeze

from .test_workflow import approved

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _font(cjk_font):
    return cjk_font


@pytest.fixture
def paid(users, elderly_couple):
    """王大山 approved for the rural reward (after a notice that ran), with a bank
    account, on the county's 2025 roster."""
    app = approved(users, "rural-reward", elderly_couple.father)
    set_bank_account(users.clerk, app, payee_name="王大山", bank_name="农商银行",
                     bank_account="6230 1234 5678 9012")
    return generate_roster(users.county, "rural-reward", "2025"), Notice.objects.get()


def _pdf(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-")
    assert pdf.PDF_FONT_NAME.encode() in data and b"/FontFile2" in data
    return squeeze(pdf_text(data))


def test_roster_pdf_has_the_title_block_the_total_and_the_signature_lines(
        client, users, elderly_couple, paid):
    roster, _notice = paid
    client.force_login(users.county)
    text = _pdf(client.get(reverse("benefits:roster_pdf", args=[roster.pk])))
    assert squeeze("农村部分计划生育家庭奖励扶助发放花名册") in text
    assert squeeze(f"单位：{roster.org.name}（{roster.org.code}）") in text
    assert squeeze("期间：2025") in text and roster.due_on.isoformat() in text
    assert "王大山" in text and "960.00" in text and squeeze("合计") in text
    assert elderly_couple.father.id_number not in text and "6230123456789012" not in text
    assert "************9012" in text  # the account, masked
    for label in ("经办人", "审核人", "负责人"):
        assert label in text
    assert squeeze(_("Page %(page)s of %(pages)s") % {"page": 1, "pages": 1}) in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="benefit_roster")
    assert entry.object_id == str(roster.pk) and entry.username == "countyofficer"
    assert entry.details == {"format": "pdf", "rows": 1}


def test_roster_page_prints_the_same_title_block_and_links_the_pdf(client, users, paid):
    roster, _notice = paid
    client.force_login(users.county)
    html = client.get(reverse("benefits:roster", args=[roster.pk])).content.decode()
    assert "农村部分计划生育家庭奖励扶助发放花名册" in html and "期间：2025" in html
    assert reverse("benefits:roster_pdf", args=[roster.pk]) in html and "data-print" in html
    assert "经办人" in html and "负责人" in html


def test_notice_sheet_for_the_notice_board(client, users, elderly_couple, paid):
    _roster, notice = paid
    client.force_login(users.township)
    response = client.get(reverse("benefits:notice_print", args=[notice.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    start, end = (formats.date_format(d, "DATE_FORMAT") for d in (notice.starts_on,
                                                                  notice.ends_on))
    assert "农村部分计划生育家庭奖励扶助公示" in html and "城关镇" in html
    assert "王大山" in html and elderly_couple.father.id_number not in html
    assert elderly_couple.father.id_number[:6] + "********" in html  # masked, as on the page
    assert f"城关镇：自 {start} 至 {end}。公示期内可向办公室提出异议。" in html  # where to object
    assert start in response.context["sheet"].period and "7" in response.context["sheet"].period
    assert "data-print" in html and reverse("benefits:notice_pdf", args=[notice.pk]) in html
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
    page = client.get(reverse("benefits:notice", args=[notice.pk])).content.decode()
    assert reverse("benefits:notice_print", args=[notice.pk]) in page  # linked from the notice
    assert reverse("benefits:notice_pdf", args=[notice.pk]) in page


def test_notice_pdf(client, users, elderly_couple, paid):
    _roster, notice = paid
    client.force_login(users.township)
    text = _pdf(client.get(reverse("benefits:notice_pdf", args=[notice.pk])))
    start = formats.date_format(notice.starts_on, "DATE_FORMAT")
    assert squeeze("农村部分计划生育家庭奖励扶助公示") in text and "王大山" in text
    assert elderly_couple.father.id_number not in text
    assert squeeze(elderly_couple.father.id_number[:6] + "********") in text
    assert squeeze(f"城关镇：自 {start}") in text and squeeze(_("(seal)")) in text
    assert squeeze(_("Telephone")) in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="benefit_notice")
    assert entry.object_id == str(notice.pk) and entry.username == "township"
    assert entry.details == {"format": "pdf", "rows": 1, "programme": "rural-reward"}


def test_forms_outside_the_users_area_are_not_found(client, users, paid):
    roster, notice = paid
    client.force_login(users.clerk)  # a village clerk: the roster is the county's, the
    for url in (reverse("benefits:roster_pdf", args=[roster.pk]),  # notice the township's
                reverse("benefits:notice_print", args=[notice.pk]),
                reverse("benefits:notice_pdf", args=[notice.pk])):
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
    client.force_login(users.statistician)
    assert client.get(reverse("benefits:notice_print", args=[notice.pk])).status_code == 403
