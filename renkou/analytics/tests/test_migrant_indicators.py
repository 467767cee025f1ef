"""Migrant stock and flows (流动人口) in the statistics catalogue: on a small generated county
(with the generator's own migrants) and a few spells registered through the migrant
services — an arrival that moves on to another village (no second arrival), an inflow
migrant who leaves, an outflow to an address only (destination unknown), a spell recorded
in error — ``renkou analytics refresh`` gives the same figures as a direct count of the
spells, in total, by sex, by age group and by origin or destination province and county,
for the county and for a village, a year and a quarter. And the migrants table of the
statistics page shows them by province."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from renkou.analytics import reports, services, store
from renkou.analytics.catalogue import AGE_GROUPS, MigrantMeasure, load_catalogue
from renkou.analytics.periods import parse_period
from renkou.core import clock
from renkou.migrants import services as migrants
from renkou.migrants.models import EndReason, MigrantSpell
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.models import Person, PersonStatus
from renkou.register.services import age_on
from renkou.synthetic.service import generate_county
from renkou.testing.factories import make_id_number

pytestmark = pytest.mark.django_db


def _in_subtree(spell: MigrantSpell, unit: OrgUnit) -> bool:
    path = spell.manager_org.path
    return path == unit.path or path.startswith(unit.path + "/")


def _continues(spell: MigrantSpell, spells: list[MigrantSpell]) -> bool:
    return any(s.pk != spell.pk and s.person_id == spell.person_id and s.direction == spell.direction
               and s.end_reason == EndReason.MOVED_ON and s.end_date == spell.start_date
               for s in spells)


def direct_count(unit: OrgUnit, label: str) -> dict[str, Counter]:
    """What the catalogue says, counted spell by spell: for each indicator, a Counter of
    the value of each breakdown ('' the total, 'M', 'F', 'age:20-24', 'place:34', …)."""
    period = parse_period(label)
    spells = [s for s in MigrantSpell.objects.select_related("person", "manager_org")
              if s.end_reason != EndReason.CORRECTED
              and s.person.status not in (PersonStatus.MERGED, PersonStatus.VOID)]
    out: dict[str, Counter] = {code: Counter() for code in (
        "MIG_IN_STOCK", "MIG_OUT_STOCK", "MIG_IN_ARRIVALS", "MIG_OUT_DEPARTURES")}
    for s in spells:
        if not _in_subtree(s, unit):
            continue
        counted = []
        if s.start_date <= period.end and (s.end_date is None or s.end_date > period.end):
            counted.append(("MIG_IN_STOCK" if s.direction == "in" else "MIG_OUT_STOCK", period.end))
        if period.start <= s.start_date <= period.end and not _continues(s, spells):
            counted.append(("MIG_IN_ARRIVALS" if s.direction == "in" else "MIG_OUT_DEPARTURES",
                            s.start_date))
        for code, day in counted:
            if s.direction == "in":
                place = s.hukou_code
            else:
                place = s.residence_code if len(s.residence_code) >= 6 else "unknown"
            age = age_on(s.person.birth_date, day)
            group = next(g for g, lo, hi in AGE_GROUPS if age >= lo and (hi is None or age <= hi))
            c = out[code]
            c[""] += 1
            c[s.person.sex] += 1
            if code.endswith("_STOCK"):  # the flows have no sex × age breakdown
                c[f"{s.person.sex}:{group}"] += 1
            c[f"province:{place[:2] if place != 'unknown' else place}"] += 1
            c[f"county:{place[:6] if place != 'unknown' else place}"] += 1
    return out


def computed(con, unit: OrgUnit, label: str) -> dict[str, Counter]:
    rows = con.execute(
        "SELECT indicator, sex, age_group, origin_province || destination_province, "
        "origin_county || destination_county, value FROM indicator_values "
        "WHERE org_code = ? AND period = ? AND indicator LIKE 'MIG_%' AND birth_order = '' "
        "AND urban_rural = ''", [unit.code, label]).fetchall()
    out: dict[str, Counter] = {}
    for code, sex, age, province, county, value in rows:
        if province:
            key = f"province:{province}"
        elif county:
            key = f"county:{county}"
        else:
            key = f"{sex}:{age}" if age else sex
        if value:
            out.setdefault(code, Counter())[key] = value
    return out


def registered(unit, hukou: str, day: dt.date, seq: int, sex: str = "M") -> MigrantSpell:
    birth = dt.date(1994, 5, 1) + dt.timedelta(days=seq)
    return migrants.register_arrival(
        hukou_code=hukou, residence_org=unit, arrival_date=day, name=f"新到{seq}", sex=sex,
        birth_date=birth, id_number=make_id_number(birth, sex, area=hukou[:6], seq=seq))


def test_stock_and_flows_equal_a_direct_count(tmp_path, settings):
    settings.RENKOU_ANALYTICS_DIR = str(tmp_path / "analytics")
    generate_county(1_200, seed=11)
    assert MigrantSpell.objects.filter(direction="in").exists()
    assert MigrantSpell.objects.filter(direction="out").exists()
    county = OrgUnit.objects.get(level=OrgLevel.COUNTY)
    v1, v2 = OrgUnit.objects.filter(level=OrgLevel.VILLAGE).order_by("code")[:2]
    year = clock.today().year - 1

    moving = registered(v1, "410102", dt.date(year, 5, 20), 1)
    migrants.register_arrival(hukou_code="410102", residence_org=v2, person=moving.person,
                              arrival_date=dt.date(year, 8, 1))  # moves on: no arrival
    leaving = registered(v1, "130102", dt.date(year, 3, 2), 2, sex="F")
    migrants.register_departure(leaving.person, departure_date=dt.date(year, 9, 10),
                                destination_code="320102")  # an inflow migrant leaves
    error = registered(v2, "510107", dt.date(year, 4, 4), 3)
    migrants.end_spell(error, end_date=dt.date(year, 4, 5), end_reason=EndReason.CORRECTED)
    resident = (Person.objects.filter(status=PersonStatus.RESIDENT, registered_org=v2,
                                      birth_date__lte=dt.date(1990, 1, 1))
                .exclude(pk__in=MigrantSpell.objects.filter(end_date=None).values("person_id"))
                .order_by("pk").first())
    migrants.register_departure(resident, departure_date=dt.date(year, 7, 1),
                                destination_address="广东省深圳市南山区某街道")  # unknown place

    report = services.refresh()
    assert report["migrant_spells"] == MigrantSpell.objects.count()

    con = store.connect()
    try:
        for unit in (county, v1, v2):
            for label in (str(year), f"{year}Q3"):
                expected = direct_count(unit, label)
                got = computed(con, unit, label)
                for code, counts in expected.items():
                    assert got.get(code, Counter()) == +counts, (unit.code, label, code)
        # the village figures hold the services' spells
        assert direct_count(v2, f"{year}Q3")["MIG_OUT_DEPARTURES"]["province:unknown"] >= 1
        assert direct_count(v1, str(year))["MIG_IN_ARRIVALS"]["county:130102"] == 1
        # the share of the population: stock / population at the end × 100
        share, stock, pop = (con.execute(
            "SELECT value FROM indicator_values WHERE org_code = ? AND period = ? AND "
            f"indicator = ? AND {store_total()}", [county.code, str(year), code]).fetchone()[0]
            for code in ("MIG_IN_SHARE", "MIG_IN_STOCK", "POP"))
        assert stock > 0 and share == pytest.approx(stock / pop * 100)
        # not published for a period not over yet, like the population at its end
        current = str(clock.today().year)
        assert con.execute(
            "SELECT value, flag FROM indicator_values WHERE org_code = ? AND period = ? AND "
            f"indicator = 'MIG_IN_STOCK' AND {store_total()}", [county.code, current]
        ).fetchone() == (None, "missing,incomplete")
    finally:
        con.close()

    # the statistics page's migrants table, by province, with Chinese labels
    from django.utils import translation

    with translation.override("zh-hans"):
        tables = {t.key: t for t in reports.org_report(county.code, str(year)).tables}
    rows = tables["migrants"].rows
    assert rows[0].label.startswith("流入人口") and rows[0].cells[0].value == stock
    provinces = [r for r in rows if r.code == "MIG_IN_STOCK" and r.level == 1]
    assert "41 河南省" in [r.label for r in provinces]
    assert sum(r.cells[0].value for r in provinces) == stock
    assert any(r.label.startswith("流出人口") for r in rows)


def store_total() -> str:
    from renkou.analytics.schema import TOTAL_ROW

    return TOTAL_ROW


def test_the_catalogue_refuses_a_place_breakdown_of_a_population():
    from django.utils import translation

    from renkou.analytics.catalogue import CatalogueError, parse_catalogue

    def refused(entry: dict, words: str) -> None:
        with translation.override("en"), pytest.raises(CatalogueError, match=words):
            parse_catalogue({"indicators": [entry]})

    entry = {"code": "X", "name_zh": "x", "name_en": "x", "unit": "%",
             "numerator": {"migrants": {"direction": "in", "kind": "stock_end"}},
             "denominator": {"population": {"kind": "end"}}, "multiplier": 100,
             "interval": "wilson", "disaggregations": ["origin_province"]}
    refused(entry, "origin_province")  # a population has no origin
    entry = {**entry, "denominator": None, "interval": "none",
             "disaggregations": ["destination_county"]}
    refused(entry, "destination_county")  # inflow migrants have an origin, not a destination
    entry = {**entry, "numerator": {"migrants": {"direction": "out", "kind": "stock_end"}},
             "interval": "poisson", "disaggregations": []}
    refused(entry, "Poisson")  # a stock is no count of events
    refused({**entry, "numerator": {"migrants": {"direction": "both", "kind": "begun"}}},
            "direction")
    shipped = {i.code: i for i in load_catalogue()}
    assert shipped["MIG_OUT_DEPARTURES"].numerator == MigrantMeasure(direction="out", kind="begun")
