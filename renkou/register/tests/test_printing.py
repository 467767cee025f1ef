"""Printed forms of the register: the household card (户卡) as a PDF and the person card
(人员信息卡) as a page and a PDF — A4, the Chinese font embedded, the title block, the
page numbers; out of the user's subtree they are not found; every card is logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.accounts.roles import Role
from renkou.core import pdf
from renkou.core.models import AuditAction, AuditEntry
from renkou.register import services
from renkou.register.models import EventType, LifeEvent
from renkou.testing.factories import make_user
from renkou.testing.pdf_text import pdf_text, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _font(cjk_font):
    return cjk_font


def _pdf(response) -> tuple[bytes, str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-")
    assert pdf.PDF_FONT_NAME.encode() in data and b"/FontFile2" in data  # embedded, not named
    return data, squeeze(pdf_text(data))


def _exports(object_type: str) -> list[tuple[str, dict]]:
    return [(e.object_id, e.details) for e in AuditEntry.objects.filter(
        action=AuditAction.EXPORT, object_type=object_type).order_by("pk")]


def test_household_card_pdf_has_the_title_block_members_and_page_numbers(officer_client,
                                                                          small_register):
    r = small_register
    data, text = _pdf(officer_client.get(reverse("register:household_card_pdf",
                                                 args=[r.household.pk])))
    assert squeeze(_("Household card")) in text  # 户卡
    assert squeeze("东城县 › 和平镇 › 东村") in text and "0010001" in text
    assert "张晓明" in text and "李秀英" in text and r.zxm.id_number in text  # full ID: logged
    assert squeeze(_("Household head (signature)")) in text  # 户主（签字）
    assert squeeze(_("Page %(page)s of %(pages)s") % {"page": 1, "pages": 1}) in text
    assert squeeze(f"{_('printed')} ") + "20" in text and "officer" in text  # 打印于 <date> · who
    assert _exports("household") == [(str(r.household.pk), {
        "what": "household card", "format": "pdf", "rows": 2})]
    assert _exports("person") == [
        (str(p.pk), {"part": "household card", "format": "pdf"}) for p in (r.zxm, r.mother)]


def test_household_card_page_links_its_pdf(officer_client, small_register):
    page = officer_client.get(reverse("register:household_card",
                                      args=[small_register.household.pk])).content.decode()
    assert reverse("register:household_card_pdf", args=[small_register.household.pk]) in page
    assert _("Download PDF") in page and "data-print" in page


def _history(r):
    """赵强's ledger: enrolled 2020-01-01 (corrected to 2020-02-01), a move out voided."""
    enrol = LifeEvent.objects.get(person=r.zhao, event_type=EventType.ENROL)
    services.correct_event(enrol, reason="登记日期有误", event_date=dt.date(2020, 2, 1))
    moved = services.record_move_out(r.zhao, event_date=dt.date(2022, 6, 1), destination="外省")
    services.void_event(moved, reason="并未迁出")
    r.zhao.refresh_from_db()


def test_person_card_page_shows_the_effective_history_and_is_a_logged_view(officer_client,
                                                                            small_register):
    r = small_register
    _history(r)
    response = officer_client.get(reverse("register:person_card", args=[r.zhao.pk]))
    assert response.status_code == 200
    card = response.context["card"]
    assert [(e.event_type, e.event_date, e.corrected) for e in card.history] == [
        (EventType.ENROL, dt.date(2020, 2, 1), True)]  # the void and the move out are gone
    html = response.content.decode()
    assert "赵强" in html and "2020-02-01" in html and "外省" not in html
    assert "data-print" in html and reverse("register:person_card_pdf", args=[r.zhao.pk]) in html
    assert _("Checked by (审核人)") in html  # the signature lines
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="person",
                                     object_id=str(r.zhao.pk),
                                     details={"part": "person card"}).count() == 1


def test_person_card_pdf_has_the_record_and_its_effective_history(officer_client,
                                                                   small_register):
    r = small_register
    _history(r)
    data, text = _pdf(officer_client.get(reverse("register:person_card_pdf", args=[r.zhao.pk])))
    assert squeeze(_("Person card")) in text and "赵强" in text
    assert squeeze(f"{_('Unit')}：东城县 › 城关街道 › 南门社区") in text
    assert squeeze(_("Ledger history")) in text and "2020-02-01" in text
    assert "2022-06-01" not in text and "外省" not in text
    assert squeeze(_("Page %(page)s of %(pages)s") % {"page": 1, "pages": 1}) in text
    assert _exports("person") == [(str(r.zhao.pk), {"part": "person card", "format": "pdf",
                                                   "events": 1})]


def test_person_page_links_the_card(officer_client, small_register):
    html = officer_client.get(reverse("register:person", args=[small_register.zxm.pk])) \
        .content.decode()
    assert reverse("register:person_card", args=[small_register.zxm.pk]) in html
    assert reverse("register:person_card_pdf", args=[small_register.zxm.pk]) in html


def test_cards_outside_the_subtree_are_not_found_and_nothing_is_logged(client, small_register):
    clerk = make_user("nanmen", Role.VILLAGE_CLERK, small_register.community)
    client.force_login(clerk)
    zxm, household = small_register.zxm, small_register.household
    for url in (reverse("register:person_card", args=[zxm.pk]),
                reverse("register:person_card_pdf", args=[zxm.pk]),
                reverse("register:household_card_pdf", args=[household.pk])):
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action__in=[AuditAction.VIEW, AuditAction.EXPORT],
                                         object_type__in=["person", "household"]).exists()
    assert client.get(reverse("register:person_card",
                              args=[small_register.zhao.pk])).status_code == 200


def test_a_statistician_may_not_print_person_records(client, small_register, role_users):
    client.force_login(role_users[Role.STATISTICIAN])
    for url in (reverse("register:person_card", args=[small_register.zxm.pk]),
                reverse("register:person_card_pdf", args=[small_register.zxm.pk]),
                reverse("register:household_card_pdf", args=[small_register.household.pk])):
        assert client.get(url).status_code == 403, url


def test_a_parent_registered_outside_the_users_units_is_not_named(client, small_register,
                                                                    role_users):
    r = small_register
    child = services.enrol_person(name="张小东", sex="M", birth_date=dt.date(2018, 6, 1),
                                  org=r.village, mother=r.wang, father=r.zxm,
                                  event_date=dt.date(2020, 1, 1), hukou_type="rural")
    client.force_login(role_users[Role.VILLAGE_CLERK])  # 东村; 王芳 is in 南门社区
    card = client.get(reverse("register:person_card", args=[child.pk])).context["card"]
    fields = dict(card.fields())
    assert fields[_("Father")] == "张晓明"
    assert fields[_("Mother")] == _("registered outside your units")
    assert "王芳" not in squeeze(pdf_text(b"".join(client.get(
        reverse("register:person_card_pdf", args=[child.pk])).streaming_content)))
