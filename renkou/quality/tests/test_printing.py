"""The worklist printed for a field check: a page and a PDF (A4, the Chinese font
embedded, the title block, masked ID numbers, a column for the result, signature lines,
page numbers); scoped to the user's subtree; the PDF is logged like the Excel export."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.translation import gettext as _

from renkou.core import pdf
from renkou.core.models import AuditAction, AuditEntry
from renkou.quality import printing, services
from renkou.testing.pdf_text import pdf_text, squeeze

from .conftest import id_for, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def defects(tree):
    people = (
        person(tree.east, "东错", "F", dt.date(1988, 4, 5), id_number=id_for(dt.date(1988, 5, 4), "F")),
        person(tree.west, "西错", "M", dt.date(1910, 1, 1)),
        person(tree.south, "南错", "M", dt.date(1905, 1, 1)),
    )
    services.run_checks()
    return people


def test_the_print_page_has_the_title_block_every_finding_and_the_signatures(
        client, users, tree, defects):
    client.force_login(users.township)
    response = client.get(f"/quality/worklist/{tree.town.code}/print/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "和平镇 待核实清单" in html  # the title, in Chinese
    assert "东城县 › 和平镇" in html and "data-print" in html
    assert "东错" in html and "西错" in html and "南错" not in html  # 南村 is not under 和平镇
    assert defects[0].id_number not in html and "110101********" in html  # masked
    assert _("Result of the check") in html and _("Checked by (审核人)") in html
    assert f"/quality/worklist/{tree.town.code}/worklist.pdf" in html
    worklist = client.get(f"/quality/worklist/{tree.town.code}/").content.decode()
    assert f"/quality/worklist/{tree.town.code}/print/" in worklist  # linked from the worklist
    assert f"/quality/worklist/{tree.town.code}/worklist.pdf" in worklist


def test_the_pdf_is_the_printed_worklist_and_is_logged(client, users, tree, defects):
    try:
        pdf.find_cjk_font()
    except pdf.CJKFontMissing:
        pytest.skip("fonts-wqy-microhei is not installed")
    client.force_login(users.township)
    response = client.get(f"/quality/worklist/{tree.town.code}/worklist.pdf", {"rule": ""})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-")
    assert pdf.PDF_FONT_NAME.encode() in data and b"/FontFile2" in data
    text = squeeze(pdf_text(data))
    assert squeeze("和平镇 待核实清单") in text and squeeze("东城县 › 和平镇") in text
    assert "东错" in text and "西错" in text and "南错" not in text
    assert defects[0].id_number not in text
    assert squeeze(_("Checked by (审核人)")) in text
    assert squeeze(_("Page %(page)s of %(pages)s") % {"page": 1, "pages": 1}) in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="violations")
    assert entry.username == "township"
    assert entry.details == {"org": tree.town.code, "rule": "", "status": "open", "rows": 2,
                             "format": "pdf"}


def test_a_unit_outside_the_subtree_is_not_found(client, users, tree, defects):
    client.force_login(users.clerk)  # 东村
    assert client.get(f"/quality/worklist/{tree.east.code}/print/").status_code == 200
    for url in (f"/quality/worklist/{tree.west.code}/print/",
                f"/quality/worklist/{tree.west.code}/worklist.pdf"):
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
    client.force_login(users.statistician)
    assert client.get(f"/quality/worklist/{tree.county.code}/print/").status_code == 403


def test_a_long_worklist_prints_up_to_the_limit_and_says_so(users, tree, defects, monkeypatch):
    monkeypatch.setattr(printing, "PRINT_LIMIT", 1)
    sheet = printing.worklist_sheet(users.township, tree.town)
    assert sheet.total == 2 and len(sheet.rows) == 1 and sheet.truncated
    assert any("1" in line for line in sheet.lines[2:])
