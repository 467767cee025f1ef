"""The synthetic county: determinism, realism, valid IDs, ledger consistency, defects."""

import csv
import datetime as dt
import io

import numpy as np
import pytest
from stdnum.cn import ric

from renkou.register.ledger import LEDGER_FIELDS, EventRecord, fold_many
from renkou.register.models import Household, LifeEvent, Person
from renkou.synthetic.identities import assign_id_numbers, check_digits
from renkou.synthetic.population import (
    DEAD,
    EV,
    RESIDENT,
    SEX_F,
    YEAR,
    date_of,
    day_of,
    generate_population,
)
from renkou.synthetic.service import RegisterNotEmpty, generate_county

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def county():
    return generate_population(30_000, seed=7, end=END)


def test_same_seed_same_county():
    a = generate_population(5_000, seed=3, end=END)
    b = generate_population(5_000, seed=3, end=END)
    for key in a.persons:
        assert np.array_equal(a.persons[key], b.persons[key]), key
    for key in a.events:
        assert np.array_equal(a.events[key], b.events[key]), key
    c = generate_population(5_000, seed=4, end=END)
    assert not np.array_equal(a.persons["birth"], c.persons["birth"])


def test_size_and_org_tree(county):
    assert county.n_persons == 30_000
    tree = county.tree
    kinds = [r.kind for r in tree.rows]
    assert kinds.count("county") == 1
    assert {"street", "town", "township"} <= set(kinds)
    assert {"village", "community"} <= set(kinds)
    assert all(len(r.code) == 12 for r in tree.rows)
    for r in tree.rows[1:]:
        parent = next(p for p in tree.rows if p.code == r.parent_code)
        depth = {"county": 6, "street": 9, "town": 9, "township": 9}[parent.kind]
        assert r.code[:depth] == parent.code[:depth]


def test_default_county_has_about_15_townships_and_250_villages():
    from renkou.synthetic.county import build_county

    tree = build_county(np.random.default_rng(1), 200_000)
    townships = sum(r.kind in ("street", "town", "township") for r in tree.rows)
    villages = sum(r.kind in ("village", "community") for r in tree.rows)
    assert 12 <= townships <= 18 and 240 <= villages <= 260


def test_events_are_dated_within_ten_years_up_to_end(county):
    days = county.events["day"]
    start = day_of(county.start)
    assert days.min() == start and days.max() <= day_of(END)
    later = county.events["type"] != EV["enrol"]
    assert days[later].min() > start
    assert county.start == dt.date(2016, 6, 30)


def test_realistic_age_structure_and_mortality(county):
    p = county.persons
    res = p["status"] == RESIDENT
    age = (day_of(END) - p["birth"][res]) / YEAR
    share_65 = np.mean(age >= 65)
    share_0_14 = np.mean(age < 15)
    assert 0.10 < share_65 < 0.25, share_65
    assert 0.08 < share_0_14 < 0.20, share_0_14
    assert age.max() < 112
    deaths = np.sum(county.events["type"] == EV["death"])
    cdr = deaths / 10 / res.sum() * 1000
    assert 4 < cdr < 12, cdr  # crude death rate per 1000 and year
    assert np.sum(p["status"] == DEAD) == deaths


def test_total_fertility_between_1_and_1_5(county):
    """Period TFR over the ten years: births by mother's age over women-years lived."""
    p, ev = county.persons, county.events
    births = ev["type"] == EV["birth"]
    child = ev["person"][births]
    mother = p["mother"][child]
    mother_age = ((ev["day"][births] - p["birth"][mother]) / YEAR).astype(int)
    # women-years by age: each woman's exposure from entry to exit, approximated yearly
    exposure = np.zeros(60)
    women = np.flatnonzero(p["sex"] == SEX_F)
    entry = np.full(county.n_persons, day_of(county.start))
    entry[ev["person"][ev["type"] != EV["enrol"]]] = np.iinfo(np.int32).max
    first_entry = {}
    for kind in ("birth", "move_in"):
        sel = ev["type"] == EV[kind]
        for person, day in zip(ev["person"][sel], ev["day"][sel], strict=True):
            first_entry.setdefault(int(person), int(day))
    for person, day in first_entry.items():
        entry[person] = min(entry[person], day)
    exit_ = np.full(county.n_persons, day_of(END))
    for kind in ("death", "move_out"):
        sel = ev["type"] == EV[kind]
        exit_[ev["person"][sel]] = np.minimum(exit_[ev["person"][sel]], ev["day"][sel])
    for year_start in range(day_of(county.start), day_of(END), 365):
        mid = year_start + 182
        alive = women[(entry[women] <= mid) & (exit_[women] > mid)]
        ages = ((mid - p["birth"][alive]) / YEAR).astype(int)
        exposure += np.bincount(np.clip(ages, 0, 59), minlength=60)[:60]
    asfr = np.bincount(np.clip(mother_age, 0, 59), minlength=60)[:60] / np.maximum(exposure, 1)
    tfr = asfr[15:50].sum()
    assert 1.0 <= tfr <= 1.5, tfr


def test_id_numbers_valid_unique_and_check_digits_match_stdnum(county):
    ids = assign_id_numbers(np.random.default_rng(1), county)
    present = [x for x in ids if x is not None]
    assert 0.9 < len(present) / len(ids) < 1
    assert len(set(present)) == len(present)
    assert all(ric.is_valid(x) for x in present[:3000])
    for x, i in zip(ids[:2000], range(2000), strict=True):
        if x is not None:
            assert ric.get_birth_date(x) == date_of(county.persons["birth"][i])
            assert (int(x[16]) % 2 == 1) == (county.persons["sex"][i] == 1)
    bodies = np.array([x[:17] for x in present[:500]])
    assert list(check_digits(bodies)) == [ric.calc_check_digit(x) for x in present[:500]]


def test_parents_link_within_register_and_are_plausible(county):
    p = county.persons
    has_mother = p["mother"] >= 0
    assert has_mother.mean() > 0.3
    mothers = p["mother"][has_mother]
    assert np.all(p["sex"][mothers] == SEX_F)
    gap = (p["birth"][has_mother] - p["birth"][mothers]) / YEAR
    assert gap.min() >= 15 and gap.max() <= 52  # the services refuse mothers under 12 or over 60


@pytest.mark.django_db(transaction=True)
def test_generated_register_is_the_fold_of_its_ledger(tmp_path):
    report = generate_county(4_000, seed=11, end=END, defects=0.05,
                             truth_path=tmp_path / "truth.csv")
    assert report.persons == Person.objects.count() > 4_000  # duplicates come on top
    assert Household.objects.count() == report.households
    assert LifeEvent.objects.count() == report.events
    rows = LifeEvent.objects.order_by("person_id", "event_date", "id").values_list(
        "id", "person_id", "event_type", "event_date", "org_id", "payload", "supersedes_id")
    states = dict(fold_many(EventRecord(*r) for r in rows))
    mismatched = [
        p["id"] for p in Person.objects.values("id", *LEDGER_FIELDS)
        if states.get(p["id"]) != {f: p[f] for f in LEDGER_FIELDS}
    ]
    assert mismatched == []
    # every ID in the database passes python-stdnum, with the defects injected
    assert all(ric.is_valid(x) for x in
               Person.objects.exclude(id_number=None).values_list("id_number", flat=True))
    with open(tmp_path / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    kinds = {row["defect_type"] for row in truth}
    assert {"duplicate_other_village", "duplicate_without_id", "homophone_name",
            "swapped_day_month", "age_heaping"} <= kinds
    dup = next(r for r in truth if r["defect_type"] == "duplicate_other_village")
    a = Person.objects.get(pk=dup["person_id"])
    b = Person.objects.get(pk=dup["original_person_id"])
    assert a.id_number is None and a.registered_org_id != b.registered_org_id
    assert a.sex == b.sex
    swapped = next(r for r in truth if r["defect_type"] == "swapped_day_month")
    assert str(Person.objects.get(pk=swapped["person_id"]).birth_date) == swapped["recorded_value"]
    with pytest.raises(RegisterNotEmpty):
        generate_county(2_000, seed=1, end=END)


@pytest.mark.date_sensitive
@pytest.mark.django_db(transaction=True)
def test_replace_clears_what_the_other_apps_built_on_the_register():
    """``generate --replace`` also deletes findings, surveys, candidate pairs and benefit
    applications that point at the old persons (committed, so SQLite checks its keys)."""
    from django.core.management import call_command

    from renkou.accounts.roles import Role
    from renkou.orgunits.models import OrgUnit
    from renkou.quality.models import Violation
    from renkou.services import services
    from renkou.services.models import Consent
    from renkou.testing.factories import make_user

    generate_county(persons=1500, seed=3, defects=0.05)
    call_command("quality", "check", stdout=io.StringIO())
    assert Violation.objects.exists()
    county = OrgUnit.objects.get(parent=None)
    health = make_user("t_replace_health", Role.HEALTH_WORKER, county)
    services.give_consent(Person.objects.order_by("pk").first(), purpose="statistics",
                          given_on=dt.date(2020, 1, 1), method="paper",
                          information_version="统计使用知情同意书", org=county, user=health)
    generate_county(persons=1500, seed=4, replace=True)
    assert not Violation.objects.exists() and Person.objects.count() > 1000
    assert not Consent.objects.exists()
