"""Two counties generated side by side (``renkou generate --county CODE --name NAME``), each in
a database of its own as two offices would have them: their org codes, ID numbers valid for
every holder's birth year and never shared, migrants in both directions in realistic shares
(working-age heavy), the same county again from the same seed; and the migrant shares of a
larger county, without a database."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from renkou.register.identity import id_number_problems
from renkou.synthetic.areas import area_code_for
from renkou.synthetic.county import seed_for
from renkou.synthetic.identities import assign_id_numbers, full_names
from renkou.synthetic.migrants import DESTINATIONS, generate_migrants
from renkou.synthetic.population import RESIDENT, SEX_M, YEAR, day_of, generate_population

END = dt.date(2026, 6, 30)
A, B = ("340621", "示范县"), ("341322", "邻县")


def _age(birth: str) -> float:
    return (END - dt.date.fromisoformat(birth)).days / YEAR


def _generate(folder: Path, code: str, name: str, seed: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "renkou.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("RENKOU_OFFICE_CODE", "LANGUAGE")}
    env |= {"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "renkou.settings",
            "RENKOU_HOME": str(folder)}
    done = subprocess.run(
        [sys.executable, "-m", "renkou", "generate", "--persons", "1000", "--seed", str(seed),
         "--end-date", END.isoformat(), "--county", code, "--name", name, "--verbosity", "0"],
        env=env, cwd=folder, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{code} {name}：流出人口 " in done.stdout, done.stdout  # the interface is Chinese
    return database


def _rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchall()


@pytest.fixture(scope="module")
def counties(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("two_counties")
    return {A[0]: _generate(root / "a", *A), B[0]: _generate(root / "b", *B)}


def test_org_codes_and_names_derive_from_the_county_code(counties):
    for code, name in (A, B):
        units = _rows(counties[code], "SELECT code, name, level, parent_id FROM orgunits_orgunit")
        assert all(u[0].startswith(code) and len(u[0]) == 12 for u in units)
        [root] = [u for u in units if u[3] is None]
        assert root[:3] == (code + "000000", name, 1)
        assert len(units) >= 12


def test_every_id_number_is_valid_and_none_is_shared(counties):
    numbers = {}
    for code, _name in (A, B):
        people = _rows(counties[code], "SELECT id_number, birth_date, sex FROM register_person "
                                       "WHERE id_number IS NOT NULL")
        assert len(people) > 900
        bad = [p for p in people
               if id_number_problems(p[0], dt.date.fromisoformat(p[1]), p[2])]
        assert bad == []
        numbers[code] = {p[0] for p in people}
        assert len(numbers[code]) == len(people)
    assert numbers[A[0]] & numbers[B[0]] == set()
    # B's people born before 1998 carry 萧县's code of then (342222): stdnum knows 341322 only
    # from 1998 on
    prefixes = Counter(n[:6] for n in numbers[B[0]])
    assert prefixes["342222"] > 300 and prefixes["341322"] > 50
    assert not any(n.startswith("341322") and int(n[6:10]) < 1998 for n in numbers[B[0]])


def _spells(database: Path) -> list[dict]:
    columns = ("direction", "hukou_code", "residence_code", "residence_org_id", "manager_org_id",
               "start_date", "end_date", "end_reason", "reason", "person_id", "birth_date", "sex",
               "id_number", "registered_org_id", "status")
    rows = _rows(database, """SELECT s.direction, s.hukou_code, s.residence_code,
        s.residence_org_id, s.manager_org_id, s.start_date, s.end_date, s.end_reason, s.reason,
        p.id, p.birth_date, p.sex, p.id_number, p.registered_org_id, p.status
        FROM migrants_migrantspell s JOIN register_person p ON p.id = s.person_id
        ORDER BY s.id""")
    return [dict(zip(columns, r, strict=True)) for r in rows]


@pytest.mark.parametrize("county", [A, B], ids=["default county", "second county"])
def test_each_county_has_outflow_and_inflow_migrants_of_working_age(counties, county):
    code, _name = county
    database = counties[code]
    spells = _spells(database)
    residents = [_age(r[0]) for r in _rows(database, "SELECT birth_date FROM register_person "
                                                    "WHERE status = 'resident'")]
    working_age = sum(16 <= a < 60 for a in residents)
    out = [s for s in spells if s["direction"] == "out"]
    inflow = [s for s in spells if s["direction"] == "in"]
    # outflow: residents registered here, living elsewhere; about a tenth of those aged 16–59
    out_working = [s for s in out if 16 <= _age(s["birth_date"]) < 60]
    assert 0.06 <= len(out_working) / working_age <= 0.14
    assert len(out_working) / len(out) >= 0.8
    reasons = Counter(s["reason"] for s in out)
    assert reasons.most_common(1)[0][0] == "work" and reasons["family"] > 0
    assert all(17.5 <= _age(s["birth_date"]) < 23.5 for s in out if s["reason"] == "study")
    assert all(s["status"] == "resident" and s["hukou_code"].startswith(code)
               and s["residence_org_id"] is None for s in out)
    assert all(s["manager_org_id"] == s["registered_org_id"] for s in out)
    places = Counter(s["residence_code"][:6] for s in out)
    assert len(places) >= 5 and set(places) <= {p.code for p in DESTINATIONS} | {A[0], B[0]}
    assert code not in places
    neighbour = B[0] if code == A[0] else A[0]
    assert places[neighbour] > 0
    assert any(s["end_reason"] == "returned" and s["end_date"] >= s["start_date"] for s in out)
    assert all(s["start_date"] <= END.isoformat() for s in spells)
    # inflow: people registered in other counties, enrolled here on arrival, 3–5 %
    assert 0.025 <= len(inflow) / len(residents) <= 0.055
    assert sum(16 <= _age(s["birth_date"]) < 60 for s in inflow) / len(inflow) >= 0.65
    assert any(s["reason"] == "family" and _age(s["birth_date"]) < 16 for s in inflow)
    assert all(not s["hukou_code"].startswith(code) and s["end_date"] is None for s in inflow)
    assert Counter(s["hukou_code"][:6] for s in inflow)[neighbour] > 0
    enrolments = dict(((p, d), t) for p, d, t in _rows(
        database, "SELECT person_id, event_date, event_type FROM register_lifeevent"))
    for s in inflow:
        assert s["residence_org_id"] == s["manager_org_id"] == s["registered_org_id"]
        assert enrolments[(s["person_id"], s["start_date"])] == "enrol"
        if s["id_number"]:
            year = int(s["birth_date"][:4])
            assert s["id_number"][:6] == area_code_for(s["hukou_code"][:6], year)


def _fingerprint(database: Path) -> str:
    people = _rows(database, "SELECT id, id_number, name, sex, birth_date, registered_org_id "
                             "FROM register_person ORDER BY id")
    spells = _rows(database, "SELECT id, person_id, direction, hukou_code, residence_code, "
                             "start_date, end_date, reason, phone FROM migrants_migrantspell "
                             "ORDER BY id")
    return hashlib.sha256(repr((people, spells)).encode()).hexdigest()


def test_the_same_seed_gives_the_same_county_and_migrants(counties, tmp_path):
    again = _generate(tmp_path / "b-again", *B)
    assert _fingerprint(again) == _fingerprint(counties[B[0]])
    other_seed = _generate(tmp_path / "b-seed-5", *B, seed=5)
    assert _fingerprint(other_seed) != _fingerprint(counties[B[0]])


def test_a_larger_county_s_migrant_shares():
    """30,000 persons, without a database: the shares close to their targets."""
    code = B[0]
    pop = generate_population(30_000, 2, END, code=code, name=B[1])
    ids = assign_id_numbers(np.random.default_rng(seed_for(2, code, 1)), pop)
    before = {k: v.copy() for k, v in pop.persons.items()}
    n = pop.n_persons
    migrants = generate_migrants(np.random.default_rng(seed_for(2, code, 3)), pop,
                                 id_numbers=ids, names=full_names(pop), genuine=n)
    age = (day_of(END) - before["birth"]) / YEAR
    resident = before["status"] == RESIDENT
    working = resident & (age >= 16) & (age < 60)
    spells = migrants.spells
    out = spells.person[spells.direction == 0]
    out_working = out[(age[out] >= 16) & (age[out] < 60)]
    assert 0.08 <= len(out_working) / working.sum() <= 0.12
    assert 0.53 <= (before["sex"][out_working] == SEX_M).mean() <= 0.68
    prime = (age[out_working] >= 20) & (age[out_working] < 45)
    assert prime.mean() > 0.6  # most are in their twenties and thirties
    inflow = spells.person[spells.direction == 1]
    assert 0.035 <= len(inflow) / resident.sum() <= 0.045
    assert inflow.min() == n and pop.n_persons == n + len(inflow)  # enrolled after everyone
    assert len(set(out.tolist())) == len(out)  # one spell per person
    present = [x for x in migrants.id_numbers if x is not None]
    assert len(set(present)) == len(present)
