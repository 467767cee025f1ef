"""The statistics engine on a hand-built county where every figure is counted by hand.

The county (built through the register services, as an office would):

    示范县 340000000000 (rural)
    ├── 和平镇 340000101000 (town, rural)
    │   ├── 东村 340000101201  m1 ♀1995-03-10, h1 ♂1993-01-01, w2 ♀1990-07-01, old1 ♂1950-01-01
    │   ├── 西村 340000101202  m2 ♀1998-05-05, x ♂1980-02-02
    │   └── 北村 340000101203  z ♂1960-04-04 (no woman of 15–49 ever)
    └── 城关街道 340000001000 (street, urban)
        └── 南门社区 340000001001  m3 ♀1985-12-12, y ♂1970-06-06

Everyone enrolled on 2022-06-15, the first event of the ledger. Then:

    2023-09-30  birth b1 ♂ to m1 in 东村      (statistical year SY2023)
    2023-10-01  birth b2 ♀ to m2 in 西村      (SY2024)
    2023-11-20  death of y in 南门社区, later VOIDED (y stays a resident)
    2023-12-31  birth b3 ♂ to m3 in 南门社区  (calendar 2023)
    2024-01-01  birth b4 ♀ to w2 in 东村      (calendar 2024)
    2024-02-10  x moves from 西村 to 南门社区 (move within the county)
    2024-03-15  death of old1 in 东村
    2024-05-20  h1 moves out of the county from 东村

Residents at the end of:           东村 西村 北村 南门 | county
    2022-12-31                       4    2    1    2  |   9
    2023-09-30                       5    2    1    2  |  10
    2023-12-31                       5    3    1    3  |  12
    2024-09-30 and 2024-12-31        4    2    1    4  |  11
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from types import SimpleNamespace

import duckdb
import numpy as np
import pytest
from django.core.management import call_command

from renkou.analytics import periods, services, store
from renkou.analytics.engine import life_expectancy
from renkou.analytics.periods import build_periods
from renkou.core import clock
from renkou.demography import life_table, poisson_interval, srb_interval, wilson_interval
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural
from renkou.register import services as reg
from renkou.register.models import HukouType, LifeEvent, Sex

pytestmark = pytest.mark.django_db

ENROLLED = dt.date(2022, 6, 15)
COUNTY, TOWN, EAST, WEST, NORTH = ("340000000000", "340000101000", "340000101201",
                                   "340000101202", "340000101203")
STREET, SOUTH = "340000001000", "340000001001"
VILLAGES = (EAST, WEST, NORTH, SOUTH)


def _unit(code, name, kind, parent, urban_rural):
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, urban_rural=urban_rural)
    unit.save()
    return unit


def build_hand_county() -> SimpleNamespace:
    county = _unit(COUNTY, "示范县", OrgKind.COUNTY, None, UrbanRural.RURAL)
    town = _unit(TOWN, "和平镇", OrgKind.TOWN, county, UrbanRural.RURAL)
    east = _unit(EAST, "东村", OrgKind.VILLAGE, town, UrbanRural.RURAL)
    west = _unit(WEST, "西村", OrgKind.VILLAGE, town, UrbanRural.RURAL)
    north = _unit(NORTH, "北村", OrgKind.VILLAGE, town, UrbanRural.RURAL)
    street = _unit(STREET, "城关街道", OrgKind.STREET, county, UrbanRural.URBAN)
    south = _unit(SOUTH, "南门社区", OrgKind.COMMUNITY, street, UrbanRural.URBAN)

    def enrol(name, sex, born, org):
        return reg.enrol_person(name=name, sex=sex, birth_date=born, org=org,
                                event_date=ENROLLED, hukou_type=HukouType.RURAL)

    p = SimpleNamespace(county=county, town=town, east=east, west=west, north=north,
                        street=street, south=south)
    p.m1 = enrol("陈丽", Sex.FEMALE, dt.date(1995, 3, 10), east)
    p.h1 = enrol("陈刚", Sex.MALE, dt.date(1993, 1, 1), east)
    p.w2 = enrol("刘梅", Sex.FEMALE, dt.date(1990, 7, 1), east)
    p.old1 = enrol("陈老汉", Sex.MALE, dt.date(1950, 1, 1), east)
    p.m2 = enrol("王兰", Sex.FEMALE, dt.date(1998, 5, 5), west)
    p.x = enrol("王强", Sex.MALE, dt.date(1980, 2, 2), west)
    p.z = enrol("赵大", Sex.MALE, dt.date(1960, 4, 4), north)
    p.m3 = enrol("李娜", Sex.FEMALE, dt.date(1985, 12, 12), south)
    p.y = enrol("李军", Sex.MALE, dt.date(1970, 6, 6), south)

    p.b1 = reg.record_birth(mother=p.m1, name="陈一", sex=Sex.MALE, birth_date=dt.date(2023, 9, 30))
    p.b2 = reg.record_birth(mother=p.m2, name="王二", sex=Sex.FEMALE, birth_date=dt.date(2023, 10, 1))
    death = reg.record_death(p.y, event_date=dt.date(2023, 11, 20))
    reg.void_event(death, reason="登记错误")
    p.b3 = reg.record_birth(mother=p.m3, name="李三", sex=Sex.MALE, birth_date=dt.date(2023, 12, 31))
    p.b4 = reg.record_birth(mother=p.w2, name="刘四", sex=Sex.FEMALE, birth_date=dt.date(2024, 1, 1))
    p.x.refresh_from_db()
    reg.record_move_within(p.x, org=south, event_date=dt.date(2024, 2, 10))
    p.old1.refresh_from_db()
    reg.record_death(p.old1, event_date=dt.date(2024, 3, 15))
    p.h1.refresh_from_db()
    reg.record_move_out(p.h1, event_date=dt.date(2024, 5, 20))
    return p


@pytest.fixture
def analytics_dir(tmp_path, settings):
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "analytics"
    return settings.RENKOU_ANALYTICS_DIR


@pytest.fixture
def hand_county(analytics_dir):
    """The county above, refreshed into a temporary RENKOU_ANALYTICS_DIR."""
    county = build_hand_county()
    county.timings = services.refresh()
    return county


def row(indicator, period, org, sex="", age_group="", birth_order="", urban_rural=""):
    con = duckdb.connect(str(store.indicators_path()), read_only=True)
    try:
        cur = con.execute(
            "SELECT value, numerator, denominator, ci_low, ci_high, flag FROM indicator_values "
            "WHERE indicator = ? AND period = ? AND org_code = ? AND sex = ? AND age_group = ? "
            "AND birth_order = ? AND urban_rural = ?",
            [indicator, period, org, sex, age_group, birth_order, urban_rural])
        found = cur.fetchall()
    finally:
        con.close()
    assert len(found) == 1, (indicator, period, org, found)
    return SimpleNamespace(**dict(zip(("value", "numerator", "denominator", "ci_low", "ci_high",
                                       "flag"), found[0], strict=True)))


def value(indicator, period, org, **dims):
    return row(indicator, period, org, **dims).value


# ----------------------------------------------------------------------------- populations


def test_population_at_period_ends_counted_by_hand(hand_county):
    expected = {
        "2022-12": {EAST: 4, WEST: 2, NORTH: 1, SOUTH: 2, TOWN: 7, STREET: 2, COUNTY: 9},
        "SY2023": {EAST: 5, WEST: 2, NORTH: 1, SOUTH: 2, TOWN: 8, STREET: 2, COUNTY: 10},
        "2023": {EAST: 5, WEST: 3, NORTH: 1, SOUTH: 3, TOWN: 9, STREET: 3, COUNTY: 12},
        "SY2024": {EAST: 4, WEST: 2, NORTH: 1, SOUTH: 4, TOWN: 7, STREET: 4, COUNTY: 11},
        "2024": {EAST: 4, WEST: 2, NORTH: 1, SOUTH: 4, TOWN: 7, STREET: 4, COUNTY: 11},
        "2025": {EAST: 4, WEST: 2, NORTH: 1, SOUTH: 4, TOWN: 7, STREET: 4, COUNTY: 11},
    }
    for period, by_unit in expected.items():
        for org, n in by_unit.items():
            assert value("POP", period, org) == n, (period, org)


def test_a_period_not_yet_over_is_flagged_incomplete_and_its_end_population_unpublished(
        hand_county):
    # the refresh's day is 2026-11-16: 2026, 2026H2, 2026Q4 and 2026-11 are not over
    for period in ("2026", "2026H2", "2026Q4", "2026-11"):
        pop = row("POP", period, COUNTY)
        assert pop.value is None and pop.ci_low is None, period
        assert set(pop.flag.split(",")) == {"missing", "incomplete"}, period
        assert "incomplete" in row("CBR", period, COUNTY).flag.split(","), period
    assert "incomplete" not in row("CBR", "2026-10", COUNTY).flag
    assert "incomplete" not in row("POP", "2025", COUNTY).flag


def test_mid_period_population_and_crude_birth_rate(hand_county):
    # 2023: start (end of 2022-12-31) 9, end 12 → P̄ = 10.5; births b1, b2, b3
    r = row("CBR", "2023", COUNTY)
    assert (r.numerator, r.denominator) == (3, 10.5)
    assert r.value == pytest.approx(3 / 10.5 * 1000)
    lo, hi = poisson_interval(3)
    assert (r.ci_low, r.ci_high) == (pytest.approx(lo / 10.5 * 1000), pytest.approx(hi / 10.5 * 1000))
    assert r.flag == "small_number"  # 3 births < 20
    assert value("POP_MID", "2023", COUNTY) == 10.5
    # villages: 东村 (4 + 5) / 2 = 4.5 with b1; 西村 (2 + 3) / 2 with b2; 北村 no births: a real 0
    assert value("CBR", "2023", EAST) == pytest.approx(1 / 4.5 * 1000)
    assert value("CBR", "2023", WEST) == pytest.approx(1 / 2.5 * 1000)
    assert row("CBR", "2023", NORTH).value == 0.0
    assert row("CBR", "2023", NORTH).flag == "small_number"
    # the town: births 2, P̄ = (7 + 9) / 2 = 8
    assert value("CBR", "2023", TOWN) == pytest.approx(2 / 8 * 1000)


def test_statistical_year_boundaries(hand_county):
    # SY2023 = 2022-10-01 … 2023-09-30 holds b1 (30 Sep); SY2024 holds b2 (1 Oct), b3, b4
    assert value("BIRTHS", "SY2023", COUNTY) == 1
    assert value("BIRTHS", "SY2024", COUNTY) == 3
    assert value("BIRTHS", "SY2023", EAST) == 1
    assert value("BIRTHS", "SY2024", WEST) == 1
    # SY2024: start (2023-09-30) 10, end (2024-09-30) 11
    r = row("CBR", "SY2024", COUNTY)
    assert (r.numerator, r.denominator) == (3, 10.5)
    # 31 Dec vs 1 Jan
    assert value("BIRTHS", "2023", COUNTY) == 3
    assert value("BIRTHS", "2024", COUNTY) == 1
    assert value("BIRTHS", "2023Q4", COUNTY) == 2
    assert value("BIRTHS", "2023H2", COUNTY) == 3
    assert value("BIRTHS", "2023-09", EAST) == 1
    assert value("BIRTHS", "2023-10", WEST) == 1
    assert value("BIRTHS", "2024-01", EAST) == 1


def test_statistical_year_start_month_is_a_setting(settings):
    settings.RENKOU_STAT_YEAR_START_MONTH = 7
    p = periods.parse_period("SY2024")
    assert (p.start, p.end) == (dt.date(2023, 7, 1), dt.date(2024, 6, 30))
    labels = {p.label: p for p in build_periods(dt.date(2023, 5, 3), dt.date(2024, 8, 1), 7)}
    assert labels["SY2024"].start == dt.date(2023, 7, 1)
    assert "SY2023" not in labels  # it starts before the ledger's first month
    assert "2023" not in labels and "2023-05" in labels and "2023Q3" in labels
    assert "2024Q3" in labels and "2024Q4" not in labels  # the current period, not future ones


def test_voided_death_deaths_and_moves(hand_county):
    # y's death was voided: no deaths in 2023, y still counted in 南门社区
    r = row("DEATHS", "2023", COUNTY)
    assert (r.value, r.flag) == (0, "")
    assert row("CDR", "2023", COUNTY).value == 0.0  # a true zero, not missing
    assert value("POP", "2023-11", SOUTH) == 2
    # 2024: old1 died, h1 moved out; P̄ = (12 + 11) / 2
    assert value("DEATHS", "2024", COUNTY) == 1
    assert value("CDR", "2024", COUNTY) == pytest.approx(1 / 11.5 * 1000)
    assert value("MOVES_OUT", "2024", EAST) == 1
    assert value("MIG_out", "2024", COUNTY) == pytest.approx(1 / 11.5 * 1000)
    # a move within the county is no move in or out
    assert value("MOVES_IN", "2024", SOUTH) == 0
    assert value("MOVES_OUT", "2024", WEST) == 0
    assert value("RNI", "2024", COUNTY) == pytest.approx((1 - 1) / 11.5 * 1000)
    assert value("RNI", "2023", COUNTY) == pytest.approx(3 / 10.5 * 1000)


def test_move_mid_period(hand_county):
    # x moved from 西村 to 南门社区 on 2024-02-10
    assert value("POP", "2024-01", WEST) == 3 and value("POP", "2024-02", WEST) == 2
    assert value("POP", "2024-01", SOUTH) == 3 and value("POP", "2024-02", SOUTH) == 4
    assert value("POP_MID", "2024-02", WEST) == 2.5
    # person-days in February 2024 (29 days): 西村 m2 29 + b2 29 + x 9 (1–9 Feb);
    # 南门社区 m3, y, b3 29 each + x 20 (10–29 Feb). e0's denominator shows them.
    assert row("e0", "2024-02", WEST).denominator == pytest.approx(67 / 365.25)
    assert row("e0", "2024-02", SOUTH).denominator == pytest.approx(107 / 365.25)
    # the town adds 东村's six (m1, h1, w2, old1, b1, b4) and 北村's z, all month
    assert row("e0", "2024-02", TOWN).denominator == pytest.approx((67 + 6 * 29 + 29) / 365.25)


def test_person_years_of_a_year(hand_county):
    # 2023: nine persons all year (9 × 365) + b1 93 days + b2 92 days + b3 1 day
    assert row("e0", "2023", COUNTY).denominator == pytest.approx((9 * 365 + 93 + 92 + 1) / 365.25)


def test_roll_ups_equal_the_sum_of_villages(hand_county):
    con = duckdb.connect(str(store.indicators_path()), read_only=True)
    try:
        for indicator in ("POP", "BIRTHS", "DEATHS", "MOVES_OUT", "POP_MID"):
            for period in ("2023", "2024", "SY2024", "2024Q1", "2024-02"):
                got = dict(con.execute(
                    "SELECT org_code, value FROM indicator_values WHERE indicator = ? AND period = ? "
                    "AND sex = '' AND age_group = '' AND birth_order = '' AND urban_rural = ''",
                    [indicator, period]).fetchall())
                assert got[TOWN] == got[EAST] + got[WEST] + got[NORTH]
                assert got[STREET] == got[SOUTH]
                assert got[COUNTY] == got[TOWN] + got[STREET]
    finally:
        con.close()


def test_disaggregations(hand_county):
    # population pyramid rows, sex × age group, and urban/rural
    assert value("POP", "2023", COUNTY, sex="M", age_group="0-4") == 2  # b1, b3
    assert value("POP", "2023", COUNTY, sex="F", age_group="0-4") == 1  # b2
    assert value("POP", "2023", COUNTY, sex="M", age_group="85+") == 0  # zero, not missing
    assert value("POP", "2023", COUNTY, urban_rural="urban") == 3
    assert value("POP", "2023", COUNTY, urban_rural="rural") == 9
    assert value("OLD65", "2023", COUNTY) == pytest.approx(100 / 12)  # old1
    # births by sex and order; SRB with its Wilson interval, flagged (< 1,000 births)
    assert value("BIRTHS", "2023", COUNTY, sex="M") == 2
    assert value("BIRTHS", "2023", COUNTY, birth_order="1") == 3
    srb = row("SRB", "2023", COUNTY)
    assert (srb.value, srb.numerator, srb.denominator) == (200.0, 2, 1)
    lo, hi = srb_interval(2, 1)
    assert (srb.ci_low, srb.ci_high) == (pytest.approx(lo), pytest.approx(hi))
    assert srb.flag == "small_number"
    assert row("SRB", "2023", COUNTY, birth_order="1").value == 200.0
    # no female births in 东村 in 2023: SRB missing, never 0 or infinite
    east = row("SRB", "2023", EAST)
    assert east.value is None and east.ci_high is None and east.flag == "small_number,missing"
    # share of first births, Wilson
    ord1 = row("ORD_1", "2023", COUNTY)
    assert ord1.value == 100.0
    lo, hi = wilson_interval(3, 3)
    assert (ord1.ci_low, ord1.ci_high) == (pytest.approx(lo * 100), pytest.approx(hi * 100))
    assert value("ORD_2", "2023", COUNTY) == 0.0


def test_fertility(hand_county):
    # mothers' ages at the 2023 births: m1 28 and m2 25 (25–29), m3 38 (35–39)
    assert value("BIRTHS", "2023", COUNTY) == 3
    # women's person-years 2023 in 25–29: m1 all year (365 days), m2 from 5 May (241 days)
    asfr = row("ASFR", "2023", COUNTY, age_group="25-29")
    assert asfr.numerator == 2
    assert asfr.denominator == pytest.approx((365 + 241) / 365.25)
    assert asfr.value == pytest.approx(2 / ((365 + 241) / 365.25) * 1000)
    # 20–24: m2 until 4 May (124 days), no births: a zero
    assert value("ASFR", "2023", COUNTY, age_group="20-24") == 0.0
    assert row("ASFR", "2023", COUNTY, age_group="20-24").denominator == pytest.approx(124 / 365.25)
    # 15–19: no women at all → missing, and so is TFR
    assert row("ASFR", "2023", COUNTY, age_group="15-19").flag == "small_number,missing"
    tfr = row("TFR", "2023", COUNTY)
    assert tfr.value is None and tfr.flag == "small_number,missing"  # and fewer than 20 births
    # GFR: women 15–49 at the start (m1, w2, m2, m3) and at the end (the same four)
    gfr = row("GFR", "2023", COUNTY)
    assert (gfr.numerator, gfr.denominator) == (3, 4)
    # 北村 never had a woman of 15–49: GFR missing, with the flag
    north = row("GFR", "2023", NORTH)
    assert north.value is None and north.denominator == 0 and "missing" in north.flag
    # mean age of mothers: exact ages in days / 365.25
    ages = [(dt.date(2023, 9, 30) - dt.date(1995, 3, 10)).days,
            (dt.date(2023, 10, 1) - dt.date(1998, 5, 5)).days,
            (dt.date(2023, 12, 31) - dt.date(1985, 12, 12)).days]
    assert value("MAC", "2023", COUNTY) == pytest.approx(sum(ages) / 365.25 / 3)


@pytest.mark.date_sensitive
def test_periods_before_the_ledger_are_missing(hand_county):
    # the ledger starts 2022-06-15: the population before it is unknown
    r = row("CBR", "2022-06", COUNTY)
    assert r.value is None and r.denominator is None and r.flag == "small_number,missing"
    assert value("POP", "2022-06", COUNTY) == 9
    assert value("CBR", "2022-07", COUNTY) == 0.0
    assert value("POP_MID", "2022Q3", COUNTY) == 9
    con = duckdb.connect(str(store.indicators_path()), read_only=True)
    try:
        periods = {p for (p,) in con.execute("SELECT period FROM periods").fetchall()}
    finally:
        con.close()
    assert "2022" not in periods and "SY2022" not in periods and "2022Q2" not in periods
    assert {"2022-06", "2022Q3", "2022H2", "SY2023", "2023"} <= periods
    # up to the current, incomplete period of each kind; none after it
    today = clock.today()
    next_month = today.replace(day=1) + dt.timedelta(days=32)
    stat_year = today.year + (today.month >= 10)  # SY named by the year it ends in
    assert {f"{today:%Y-%m}", f"{today.year}", f"SY{stat_year}"} <= periods
    assert f"{next_month:%Y-%m}" not in periods and f"{today.year + 1}" not in periods
    assert f"SY{stat_year + 1}" not in periods


def test_as_of_consistency_with_the_register_export(hand_county, tmp_path):
    for day, period in ((dt.date(2024, 2, 29), "2024-02"), (dt.date(2023, 9, 30), "SY2023"),
                        (dt.date(2024, 12, 31), "2024")):
        out = tmp_path / f"persons-{day}.csv"
        call_command("export", "persons", "--as-of", day.isoformat(), "--out", str(out), "--quiet")
        with open(out, encoding="utf-8-sig") as f:
            residents = [r for r in csv.DictReader(f) if r["status"] == "resident"]
        for village in VILLAGES:
            assert value("POP", period, village) == sum(r["org_code"] == village for r in residents)
        assert value("POP", period, COUNTY) == len(residents)


def test_corrected_event_date_moves_the_birth(analytics_dir):
    county = build_hand_county()
    birth = LifeEvent.objects.get(person=county.b2, event_type="birth")
    reg.correct_fields(county.b2, {"birth_date": dt.date(2023, 9, 29)}, reason="日期录错")
    reg.correct_event(birth, reason="日期录错", event_date=dt.date(2023, 9, 29))
    services.refresh()
    assert value("BIRTHS", "SY2023", COUNTY) == 2
    assert value("BIRTHS", "SY2024", COUNTY) == 2


def test_life_expectancy_matches_the_demography_life_table():
    rng = np.random.default_rng(4)
    exposure = rng.uniform(50, 5000, size=(6, 19))
    deaths = np.round(exposure * np.geomspace(0.0005, 0.2, 19) * rng.uniform(0.5, 1.5, (6, 19)))
    deaths[:, -1] = np.maximum(deaths[:, -1], 1)
    sexes = np.array(["M", "F", "M", "F", "M", "F"])
    got = life_expectancy(deaths, exposure, sexes)
    ages = [0, 1, *range(5, 90, 5)]
    for i in range(6):
        expected = life_table(deaths[i] / exposure[i], ages, sex=sexes[i].lower(), radix=1).e0
        assert got[i] == pytest.approx(expected, rel=1e-12)
    # a group without exposure, or no deaths in the open group: missing
    exposure[0, 3] = 0
    deaths[1, -1] = 0
    got = life_expectancy(deaths, exposure, sexes)
    assert np.isnan(got[0]) and np.isnan(got[1])


def test_refresh_replaces_the_file_and_rows_are_read_back(hand_county):
    rows = services.indicator_rows("2023", org_code=TOWN, level=3, indicators=["POP", "BIRTHS"])
    assert [(r["org_code"], r["indicator"], r["value"]) for r in rows] == [
        (EAST, "POP", 5), (EAST, "BIRTHS", 1), (WEST, "POP", 3), (WEST, "BIRTHS", 1),
        (NORTH, "POP", 1), (NORTH, "BIRTHS", 0)]
    services.refresh()
    assert not list(store.indicators_path().parent.glob("*.tmp"))
    assert services.indicator_rows("2023", org_code=COUNTY, indicators=["POP"])[0]["value"] == 12


def test_merged_duplicate_leaves_the_statistics_and_returns_when_unmerged(analytics_dir):
    county = build_hand_county()
    # the same woman registered a second time in 北村, with a birth of her own
    twin = reg.enrol_person(name="王芳", sex=Sex.FEMALE, birth_date=dt.date(1998, 5, 5),
                            org=county.north, event_date=ENROLLED, hukou_type=HukouType.RURAL)
    reg.record_birth(mother=twin, name="王小", sex=Sex.MALE, birth_date=dt.date(2024, 4, 4),
                     org=county.north)
    services.refresh()
    assert value("POP", "2024", NORTH) == 3 and value("BIRTHS", "2024", COUNTY) == 2
    merge = reg.record_merge(twin, county.m2, reason="同一人两次登记")
    services.refresh()
    # the duplicate is gone from every period; its child's record stays (a person of its own)
    assert value("POP", "2022-12", NORTH) == 1 and value("POP", "2022-12", COUNTY) == 9
    assert value("POP", "2024", NORTH) == 2
    assert value("BIRTHS", "2024", COUNTY) == 2  # the birth is recorded on the child
    reg.void_event(merge, reason="不是同一人")
    services.refresh()
    assert value("POP", "2024", NORTH) == 3 and value("POP", "2022-12", COUNTY) == 10


def test_a_catalogue_of_event_counts_alone_gives_the_same_values(hand_county, tmp_path):
    """The engine skips the population stage when no indicator needs it (what `bench
    analytics` times as its like-for-like figure) and the counts do not change."""
    from renkou.analytics.catalogue import load_catalogue
    from renkou.analytics.engine import compute_indicators
    from renkou.analytics.snapshot import snapshot_dir

    births = tuple(i for i in load_catalogue() if i.code == "BIRTHS")
    out = tmp_path / "births.duckdb"
    timings = compute_indicators(snapshot_dir(), out, catalogue=births)
    assert "population" not in timings
    query = ("SELECT org_code, period, sex, birth_order, value, ci_low, ci_high, flag "
             "FROM indicator_values WHERE indicator = 'BIRTHS' ORDER BY ALL")
    alone = duckdb.connect(str(out), read_only=True)
    full = duckdb.connect(str(store.indicators_path()), read_only=True)
    try:
        rows = alone.execute(query).fetchall()
        assert rows and rows == full.execute(query).fetchall()
    finally:
        alone.close()
        full.close()


def test_a_missing_value_has_no_interval(hand_county):
    con = duckdb.connect(str(store.indicators_path()), read_only=True)
    try:
        missing, with_interval = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE ci_low IS NOT NULL OR ci_high IS NOT NULL) "
            "FROM indicator_values WHERE value IS NULL AND indicator IN ('SRB', 'ORD_1', 'ORD_2', "
            "'CBR')").fetchone()
    finally:
        con.close()
    assert missing > 0 and with_interval == 0


def test_formulas_carry_numerator_denominator_and_inherit_the_small_number_flag(hand_county):
    cbr, cdr, rni = (row(code, "2023", COUNTY) for code in ("CBR", "CDR", "RNI"))
    assert (rni.numerator, rni.denominator) == (cbr.numerator - cdr.numerator, cbr.denominator)
    assert rni.value == pytest.approx(cbr.value - cdr.value)
    assert "small_number" in rni.flag  # three births and a death: CBR and CDR are small
    tfr = row("TFR", "2023", COUNTY)
    births_15_49 = row("ASFR", "2023", COUNTY).numerator
    assert tfr.numerator == births_15_49 and tfr.denominator is None
    assert tfr.value is None  # an age group has no women
    assert set(tfr.flag.split(",")) == {"small_number", "missing"}  # fewer than 20 births


def test_the_statistics_page_says_when_from_which_ledger_state_and_when_it_is_stale(
        hand_county, client):
    from renkou.accounts.roles import Role
    from renkou.register import services as register
    from renkou.register.models import LifeEvent, Person
    from renkou.testing.factories import make_user

    client.force_login(make_user("stat", Role.STATISTICIAN, hand_county.county))

    def freshness(period: str) -> str:
        page = client.get("/stats/", {"period": period}).content.decode()
        return re.search(r'<p class="muted freshness">(.*?)</p>', page, re.S).group(1)

    last = LifeEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    note = freshness("2025")
    assert "计算于" in note and f"第 {last} 号事件" in note and "刷新" not in note
    page = client.get("/stats/", {"period": "2026"}).content.decode()
    assert "尚未结束" in page  # the period was not over: partial figures
    register.record_move_out(Person.objects.filter(status="resident").first(),
                             event_date=dt.date(2026, 11, 1))
    note = freshness("2025")
    assert "又登记了 1 个事件" in note and "请用上方按钮刷新" in note


def test_asfr_counts_a_birth_where_the_mothers_exposure_is_counted(analytics_dir):
    # 陈丽 lives in 东村; her child of 2025 is registered in 西村 (the father's village):
    # BIRTHS counts it in 西村, the age-specific rates in 东村 with her person-years
    p = build_hand_county()
    reg.record_birth(mother=p.m1, name="陈五", sex=Sex.MALE, birth_date=dt.date(2025, 4, 1),
                     org=p.west)
    services.refresh()
    assert value("BIRTHS", "2025", WEST) == 1 and value("BIRTHS", "2025", EAST) == 0
    assert row("ASFR", "2025", EAST, age_group="30-34").numerator == 1
    assert row("ASFR", "2025", WEST, age_group="30-34").numerator == 0
    assert row("GFR", "2025", EAST).numerator == 1 and row("GFR", "2025", WEST).numerator == 0
    assert row("ASFR", "2025", TOWN, age_group="30-34").numerator == 1  # once, at every level
