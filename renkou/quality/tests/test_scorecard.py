"""Scorecard figures by hand: Whipple on a built age distribution, violations per 1,000,
timeliness, period outliers, missing measures, ranks, the page and the export."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from openpyxl import load_workbook

from renkou.core.models import AuditEntry
from renkou.quality import scorecard
from renkou.quality.models import ScorecardRow, Violation
from renkou.register.models import Person

from .conftest import TODAY, person


@pytest.fixture
def heaped(tree):
    """和平镇/东村: 10 residents at each age 23–62, 20 at the ages ending in 0 or 5."""
    rows = []
    for age in range(23, 63):
        for i in range(20 if age % 5 == 0 else 10):
            rows.append(Person(name="甲", name_pinyin="jia", name_initials="j", sex="MF"[i % 2],
                               birth_date=dt.date(TODAY.year - age, 1, 1), hukou_type="rural",
                               registered_org=tree.east, id_number=None if i == 0 else f"X{age}{i}"))
    Person.objects.bulk_create(rows)
    return len(rows)


def test_whipple_entry_rate_and_violation_rate(heaped, tree):
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    some = list(Person.objects.all()[:6])
    Violation.objects.bulk_create([Violation(rule_code="AGE_OVER_110", subject=f"p:{p.pk}",
                                             person=p, org=tree.east, fingerprint="x",
                                             found_at=now) for p in some])
    values = scorecard.compute_scorecard(today=TODAY)
    east = values[tree.east.pk]
    # 8 heaped ages × 20 = 160 of 32 × 10 + 160 = 480 persons: 160/480 × 5 × 100
    assert east["whipple"] == pytest.approx(500 / 3)
    assert east["residents"] == heaped == 480
    assert east["entry_rate"] == pytest.approx(100 * (480 - 40) / 480)  # i == 0 has no ID
    assert east["violations"] == 6 and east["violation_rate"] == pytest.approx(6 / 480 * 1000)
    assert values[tree.county.pk]["violations"] == 6  # rolled up the tree
    assert values[tree.west.pk]["whipple"] is None and values[tree.west.pk]["entry_rate"] is None
    assert ScorecardRow.objects.count() == 6


def test_timeliness_and_srb(tree):
    mother = person(tree.east, "母", "F", dt.date(1990, 1, 1))
    for i in range(4):
        person(tree.east, f"子{i}", "MF"[i % 2], dt.date(2026, 1, 10 + i), mother=mother,
               recorded_days=40 if i == 0 else 5)
    v = scorecard.compute_scorecard(today=TODAY)[tree.east.pk]
    assert (v["events_12m"], v["timely_12m"]) == (4, 3) and v["timeliness"] == 75.0
    assert (v["male_births_3y"], v["female_births_3y"], v["srb"]) == (2, 2, 100.0)
    assert v["srb_outlier"] is False and v["srb_lo"] < 103 < 107 < v["srb_hi"]


def test_period_outliers_by_hand():
    series = np.array([[10, 11, 9, 10, 10, 11, 9, 10, 10, 11, 9, 10, 40, 10, 11, 9, 10, 10, 11,
                        9, 10, 10, 11, 9], [5] * 24])
    z, mz, mask = scorecard.period_outliers(series)
    assert np.flatnonzero(mask[0]).tolist() == [12]
    assert z[0, 12] == pytest.approx((40 - series[0].mean()) / series[0].std())
    assert mz[0, 12] == pytest.approx(0.6745 * 30 / 1)  # median 10, MAD 1
    assert not mask[1].any() and np.isnan(z[1]).all()  # a flat series has no outliers


def test_missing_providers_are_missing_never_zero(heaped, tree, monkeypatch):
    monkeypatch.setitem(scorecard.PROVIDERS, "accuracy", ("renkou.no_such_app", "f"))
    monkeypatch.setitem(scorecard.PROVIDERS, "duplicates", ("renkou.quality.services", "nope"))
    v = scorecard.compute_scorecard(today=TODAY)[tree.east.pk]
    assert v["accuracy"] is None and v["duplicate_rate"] is None and v["duplicate_pairs"] is None


def test_ranks_share_ties_and_skip_missing():
    rows = [{"values": {"entry_rate": 90.0, "whipple": 104.0}},
            {"values": {"entry_rate": 95.0, "whipple": 96.0}},
            {"values": {"entry_rate": 90.0, "whipple": None}}]
    scorecard.rank(rows)
    assert [r["ranks"]["entry_rate"] for r in rows] == [2, 1, 2]
    assert [r["ranks"]["whipple"] for r in rows] == [1, 1, None]  # |W − 100| ties


def test_scorecard_page_sorts_and_statistician_sees_it(heaped, tree, users, client):
    scorecard.compute_scorecard(today=TODAY)
    client.force_login(users.statistician)
    page = client.get("/quality/scorecard/?level=3&sort=whipple&dir=desc")
    assert page.status_code == 200
    text = page.content.decode()
    assert "数据质量评分" in text and "东村" in text and "南村" in text
    assert text.index("东村") < text.index("南村")  # 东村 has a figure, 南村 none
    assert "rank" not in text.lower() or "名" in text
    response = client.get("/quality/scorecard/export/?level=3")
    path = "/tmp/quality-test-scorecard.xlsx"
    with open(path, "wb") as f:
        f.write(b"".join(response.streaming_content))
    rows = list(load_workbook(path).active.values)
    assert rows[0][0] == "code" and {r[1] for r in rows[1:]} == {"东城县", "东村", "西村", "南村"}
    assert AuditEntry.objects.filter(action="export", object_type="scorecard").count() == 1
