"""Statistics pages on a hand-made ``indicators.duckdb`` (built here from the DDL in
``schema.py``, so these tests do not depend on the engine).

County 示范县 has townships 一镇 (villages 甲村, 乙村) and 二镇 (village 丙村). The county
has figures for 2024 and 2023; some are left out on purpose to check that a missing
value is shown as "—", never 0.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from renkou.accounts.models import Role, User
from renkou.analytics import periods, reports, views
from renkou.analytics.schema import INDICATOR_VALUES_DDL
from renkou.orgunits.models import OrgUnit

PASSWORD = "stats-test-pass-2026"

COUNTY, T1, T2 = "340621000000", "340621100000", "340621101000"
V1A, V1B, V2A = "340621100201", "340621100202", "340621101201"
ORGS = {  # code: (name, level, path)
    COUNTY: ("示范县", 1, COUNTY),
    T1: ("一镇", 2, f"{COUNTY}/{T1}"),
    T2: ("二镇", 2, f"{COUNTY}/{T2}"),
    V1A: ("甲村", 3, f"{COUNTY}/{T1}/{V1A}"),
    V1B: ("乙村", 3, f"{COUNTY}/{T1}/{V1B}"),
    V2A: ("丙村", 3, f"{COUNTY}/{T2}/{V2A}"),
}
PERIODS = {  # label: (kind, start, end)
    "2023": ("year", dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
    "2024": ("year", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    "2024Q2": ("quarter", dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
    "2024Q3": ("quarter", dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
    "2024H1": ("half", dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
    "SY2024": ("stat_year", dt.date(2023, 10, 1), dt.date(2024, 9, 30)),
    **{f"2024-{m:02d}": ("month", dt.date(2024, m, 1),
                         (dt.date(2024, m + 1, 1) if m < 12 else dt.date(2025, 1, 1))
                         - dt.timedelta(days=1)) for m in range(1, 13)},
}
AGES = reports.AGE_GROUPS


def row(org: str, period: str, indicator: str, value, *, numerator=None, denominator=None,
        ci=(None, None), flag: str = "", sex: str = "", age_group: str = "",
        birth_order: str = "", urban_rural: str = "") -> tuple:
    name, level, path = ORGS[org]
    kind, start, end = PERIODS[period]
    return (org, name, level, path, period, kind, start, end, indicator, sex, age_group,
            birth_order, urban_rural, value, numerator, denominator, ci[0], ci[1], flag)


def county_rows() -> list[tuple]:
    rows = []
    # population 2024 by sex and age: male 300 + 10·i, female 290 + 10·i in group i
    for i, age in enumerate(AGES):
        rows.append(row(COUNTY, "2024", "POP", 300 + 10 * i, sex="M", age_group=age))
        rows.append(row(COUNTY, "2024", "POP", 290 + 10 * i, sex="F", age_group=age))
    rows += [
        row(COUNTY, "2024", "POP", 10_000), row(COUNTY, "2023", "POP", 9_900),
        row(COUNTY, "2024", "BIRTHS", 120), row(COUNTY, "2023", "BIRTHS", 131),
        row(COUNTY, "2024", "DEATHS", 80), row(COUNTY, "2023", "DEATHS", 75),
        row(COUNTY, "2024", "MOVES_IN", 40), row(COUNTY, "2023", "MOVES_IN", 35),
        row(COUNTY, "2024", "MOVES_OUT", 60), row(COUNTY, "2023", "MOVES_OUT", 50),
        row(COUNTY, "2024", "CBR", 12.06, numerator=120, denominator=9950),
        row(COUNTY, "2023", "CBR", 13.20, numerator=131, denominator=9924),
        row(COUNTY, "2024", "CDR", 8.04, numerator=80, denominator=9950),
        row(COUNTY, "2023", "CDR", 7.56, numerator=75, denominator=9924),
        row(COUNTY, "2024", "OLD65", 14.5, numerator=1450, denominator=10_000),
        row(COUNTY, "2023", "OLD65", 13.9, numerator=1376, denominator=9_900),
        row(COUNTY, "2024", "TFR", 1.35),  # 2023 TFR missing on purpose
        row(COUNTY, "2024", "MARRIAGES", 50), row(COUNTY, "2023", "MARRIAGES", 0),
        # DIVORCES missing in both years on purpose
        row(COUNTY, "2024", "SRB", 118.18, numerator=65, denominator=55, ci=(82.4, 169.7),
            flag="small_number"),
        row(COUNTY, "2023", "SRB", 107.94, numerator=68, denominator=63, ci=(76.6, 152.3),
            flag="small_number"),
        row(COUNTY, "2024", "SRB", 540.0, numerator=27, denominator=5, ci=(208.0, 1402.0),
            flag="small_number", birth_order="2"),
        row(COUNTY, "2024", "BIRTHS", 32, birth_order="2"),
        row(COUNTY, "2024", "ORD_2", 26.67, numerator=32, denominator=120),
        row(COUNTY, "2024", "ASFR", 55.5, numerator=20, denominator=360, age_group="25-29"),
        row(COUNTY, "2024Q3", "CBR", 11.0, numerator=28, denominator=10_100),
        row(COUNTY, "2024", "RNI", 4.02), row(COUNTY, "2023", "RNI", 5.64),
    ]
    for m in range(1, 13):
        rows.append(row(COUNTY, f"2024-{m:02d}", "BIRTHS", 5 + m))
    return rows


def unit_rows() -> list[tuple]:
    rows = []
    for code, pop, births in ((T1, 6000, 70), (T2, 4000, 50), (V1A, 3500, 40), (V1B, 2500, 30),
                              (V2A, 4000, 50)):
        rows += [row(code, "2024", "POP", pop), row(code, "2024", "BIRTHS", births),
                 row(code, "2024", "CBR", round(births / pop * 1000, 2), numerator=births,
                     denominator=pop)]
    rows.append(row(T1, "2024", "SRB", 133.3, numerator=40, denominator=30, ci=(83.0, 214.0),
                    flag="small_number"))
    return rows


def build_indicators(folder) -> None:
    """Write ``folder/indicators.duckdb`` with the rows above."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(folder / "indicators.duckdb"))
    con.execute(INDICATOR_VALUES_DDL)
    columns = ("org_code, org_name, level, org_path, period, period_kind, period_start, "
               "period_end, indicator, sex, age_group, birth_order, urban_rural, value, "
               "numerator, denominator, ci_low, ci_high, flag")
    con.executemany(f"INSERT INTO indicator_values ({columns}) VALUES (" + ", ".join("?" * 19)
                    + ")", county_rows() + unit_rows())
    con.close()


def _unit(code: str, parent: OrgUnit | None) -> OrgUnit:
    name, level, _path = ORGS[code]
    kind = {1: "county", 2: "town", 3: "village"}[level]
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural="rural")
    unit.save()
    return unit


@pytest.fixture(autouse=True)
def in_english():
    """Figures and labels are checked in English; the Chinese page has its own test."""
    with translation.override("en"):
        yield


@pytest.fixture
def stats_world(db, tmp_path, settings, monkeypatch):
    """The org tree, its indicators file, and users at several levels. The engine's
    catalogue is left out, so the names are the reports' own fallbacks."""
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "analytics"
    monkeypatch.setattr(reports, "_catalogue_path", lambda: tmp_path / "no-catalogue.yaml")
    build_indicators(tmp_path / "analytics")
    county = _unit(COUNTY, None)
    t1, t2 = _unit(T1, county), _unit(T2, county)
    units = {"county": county, "t1": t1, "t2": t2, "v1a": _unit(V1A, t1), "v1b": _unit(V1B, t1),
             "v2a": _unit(V2A, t2)}
    users = {}
    for key, role, org in (("county", Role.COUNTY_OFFICER, county),
                           ("stat_county", Role.STATISTICIAN, county),
                           ("stat_t1", Role.STATISTICIAN, t1),
                           ("clerk_v1a", Role.VILLAGE_CLERK, units["v1a"]),
                           ("auditor", Role.AUDITOR, county)):
        users[key] = User.objects.create_user(username=key, password=PASSWORD, role=role, org=org)
    return SimpleNamespace(units=units, users=users, folder=tmp_path / "analytics")


def _get(client, user, lang: str = "en", **params):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.get(reverse("analytics:overview"), params)


def _table(html: str, key: str) -> str:
    match = re.search(rf'<section class="card stats-table" id="table-{key}">(.*?)</section>',
                      html, re.S)
    assert match, key
    return match.group(1)


def _row(table_html: str, label: str) -> list[str]:
    """The cells of the row whose label starts with ``label``, as displayed text."""
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table_html, re.S):
        head = re.search(r'<th scope="row">(.*?)</th>', tr, re.S)
        if head and re.sub(r"<[^>]+>", "", head.group(1)).strip().startswith(label):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
            return [re.sub(r"<span class=\"nd\">.*?</span>", "", c) for c in cells]
    raise AssertionError(f"no row {label!r}")


def _text(cell: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()


# --------------------------------------------------------------------------- period helpers

@pytest.mark.parametrize(("label", "previous"), [
    ("2024", "2023"), ("2024Q1", "2023Q4"), ("2024Q3", "2024Q2"), ("2024H1", "2023H2"),
    ("2024H2", "2024H1"), ("2024-01", "2023-12"), ("2024-05", "2024-04"), ("SY2024", "SY2023"),
])
def test_previous_period_is_the_same_kind_just_before(label, previous):
    assert periods.previous_period(label) == previous


def test_default_period_is_the_latest_complete_year():
    known = [periods.Period(label, *PERIODS[label]) for label in PERIODS]
    assert periods.default_period(known, today=dt.date(2025, 3, 1)) == "2024"
    assert periods.default_period(known, today=dt.date(2024, 12, 31)) == "2023"


def test_catalogue_absent_falls_back(monkeypatch, tmp_path):
    monkeypatch.setattr(reports, "_catalogue_path", lambda: tmp_path / "nothing.yaml")
    assert reports.catalogue() == {}
    assert reports.indicator_info("CBR").unit == "‰"
    (tmp_path / "c.yaml").write_text(
        "indicators:\n  - code: CBR\n    name_zh: 粗出生率\n    name_en: Crude birth rate\n"
        "    unit: permille\n", encoding="utf-8")
    monkeypatch.setattr(reports, "_catalogue_path", lambda: tmp_path / "c.yaml")
    with translation.override("zh-hans"):
        assert reports.indicator_info("CBR").name == "粗出生率"


# --------------------------------------------------------------------------- report services

def test_report_tables_with_previous_period_and_change_in_points(stats_world):
    report = reports.org_report(COUNTY, "2024")
    assert report.previous == "2023"
    tables = {t.key: t for t in report.tables}
    assert set(tables) == {"stock", "change", "births", "fertility", "marriage", "structure"}
    change = {r.code: r.cells for r in tables["change"].rows if r.code}
    births, _prev, diff = change["BIRTHS"]
    assert (births.value, diff.value) == (120, -11)
    cbr_now, cbr_before, cbr_diff = change["CBR"]
    assert cbr_diff.value == pytest.approx(12.06 - 13.20)  # points, not a ratio of rates
    assert cbr_diff.display == "-1.14" and cbr_diff.unit_text == "per-mille points"
    assert cbr_now.fraction == "120 / 9950"
    old = {r.code: r.cells for r in tables["structure"].rows}["OLD65"]
    assert old[2].display == "+0.60" and old[2].unit_text == "percentage points"
    natural = next(r for r in tables["change"].rows if r.label == "Natural increase")
    assert [c.value for c in natural.cells] == [40, 56, -16]


def test_stock_table_by_sex_and_age(stats_world):
    stock = reports.org_report(COUNTY, "2024").tables[0]
    first = stock.rows[0]
    assert first.label == "0-4"
    assert [c.value for c in first.cells[:3]] == [300, 290, 590]  # total summed from M + F
    assert first.cells[3].missing and first.cells[4].missing  # no 2023 pyramid
    total = stock.rows[-1]
    assert total.cells[2].value == 10_000 and total.cells[3].value == 9_900
    assert total.cells[4].value == 100


def test_missing_is_missing_never_zero(stats_world):
    report = reports.org_report(COUNTY, "2024")
    tables = {t.key: t for t in report.tables}
    tfr = {r.code: r.cells for r in tables["fertility"].rows}["TFR"]
    assert tfr[0].value == 1.35 and tfr[1].missing and tfr[2].missing
    assert tfr[1].display == "—" and tfr[2].display == "—"
    marriage = {r.code: r.cells for r in tables["marriage"].rows}
    assert marriage["MARRIAGES"][1].value == 0 and marriage["MARRIAGES"][2].value == 50
    assert all(c.display == "—" for c in marriage["DIVORCES"])


def test_child_headlines_in_one_query(stats_world):
    heads = reports.child_headlines([(T1, "一镇"), (T2, "二镇")], "2024")
    assert [h.code for h in heads] == [T1, T2]
    assert heads[0].cells["POP"].value == 6000 and heads[0].cells["SRB"].small
    assert heads[1].cells["SRB"].missing and heads[1].cells["TFR"].display == "—"


def test_chart_data(stats_world):
    data = reports.chart_data(COUNTY, "2024")
    assert data["pyramid"]["male"][0] == 300 and data["pyramid"]["female"][-1] == 290 + 170
    assert data["trends"]["periods"] == ["2023", "2024"]
    assert data["trends"]["TFR"] == [None, 1.35]
    assert data["srb"]["values"][0] == 118.18 and data["srb"]["high"][1] == 1402.0
    assert data["srb"]["small"] == [True, True]
    assert data["months"]["values"] == [5 + m for m in range(1, 13)]


# --------------------------------------------------------------------------- pages

def test_page_shows_tables_change_flags_and_missing(client, stats_world):
    response = _get(client, stats_world.users["county"], org=COUNTY, period="2024")
    assert response.status_code == 200
    html = response.content.decode()
    change = _table(html, "change")
    cbr = _row(change, "Crude birth rate")
    assert _text(cbr[0]) == "12.06" and _text(cbr[1]) == "13.20"
    assert _text(cbr[2]) == "-1.14 per-mille points"
    assert 'title="120 / 9950"' in change
    fertility = _table(html, "fertility")
    tfr = _row(fertility, "Total fertility rate")
    assert [_text(c) for c in tfr] == ["1.35", "—", "—"]
    assert "missing" in re.search(r"<tr[^>]*>.*?Total fertility rate.*?</tr>", fertility,
                                  re.S).group(0)
    births = _table(html, "births")
    second = _row(births, "Second births")
    assert "540.0" in second[5] and "n&lt;1000, 95% CI 208.0–1402.0" in second[5]
    assert 'class="num small"' in births
    marriage = _row(_table(html, "marriage"), "Divorces")
    assert [_text(c) for c in marriage] == ["—", "—", "—"]
    assert 'id="chart-data"' in html and "<script>" not in html
    assert 'src="/static/renkou/vendor/echarts.min.js"' in html


def test_page_in_chinese_by_default(client, stats_world):
    response = _get(client, stats_world.users["county"], lang="zh-hans", period="2024")
    html = response.content.decode()
    assert "千分点" in html and "出生人口性别比" in html and "统计" in html


def test_default_org_and_period(client, stats_world, monkeypatch):
    monkeypatch.setattr(views, "default_period", lambda periods, today=None: "2024")
    response = _get(client, stats_world.users["stat_t1"])
    assert response.status_code == 200
    assert response.context["unit"].code == T1 and response.context["period"] == "2024"


def test_drill_down_links_county_to_township_to_village(client, stats_world):
    html = _get(client, stats_world.users["stat_county"], org=COUNTY, period="2024").content.decode()
    assert f'href="?org={T1}&amp;period=2024">一镇</a>' in html
    assert f'href="?org={T2}&amp;period=2024">二镇</a>' in html
    drill = re.search(r'<section class="card" id="drilldown">(.*?)</section>', html, re.S).group(1)
    assert "6000" in drill and "4000" in drill
    html = _get(client, stats_world.users["stat_county"], org=T1, period="2024").content.decode()
    assert f"?org={V1A}&amp;period=2024" in html and f"?org={V1B}" in html
    html = _get(client, stats_world.users["stat_county"], org=V1A, period="2024").content.decode()
    assert 'id="drilldown"' not in html  # drill-down stops at villages


def test_drill_down_query_count_does_not_grow_with_children(client, stats_world,
                                                             django_assert_max_num_queries):
    client.force_login(stats_world.users["stat_county"])
    with django_assert_max_num_queries(12):
        client.get(reverse("analytics:overview"), {"org": COUNTY, "period": "2024"})


def test_statistician_at_a_township_cannot_open_another_township(client, stats_world):
    user = stats_world.users["stat_t1"]
    assert _get(client, user, org=T1, period="2024").status_code == 200
    assert _get(client, user, org=V1A, period="2024").status_code == 200
    assert _get(client, user, org=T2, period="2024").status_code == 404
    assert _get(client, user, org=V2A, period="2024").status_code == 404
    assert _get(client, user, org=COUNTY, period="2024").status_code == 404
    for fmt in ("xlsx", "pdf", "dhis2"):
        response = client.get(reverse("analytics:download", args=[fmt]),
                              {"org": T2, "period": "2024"})
        assert response.status_code == 404


def test_village_clerk_sees_its_village_statistics(client, stats_world):
    user = stats_world.users["clerk_v1a"]
    response = _get(client, user, period="2024")
    assert response.status_code == 200 and response.context["unit"].code == V1A
    assert _get(client, user, org=V1B, period="2024").status_code == 404
    # only its own unit in the picker, no link up to the township
    html = response.content.decode()
    assert f'value="{V1B}"' not in html and f"?org={T1}" not in html


def test_auditor_may_not_open_statistics(client, stats_world):
    assert _get(client, stats_world.users["auditor"], period="2024").status_code == 403


def test_unknown_period_is_not_found(client, stats_world):
    assert _get(client, stats_world.users["county"], period="1999").status_code == 404
    assert _get(client, stats_world.users["county"], period="garbage").status_code == 404


def test_no_refresh_yet_tells_the_officer_what_to_run(client, stats_world, settings, tmp_path):
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "empty"
    response = _get(client, stats_world.users["county"], lang="zh-hans")
    html = response.content.decode()
    assert response.status_code == 200
    assert "renkou analytics refresh" in html and "尚未" in html


def test_nav_has_a_statistics_link_for_those_who_read_aggregates(client, stats_world):
    client.force_login(stats_world.users["stat_county"])
    html = client.get(reverse("orgunits:tree")).content.decode()
    assert f'href="{reverse("analytics:overview")}"' in html



def test_the_unit_picker_is_a_tree_of_the_users_units(client, stats_world):
    """The drop-down list of units carries each unit's parent, for the tree of renkou.js."""
    html = _get(client, stats_world.users["stat_t1"], org=T1, period="2024").content.decode()
    assert 'id="stats-org" name="org" data-unit-tree' in html
    assert f'value="{V1A}" data-parent="{T1}"' in html
    assert f'value="{T1}" data-parent="{COUNTY}"' in html  # the top of the user's tree
    assert f'value="{T2}"' not in html and f'value="{COUNTY}"' not in html
