"""Sample survey and department files made from the register with known perturbations.

For demos and tests: :func:`make_sample_files` writes, into a folder,

- ``survey.xlsx``: the members of ``villages`` sampled villages as the register holds
  them on the survey date, in their households of that date, except that some are left
  out (not found on the ground), some have their name written differently (the ID
  number kept, so they still match), some have no ID number on the form, and
  unregistered newborns are added. It lists no households visited, so the import
  infers them from the file: the truth counts as checked only the register entries in
  a household with a row in the file (a person left out who lived alone, or anyone
  the register places in no household, is not checked);
- ``hospital.xlsx``: birth certificates for the register's births of the period whose
  mother has an ID number, a few left out, a few added for births the register lacks,
  and two for mothers from another area (cross-checks);
- ``police.xlsx``: cancellations for the register's deaths and move-outs of the period
  (a few left out, a few added for residents, one for a person of another area), some
  registrations of registered persons and a few of persons the register lacks;
- ``civil.xlsx``: deaths and marriages of the period (a few left out), a few deaths of
  residents, one marriage of two persons from another area;
- ``truth.json``: what the reconciliation must find, counted by construction: per
  village and in total for the survey, and for each list the records missing from the
  register, the register events missing from the list and the cross-checks.

Everything is deterministic for a given register and seed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from django.db.models import Count
from stdnum.cn import ric

from renkou.core import clock
from renkou.core.tables import TableWriter
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.identity import name_spellings
from renkou.register.models import EventType, Household, LifeEvent, Person, PersonStatus

from .common import register_households_as_of
from .departments import COLUMNS
from .models import Source
from .survey import SURVEY_COLUMNS, _one_year_before

__all__ = ["make_sample_files"]

GIVEN = "子浩宇轩然睿博文泽航晨俊熙皓辰佑铭哲奕嘉梓瑞涵萱欣怡雨诺若汐可馨佳琪思悦依彤语梦瑶"
#: Replacement characters for altered names, each with a distinct pinyin.
ALTER = "甲乙丙丁戊己庚辛壬癸"
OUTSIDE_AREAS = ("330122", "350121", "110105", "430121")


def _make_id(area: str, birth: dt.date, sex: str, seq: int) -> str:
    digit = (seq * 2 + (1 if sex == "M" else 2)) % 1000
    body = f"{area}{birth:%Y%m%d}{digit:03d}"
    return body + ric.calc_check_digit(body + "0")


def _from_id(number: str) -> tuple[dt.date, str]:
    """Birth date and sex an ID number states."""
    return ric.get_birth_date(number), "M" if int(number[16]) % 2 else "F"


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def make_sample_files(out: str | Path, *, villages: int = 5, seed: int = 1,
                      survey_date: dt.date | None = None) -> dict[str, Any]:
    """Write the sample files into ``out`` and return the truth (also ``truth.json``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    today = clock.today()
    survey_date = survey_date or today
    ref_start = _one_year_before(survey_date)
    county_areas = {u.code[:6] for u in OrgUnit.objects.filter(level=OrgLevel.COUNTY)}
    outside = next(a for a in OUTSIDE_AREAS if a not in county_areas)
    truth: dict[str, Any] = {"survey_date": survey_date.isoformat(),
                             "reference_start": ref_start.isoformat(),
                             "period": [ref_start.isoformat(), survey_date.isoformat()]}
    truth["survey"] = _survey(out / "survey.xlsx", rng, villages, survey_date, ref_start)
    used_ids = set()

    def fresh_id(area: str, birth: dt.date, sex: str) -> str:
        while True:
            number = _make_id(area, birth, sex, rng.randint(300, 480))
            if number not in used_ids and not Person.objects.filter(id_number=number).exists():
                used_ids.add(number)
                return number

    truth["hospital"] = _hospital(out / "hospital.xlsx", rng, ref_start, survey_date, outside,
                                  fresh_id)
    truth["police"] = _police(out / "police.xlsx", rng, ref_start, survey_date, today, outside,
                              fresh_id)
    truth["civil"] = _civil(out / "civil.xlsx", rng, ref_start, survey_date, outside, fresh_id)
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    return truth


def _survey(path: Path, rng: random.Random, n_villages: int, survey_date: dt.date,
            ref_start: dt.date) -> dict[str, Any]:
    populated = (Person.objects.filter(status=PersonStatus.RESIDENT,
                                       registered_org__level=OrgLevel.VILLAGE)
                 .values("registered_org_id").annotate(n=Count("id")).filter(n__gte=10)
                 .values_list("registered_org_id", flat=True))
    candidates = list(OrgUnit.objects.filter(pk__in=list(populated)).order_by("code"))
    chosen = sorted(rng.sample(candidates, min(n_villages, len(candidates))),
                    key=lambda u: u.code)
    resident = register_households_as_of(chosen, survey_date)
    persons = {p["pk"]: p for p in Person.objects.filter(pk__in=list(resident)).values(
        "pk", "name", "sex", "birth_date", "id_number", "relationship")}
    numbers = dict(Household.objects.filter(
        pk__in={h for _v, h in resident.values() if h is not None}).values_list(
        "pk", "household_no"))
    by_village: dict[int, list[dict]] = defaultdict(list)
    for pk in sorted(resident):
        village_id, household_id = resident[pk]
        persons[pk]["household_no"] = numbers.get(household_id, "") if household_id else ""
        by_village[village_id].append(persons[pk])
    rows: list[list[Any]] = []
    per_village: dict[str, dict[str, int]] = {}
    for village in chosen:
        entries = by_village[village.pk]
        n = len(entries)
        keys = Counter((name_spellings(e["name"])[0], e["birth_date"], e["sex"])
                       for e in entries)
        # what an ID card says wins on the form: a register birth date or sex that
        # disagrees with the ID number is written as the ID number has it
        inconsistent = set()
        for e in entries:
            if e["id_number"]:
                id_birth, id_sex = _from_id(e["id_number"])
                if (id_birth, id_sex) != (e["birth_date"], e["sex"]):
                    inconsistent.add(e["pk"])
                    e["form_birth_date"], e["form_sex"] = id_birth, id_sex
        order = entries[:]
        rng.shuffle(order)
        n_drop = max(1, round(0.03 * n)) if n else 0
        dropped = {e["pk"] for e in order[:n_drop]}
        alterable = [e for e in order[n_drop:] if e["id_number"] and e["birth_date"] < ref_start
                     and e["pk"] not in inconsistent]
        altered = {e["pk"] for e in alterable[:max(1, round(0.02 * n))]} if alterable else set()
        blankable = [e for e in order[n_drop:] if e["id_number"] and e["pk"] not in altered
                     and e["pk"] not in inconsistent
                     and keys[(name_spellings(e["name"])[0], e["birth_date"], e["sex"])] == 1]
        blanked = {e["pk"] for e in blankable[:round(0.1 * len(blankable))]}
        births_found = 0
        first_row = len(rows)
        for e in entries:
            if e["pk"] in dropped:
                continue
            name = e["name"]
            if e["pk"] in altered:
                last = name_spellings(name[-1])[0]
                name = name[:-1] + next(c for c in ALTER if name_spellings(c)[0] != last)
            birth = e.get("form_birth_date", e["birth_date"])
            rows.append([village.code, e["household_no"] or "-", name,
                         e.get("form_sex", e["sex"]), birth.isoformat(),
                         "" if e["pk"] in blanked else (e["id_number"] or ""),
                         e["relationship"], ""])
            births_found += ref_start <= birth <= survey_date
        mothers = [e for e in order[n_drop:] if e["sex"] == "F"
                   and 20 <= _age(e["birth_date"], survey_date) <= 40]
        newborns = 0
        for _ in range(1 + (n >= 200)):
            if not mothers:
                break
            mother = rng.choice(mothers)
            for _attempt in range(50):
                name = mother["name"][0] + "".join(rng.sample(GIVEN, 2))
                sex = rng.choice("MF")
                birth = _random_day(rng, ref_start, survey_date)
                key = (name_spellings(name)[0], birth, sex)
                if key not in keys:
                    keys[key] += 1
                    rows.append([village.code, mother["household_no"] or "-", name,
                                 sex, birth.isoformat(), "", "child", "newborn"])
                    newborns += 1
                    break
        wrong = (altered | inconsistent) - dropped
        # the households visited, as the import infers them: those with a row in the file
        written = {row[1] for row in rows[first_row:]}
        checked = {e["pk"] for e in entries if e["household_no"] in written}
        per_village[village.code] = {
            "checked": len(checked),
            "confirmed": len(checked - dropped - wrong),
            "not_found": len(checked & dropped), "found": n - len(dropped) + newborns,
            "found_only": newborns, "mismatches": len(wrong),
            "births_found": births_found + newborns, "births_missing": newborns,
            "households_visited": len(written),
            "households_visited_registered": len(written - {"-"}),
            "households_in_register": len({e["household_no"] for e in entries
                                           if e["household_no"]}),
        }
    with TableWriter(path, SURVEY_COLUMNS, "survey") as writer:
        writer.writerows(rows)
    total: Counter[str] = Counter()
    for c in per_village.values():
        total.update(c)
    return {"villages": per_village, "total": dict(total)}


def _events(kinds, start: dt.date, end: dt.date) -> list[tuple]:
    return list(LifeEvent.objects.filter(event_type__in=kinds, superseded_by__isnull=True,
                                         event_date__gte=start, event_date__lte=end)
                .order_by("event_date", "pk")
                .values_list("pk", "person_id", "event_type", "event_date", "payload"))


def _drop(rng: random.Random, items: list, share: float = 0.03) -> tuple[list, int]:
    if not items:
        return items, 0
    k = max(1, round(share * len(items)))
    gone = set(rng.sample(range(len(items)), k))
    return [x for i, x in enumerate(items) if i not in gone], k


def _resident_women(rng: random.Random, day: dt.date, k: int) -> list[dict]:
    lo, hi = day.replace(year=day.year - 40), day.replace(year=day.year - 20)
    women = list(Person.objects.filter(status=PersonStatus.RESIDENT, sex="F",
                                       id_number__isnull=False, birth_date__gte=lo,
                                       birth_date__lte=hi)
                 .order_by("pk").values("pk", "name", "id_number")[:2000])
    return rng.sample(women, min(k, len(women)))


def _hospital(path: Path, rng: random.Random, start: dt.date, end: dt.date, outside: str,
              fresh_id) -> dict[str, int]:
    births = _events((EventType.BIRTH,), start, end)
    children = Person.objects.in_bulk([b[1] for b in births])
    mothers = Person.objects.in_bulk({c.mother_id for c in children.values() if c.mother_id})
    certs = []
    for _pk, child_id, _kind, _day, _payload in births:
        child = children[child_id]
        mother = mothers.get(child.mother_id)
        if mother is None or not mother.id_number or _from_id(mother.id_number)[1] != "F":
            continue
        certs.append([child.name, child.sex, child.birth_date, mother.name, mother.id_number])
    kept, dropped = _drop(rng, certs)
    added = 0
    extra: list[list] = []
    n_add = max(1, round(0.02 * len(certs)))
    for woman in _resident_women(rng, end, n_add * 3):
        if added == n_add:
            break
        existing = list(Person.objects.filter(mother_id=woman["pk"]).values_list(
            "birth_date", "name"))
        name = woman["name"][0] + "".join(rng.sample(GIVEN, 2))
        birth = _random_day(rng, start, end)
        pinyin = name_spellings(name)[0]
        if any(bd == birth or (name_spellings(nm)[0] == pinyin and abs((bd - birth).days) <= 31)
               for bd, nm in existing):
            continue
        extra.append([name, rng.choice("MF"), birth, woman["name"], woman["id_number"]])
        added += 1
    for i in range(2):
        mother_birth = dt.date(1994 + i, 3, 3)
        extra.append(["外" + "".join(rng.sample(GIVEN, 2)), "F", _random_day(rng, start, end),
                      "外地产妇", fresh_id(outside, mother_birth, "F")])
    rows = kept + extra
    with TableWriter(path, COLUMNS[Source.HOSPITAL][0] + COLUMNS[Source.HOSPITAL][1],
                     "hospital") as writer:
        for i, (name, sex, birth, mother_name, mother_id) in enumerate(rows, 1):
            writer.writerow([f"Q{start:%Y}{i:06d}", name, sex, birth.isoformat(), mother_name,
                             mother_id, "县妇幼保健院", "县人民医院"])
    return {"records": len(rows), "matched": len(kept), "list_only": added,
            "not_listed": len(births) - len(kept), "crosschecks": 2, "dropped": dropped}


def _police(path: Path, rng: random.Random, start: dt.date, end: dt.date, today: dt.date,
            outside: str, fresh_id) -> dict[str, int]:
    events = _events((EventType.DEATH, EventType.MOVE_OUT), start, end)
    people = Person.objects.in_bulk({e[1] for e in events})
    rows: list[list] = []
    for _pk, person_id, _kind, day, _payload in events:
        p = people[person_id]
        if p.id_number:
            birth, sex = _from_id(p.id_number)
            rows.append([p.id_number, p.name, sex, birth, "注销",
                         min(day + dt.timedelta(days=rng.randint(0, 10)), today), ""])
    kept, dropped = _drop(rng, rows)
    left = set(LifeEvent.objects.filter(event_type__in=(EventType.DEATH, EventType.MOVE_OUT))
               .values_list("person_id", flat=True))
    residents = [p for p in Person.objects.filter(status=PersonStatus.RESIDENT,
                                                  id_number__isnull=False)
                 .order_by("pk").values("pk", "id_number", "name", "sex", "birth_date")[:3000]
                 if p["pk"] not in left]
    n_add = max(1, round(0.02 * len(rows)))
    cancelled = rng.sample(residents, min(n_add, len(residents)))
    extra = [[p["id_number"], p["name"], *reversed(_from_id(p["id_number"])), "注销",
              _random_day(rng, start, end), ""] for p in cancelled]
    registered = rng.sample(residents, min(5, len(residents)))
    extra += [[p["id_number"], p["name"], *reversed(_from_id(p["id_number"])), "登记",
               _random_day(rng, start, end), ""] for p in registered]
    villages = list(OrgUnit.objects.filter(level=OrgLevel.VILLAGE).order_by("code")
                    .values_list("code", flat=True))
    strangers = 2
    for i in range(strangers):
        birth = dt.date(1990 + i, 6, 6)
        extra.append([fresh_id(outside, birth, "M"), "新" + "".join(rng.sample(GIVEN, 2)), "M",
                      birth, "登记", _random_day(rng, start, end), rng.choice(villages)])
    birth = dt.date(1980, 8, 8)
    extra.append([fresh_id(outside, birth, "M"), "外地人", "M", birth, "注销",
                  _random_day(rng, start, end), ""])
    with TableWriter(path, COLUMNS[Source.POLICE][0] + COLUMNS[Source.POLICE][1],
                     "police") as writer:
        for idn, name, sex, birth, kind, day, org_code in kept + extra:
            writer.writerow([idn, name, sex, birth.isoformat(), kind, day.isoformat(), org_code,
                             "县公安局"])
    return {"records": len(kept) + len(extra), "matched": len(kept) + len(registered),
            "list_only": len(cancelled) + strangers, "not_listed": len(events) - len(kept),
            "crosschecks": 1, "dropped": dropped}


def _civil(path: Path, rng: random.Random, start: dt.date, end: dt.date, outside: str,
           fresh_id) -> dict[str, int]:
    deaths = _events((EventType.DEATH,), start, end)
    marriages = _events((EventType.MARRIAGE,), start, end)
    people = Person.objects.in_bulk({e[1] for e in deaths + marriages} | {
        e[4].get("spouse_id") for e in marriages if e[4].get("spouse_id")})
    death_rows = [["死亡", people[e[1]].id_number, people[e[1]].name, e[3], "", ""]
                  for e in deaths if people[e[1]].id_number]
    kept_deaths, _ = _drop(rng, death_rows)
    by_day_person = {(e[1], e[3]): e[0] for e in marriages}
    couples: dict[tuple, list] = {}
    for _pk, person_id, _kind, day, payload in marriages:
        spouse_id = payload.get("spouse_id")
        key = (day, *sorted([person_id, spouse_id or 0]))
        if key in couples:
            continue
        p, s = people[person_id], people.get(spouse_id)
        if not p.id_number and (s is None or not s.id_number):
            continue
        first, second = (p, s) if p.id_number else (s, p)
        assert first is not None  # p or s has an ID number (above)
        covered = [by_day_person[(x.pk, day)] for x in (p, s)
                   if x is not None and (x.pk, day) in by_day_person]
        couples[key] = [["结婚", first.id_number, first.name, day,
                         second.name if second else "",
                         (second.id_number or "") if second else ""], covered]
    couple_list = list(couples.values())
    kept_couples, _ = _drop(rng, couple_list)
    covered_events = {pk for _row, covered in kept_couples for pk in covered}
    died = set(LifeEvent.objects.filter(event_type=EventType.DEATH)
               .values_list("person_id", flat=True))
    residents = [p for p in Person.objects.filter(status=PersonStatus.RESIDENT,
                                                  id_number__isnull=False)
                 .order_by("-pk").values("pk", "id_number", "name")[:3000]
                 if p["pk"] not in died]
    n_add = max(1, round(0.02 * len(death_rows)))
    added = [["死亡", p["id_number"], p["name"], _random_day(rng, start, end), "", ""]
             for p in rng.sample(residents, min(n_add, len(residents)))]
    outsider = ["结婚", fresh_id(outside, dt.date(1996, 2, 2), "M"), "外地新郎",
                _random_day(rng, start, end), "外地新娘",
                fresh_id(outside, dt.date(1997, 3, 3), "F")]
    rows = kept_deaths + [r for r, _c in kept_couples] + added + [outsider]
    with TableWriter(path, COLUMNS[Source.CIVIL][0] + COLUMNS[Source.CIVIL][1],
                     "civil") as writer:
        for kind, idn, name, day, spouse_name, spouse_id in rows:
            writer.writerow([kind, idn, name, day.isoformat(), "", "", spouse_name, spouse_id,
                             "县民政局"])
    return {"records": len(rows), "matched": len(kept_deaths) + len(kept_couples),
            "list_only": len(added),
            "not_listed": (len(deaths) - len(kept_deaths))
            + (len(marriages) - len(covered_events)),
            "crosschecks": 1}
