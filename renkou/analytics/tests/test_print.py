"""The standard tables of a unit and period printed: the overview page prints under a
title block with the statistical report's signature lines and links the PDF, whose
pages carry the same title, the running head and the page numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.analytics.exports import STATISTICS_SIGNATURES
from renkou.core import pdf
from renkou.testing.pdf_text import pdf_pages_text, squeeze

from .test_views import T1, stats_world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(stats_world):  # noqa: F811 (the fixture of test_views)
    return stats_world


def _title(report) -> str:
    return _("Population statistics: %(org)s (%(code)s), %(period)s") % {
        "org": report.org_name, "code": report.org_code, "period": report.period_display}


def test_the_overview_prints_under_a_title_block_and_links_the_pdf(client, world):
    client.force_login(world.users["stat_t1"])
    response = client.get(reverse("analytics:overview"), {"org": T1, "period": "2024"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="stats-title"' in html and _title(response.context["report"]) in html
    assert "人口统计：一镇" in html  # in Chinese
    assert "data-print" in html
    assert f'{reverse("analytics:download", args=["pdf"])}?org={T1}&amp;period=2024' in html
    assert all(str(label) in html for label in STATISTICS_SIGNATURES)


def test_the_pdf_has_the_title_the_running_head_and_page_numbers(client, world):
    try:
        pdf.find_cjk_font()
    except pdf.CJKFontMissing:
        pytest.skip("fonts-wqy-microhei is not installed")
    client.force_login(world.users["stat_t1"])
    report = client.get(reverse("analytics:overview"),
                        {"org": T1, "period": "2024"}).context["report"]
    response = client.get(reverse("analytics:download", args=["pdf"]),
                          {"org": T1, "period": "2024"})
    data = response.content
    assert data.startswith(b"%PDF-") and pdf.PDF_FONT_NAME.encode() in data
    pages = [squeeze(p) for p in pdf_pages_text(data)]
    assert squeeze(_title(report)) in pages[0]
    for number, page in enumerate(pages, start=1):
        assert squeeze(_("Page %(page)s of %(pages)s")
                       % {"page": number, "pages": len(pages)}) in page
        assert "stat_t1" in page  # who printed it, on every page
    assert all(squeeze(str(label)) in pages[-1] for label in STATISTICS_SIGNATURES)
