"""Migrants (流动人口) of a synthetic county: residents living elsewhere, and people from
other counties living here.

- **Outflow** (流出): about a tenth of the residents aged 16–59 live elsewhere while
  staying registered here, more men than women, most of them in their twenties and
  thirties; they went for work, students of 18–22 partly for study, and some took their
  spouse or young children along (family). They live in the big receiving cities
  (Shanghai, Suzhou, Hangzhou, Shenzhen, Guangzhou, Hefei, Nanjing) or the neighbouring
  county, since a date over the last years; some have come back (the spell ended).
- **Inflow** (流入): about 4 % of the population are people registered in other counties
  (the neighbouring one and the sending counties of Anhui, Henan, Sichuan, Guizhou and
  Jiangxi) who came to live here: singles of working age, couples, couples with children.
  Each is enrolled in the register (建档, an ``enrol`` event on the day of arrival) as a
  resident of the residence unit, with a household of its own there, and carries an ID
  number of its hukou county (:func:`~renkou.synthetic.identities.migrant_id_numbers`).

Everything is drawn from one generator, set-based: the same seed gives the same migrants.
The spells are :class:`~renkou.migrants.models.MigrantSpell` rows written after the
register (:func:`renkou.synthetic.writer.write_county`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .county import COUNTY_CODE, COUNTY_NAME
from .identities import migrant_id_numbers
from .names import SURNAMES
from .population import (
    EV,
    MARRIED,
    NO,
    REL,
    RESIDENT,
    SEX_F,
    SEX_M,
    SINGLE,
    YEAR,
    Population,
    _education,
    _Names,
    date_of,
    day_of,
)

__all__ = ["Place", "DESTINATIONS", "SENDING", "neighbour_of", "MigrantSpells", "MigrantResult",
           "generate_migrants"]


@dataclass(frozen=True)
class Place:
    """A county or district elsewhere: its six-digit division code, its name, a weight."""

    code: str
    name: str
    weight: float = 1.0


#: Where outflow migrants live (a district of each big receiving city); the neighbouring
#: county comes on top (:data:`NEIGHBOUR_SHARE_OUT`).
DESTINATIONS = (
    Place("310115", "上海市浦东新区", 0.17),
    Place("320505", "江苏省苏州市虎丘区", 0.13),
    Place("330106", "浙江省杭州市西湖区", 0.11),
    Place("440305", "广东省深圳市南山区", 0.08),
    Place("440106", "广东省广州市天河区", 0.06),
    Place("340104", "安徽省合肥市蜀山区", 0.20),
    Place("320104", "江苏省南京市秦淮区", 0.11),
)
#: Where students go (weights of the same districts: the universities of Hefei and Nanjing)
STUDY_WEIGHTS = {"340104": 0.38, "320104": 0.2, "310115": 0.14, "330106": 0.12, "320505": 0.06,
                 "440106": 0.06, "440305": 0.04}
#: Where inflow migrants are registered (current division codes; their ID numbers carry
#: the code of their birth year), besides the neighbouring county (:data:`NEIGHBOUR_SHARE_IN`).
SENDING = (
    Place("341322", "安徽省宿州市萧县", 0.12),
    Place("341621", "安徽省亳州市涡阳县", 0.16),
    Place("411523", "河南省信阳市新县", 0.10),
    Place("411625", "河南省周口市郸城县", 0.14),
    Place("510981", "四川省遂宁市射洪市", 0.10),
    Place("520524", "贵州省毕节市织金县", 0.10),
    Place("360730", "江西省赣州市宁都县", 0.08),
)
#: The neighbouring county of each county (the demo's 邻县 is the default county's).
NEIGHBOURS = {COUNTY_CODE: Place("341322", "邻县"), "341322": Place(COUNTY_CODE, COUNTY_NAME)}
NEIGHBOUR_SHARE_OUT = 0.14
NEIGHBOUR_SHARE_IN = 0.32
#: Inflow migrants per resident of the county.
INFLOW_SHARE = 0.04

OUT, IN = 0, 1


def neighbour_of(code: str) -> Place:
    """The neighbouring county: the default county's is 341322 (邻县); any other county's
    is the default county, so two counties generated side by side are neighbours."""
    return NEIGHBOURS.get(code, Place(COUNTY_CODE, COUNTY_NAME))


def _places(places: tuple[Place, ...], county: str, neighbour: Place, share: float) -> list[Place]:
    """``places`` without the county itself or its neighbour, then the neighbour with
    ``share`` of the weight."""
    others = [p for p in places if p.code not in (county, neighbour.code)]
    total = sum(p.weight for p in others)
    return [Place(p.code, p.name, p.weight / total * (1 - share)) for p in others] + \
        [Place(neighbour.code, neighbour.name, share)]


def _draw(rng: np.random.Generator, places: list[Place], k: int,
          weights: list[float] | None = None) -> np.ndarray:
    w = np.array(weights if weights is not None else [p.weight for p in places], dtype=float)
    cdf = np.cumsum(w / w.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(k)), len(places) - 1)


@dataclass
class MigrantSpells:
    """Column arrays of the spells, one element per spell (persons are indexes)."""

    person: np.ndarray
    direction: np.ndarray  # OUT or IN
    hukou_code: np.ndarray  # 12 digits (outflow: the registered unit's code)
    hukou_name: np.ndarray
    residence_village: np.ndarray  # inflow: village index; outflow NO
    residence_code: np.ndarray  # outflow: 12 digits; inflow ""
    residence_address: np.ndarray
    manager_village: np.ndarray  # village index
    start: np.ndarray  # day numbers
    end: np.ndarray  # day number or NO
    end_reason: np.ndarray
    reason: np.ndarray
    phone: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class MigrantResult:
    spells: MigrantSpells
    id_numbers: np.ndarray
    names: np.ndarray
    #: index of the first enrolled inflow person and of the first event added
    first_person: int = 0
    first_event: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _phones(rng: np.random.Generator, k: int, share: float) -> np.ndarray:
    prefix = np.array(["13", "15", "17", "18", "19"])[rng.integers(0, 5, k)]
    body = np.char.zfill(rng.integers(0, 1_000_000_000, k).astype("U9"), 9)
    return np.where(rng.random(k) < share, np.char.add(prefix, body), "").astype(object)


def generate_migrants(rng: np.random.Generator, pop: Population, *, id_numbers: np.ndarray,
                      names: np.ndarray, genuine: int) -> MigrantResult:
    """Outflow spells for residents and inflow migrants enrolled in the register (see the
    module). Inflow persons, their households and ``enrol`` events are appended to
    ``pop`` (as the injected duplicates are); ``genuine`` is the number of persons before
    any injected duplicate (duplicates do not migrate)."""
    county = pop.tree.code
    neighbour = neighbour_of(county)
    first_person, first_event = pop.n_persons, len(pop.events["type"])
    out = _outflow(rng, pop, genuine, county, neighbour)
    inflow, id_numbers, names = _inflow(rng, pop, county, neighbour, id_numbers, names)
    spells = MigrantSpells(**{k: np.concatenate([getattr(out, k), getattr(inflow, k)])
                              for k in MigrantSpells.__dataclass_fields__})
    age = (day_of(pop.end) - pop.persons["birth"][out.person]) / YEAR
    counts = {"outflow": len(out), "inflow": len(inflow),
              "outflow_current": int((out.end == NO).sum()),
              "outflow_working_age": int(((age >= 16) & (age < 60)).sum())}
    return MigrantResult(spells=spells, id_numbers=id_numbers, names=names,
                         first_person=first_person, first_event=first_event, counts=counts)


def _outflow(rng: np.random.Generator, pop: Population, genuine: int, county: str,
             neighbour: Place) -> MigrantSpells:
    p, ev, tree = pop.persons, pop.events, pop.tree
    n = pop.n_persons
    end = day_of(pop.end)
    t0 = day_of(pop.start)
    age = (end - p["birth"]) / YEAR
    male = p["sex"] == SEX_M
    last = np.full(n, t0, dtype=np.int64)
    np.maximum.at(last, ev["person"], ev["day"].astype(np.int64))
    # residents who live in their own unit (not already elsewhere in the county)
    here = (np.arange(n) < genuine) & (p["status"] == RESIDENT) & (p["current_village"] == NO)
    prob = np.select([age < 18, age < 23, age < 30, age < 40, age < 50],
                     [0.035, 0.145, 0.145, 0.105, 0.065], 0.032) * np.where(male, 1.25, 0.75)
    main = np.flatnonzero(here & (age >= 16) & (age < 60) & (rng.random(n) < prob))
    k = len(main)
    places = _places(DESTINATIONS, county, neighbour, NEIGHBOUR_SHARE_OUT)
    study_w = [STUDY_WEIGHTS.get(pl.code, 0.05) for pl in places]
    study = (age[main] >= 18) & (age[main] < 23) & (rng.random(k) < 0.45)
    dest = np.where(study, _draw(rng, places, k, study_w), _draw(rng, places, k))
    reason = np.where(study, "study", np.where(rng.random(k) < 0.94, "work", "other"))
    years_ago = np.minimum(rng.exponential(2.8, k), 9.5)
    earliest = np.maximum.reduce([
        p["birth"][main] + (np.where(study, 18, 16) * YEAR).astype(np.int64),
        last[main] + 1, np.full(k, t0 + 1)])
    start = np.minimum(np.maximum((end - years_ago * YEAR).astype(np.int64), earliest), end)
    returned = rng.random(k) < 0.14
    stop = np.where(returned, start + (rng.random(k) * (end - start)).astype(np.int64), NO)

    # the spouse goes along with some of the married (family)
    spouse = p["spouse"][main]
    taken = np.zeros(n, bool)
    taken[main] = True
    along = (spouse >= 0) & ~study & (rng.random(k) < 0.35)
    along[along] &= here[spouse[along]] & ~taken[spouse[along]]
    who = np.flatnonzero(along)
    # a couple both drawn by themselves keeps the first one's spell only once
    _, first = np.unique(spouse[who], return_index=True)
    who = who[np.sort(first)]
    sp = spouse[who]
    taken[sp] = True
    sp_start = np.minimum(np.maximum(start[who] + rng.integers(0, 120, len(who)),
                                     np.maximum(last[sp] + 1, t0 + 1)), end)
    sp_stop = np.where(stop[who] == NO, NO, np.maximum(stop[who], sp_start))

    # and some of their children under 16
    parent_of = np.full(n, NO, dtype=np.int64)
    parent_of[main] = np.arange(k)
    kid = np.flatnonzero(here & (age < 16) & ~taken)
    via_mother = np.where(p["mother"][kid] >= 0, parent_of[np.maximum(p["mother"][kid], 0)], NO)
    via_father = np.where(p["father"][kid] >= 0, parent_of[np.maximum(p["father"][kid], 0)], NO)
    parent = np.where(via_mother != NO, via_mother, via_father)
    keep = (parent != NO) & (rng.random(len(kid)) < 0.3)
    kid, parent = kid[keep], parent[keep]
    parent_started = start[parent]
    kid_start = np.minimum(np.maximum.reduce([parent_started + rng.integers(0, 60, len(kid)),
                                              p["birth"][kid].astype(np.int64) + 1,
                                              last[kid] + 1]), end)
    kid_stop = np.where(stop[parent] == NO, NO, np.maximum(stop[parent], kid_start))

    person = np.concatenate([main, sp, kid])
    total = len(person)
    village = p["village"][person]
    codes = np.array([tree.rows[r].code for r in tree.village_rows], dtype=object)
    unit_names = np.array([tree.rows[r].name for r in tree.village_rows], dtype=object)
    place_codes = np.array([pl.code + "000000" for pl in places], dtype=object)
    place_names = np.array([pl.name for pl in places], dtype=object)
    destination = np.concatenate([dest, dest[who], dest[parent]])
    stops = np.concatenate([stop, sp_stop, kid_stop])
    adult = age[person] >= 16
    spells = MigrantSpells(
        person=person, direction=np.full(total, OUT), hukou_code=codes[village],
        hukou_name=unit_names[village], residence_village=np.full(total, NO),
        residence_code=place_codes[destination], residence_address=place_names[destination],
        manager_village=village, start=np.concatenate([start, sp_start, kid_start]),
        end=stops, end_reason=np.where(stops == NO, "", "returned").astype(object),
        reason=np.concatenate([reason, np.full(len(sp) + len(kid), "family")]).astype(object),
        phone=np.where(adult, _phones(rng, total, 0.85), "").astype(object),
    )
    return _sorted(spells)


def _sorted(spells: MigrantSpells) -> MigrantSpells:
    order = np.lexsort((spells.person, spells.start))
    return MigrantSpells(**{k: getattr(spells, k)[order] for k in MigrantSpells.__dataclass_fields__})


def _inflow(rng: np.random.Generator, pop: Population, county: str, neighbour: Place,
            id_numbers: np.ndarray, names: np.ndarray):
    p, tree = pop.persons, pop.tree
    end = day_of(pop.end)
    t0 = day_of(pop.start)
    residents = int((p["status"] == RESIDENT).sum())
    target = int(round(residents * INFLOW_SHARE))
    groups = max(1, int(round(target / 1.75)))
    u = rng.random(groups)
    kind = np.where(u < 0.58, 0, np.where(u < 0.73, 1, 2))  # single, couple, with children
    n_kids = np.where(kind == 2, np.where(rng.random(groups) < 0.65, 1, 2), 0)
    head_age = np.clip(18 + rng.gamma(2.0, 6.5, groups), 18.0, 59.5)
    head_age = np.where(kind == 0, head_age, np.maximum(head_age, 23 + rng.random(groups) * 3))
    head_age = np.where(kind == 2, np.maximum(head_age, 27 + rng.random(groups) * 4), head_age)
    head_male = np.where(kind == 0, rng.random(groups) < 0.6, True)
    wife_age = np.clip(head_age - rng.normal(2, 2, groups), 20.5, head_age + 6)
    wife_age = np.where(kind == 2, np.maximum(wife_age, 22.5), wife_age)
    years_ago = np.minimum(rng.exponential(2.5, groups), 8.5)
    arrival = np.maximum((end - years_ago * YEAR).astype(np.int64), t0 + 1)
    places = _places(SENDING, county, neighbour, NEIGHBOUR_SHARE_IN)
    hukou = _draw(rng, places, groups)
    villages = np.arange(len(tree.village_rows))
    urban = np.flatnonzero(tree.village_urban) if tree.village_urban.any() else villages
    village_cdf = np.cumsum(tree.village_weight)
    village = np.where(rng.random(groups) < 0.62, urban[rng.integers(0, len(urban), groups)],
                       np.minimum(np.searchsorted(village_cdf, rng.random(groups)
                                                  * village_cdf[-1]), len(villages) - 1))
    # members: the head, the spouse of a couple, the children
    size = 1 + (kind >= 1) + n_kids
    group = np.repeat(np.arange(groups), size)
    member = np.arange(len(group)) - np.repeat(np.cumsum(size) - size, size)
    is_head, is_wife = member == 0, member == 1
    is_kid = member >= 2
    m = len(group)
    kid_span = np.maximum(np.minimum(wife_age - 20.5, 15.0), 0.6)
    kid_age = 0.3 + rng.random(m) * (kid_span[group] - 0.3)
    age = np.where(is_head, head_age[group], np.where(is_wife, wife_age[group], kid_age))
    sex = np.where(is_head, np.where(head_male[group], SEX_M, SEX_F),
                   np.where(is_wife, SEX_F, np.where(rng.random(m) < 0.53, SEX_M, SEX_F)))
    birth = (end - age * YEAR).astype(np.int64)
    start = np.maximum(arrival[group], birth + 1)
    start = np.where(is_head & (kind[group] == 0),
                     np.maximum(start, birth + int(16 * YEAR)), start)
    start = np.minimum(start, end)
    single_married = (kind[group] == 0) & (rng.random(m) < np.clip((age - 24) / 10, 0, 0.8))
    marital = np.where(is_kid, SINGLE, np.where((kind[group] >= 1) | single_married,
                                                MARRIED, SINGLE))
    rel = np.where(is_head, REL["head"], np.where(is_wife, REL["spouse"], REL["child"]))
    # children in age order, the eldest first
    kid_order = np.zeros(m, dtype=np.int64)
    if is_kid.any():
        kids = np.flatnonzero(is_kid)
        order = kids[np.lexsort((birth[kids], group[kids]))]
        firsts = np.r_[True, group[order][1:] != group[order][:-1]]
        kid_order[order] = np.where(firsts, 1, 2)
    first = pop.n_persons
    ids = first + np.arange(m)
    head_of_group = first + np.cumsum(size) - size
    hh_first = len(pop.households["village"])
    hh = (hh_first + group).astype(np.int32)
    wife_of_group = np.where(kind >= 1, head_of_group + 1, NO)
    names_pool = _Names(rng)
    surname = names_pool.surnames(m)
    surname = np.where(is_kid, surname[head_of_group[group] - first], surname)
    year = birth.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    is_urban_unit = tree.village_urban[village[group]]
    new = {
        "sex": sex, "birth": birth, "village": village[group], "hh": hh, "rel": rel,
        "marital": marital,
        "spouse": np.where(is_head, wife_of_group[group], np.where(is_wife, head_of_group[group],
                                                                    NO)),
        "mother": np.where(is_kid, wife_of_group[group], NO),
        "father": np.where(is_kid, head_of_group[group], NO),
        "status": np.full(m, RESIDENT),
        "hukou": (rng.random(m) < 0.2).astype(int), "area": np.zeros(m),
        "surname": surname, "given": names_pool.given_many(sex, year),
        "birth_order": kid_order, "nkids": np.where(is_wife, n_kids[group], 0),
        "married_on": np.where(marital == MARRIED, start - 400, NO),
        "current_village": np.full(m, NO),
        "education": _education(rng, year, is_urban_unit, pop.end.year),
    }
    pop.persons = {key: np.concatenate([p[key], np.asarray(new[key]).astype(p[key].dtype)])
                   for key in p}
    pop.households = {
        "village": np.concatenate([pop.households["village"], village.astype(np.int32)]),
        "head": np.concatenate([pop.households["head"], head_of_group.astype(np.int32)]),
    }
    ev = pop.events
    added = {"person": ids, "type": np.full(m, EV["enrol"]), "day": start, "village": village[group],
             "hh": hh, "rel": rel, "marital": marital, "other": np.full(m, NO)}
    pop.events = {key: np.concatenate([ev[key], np.asarray(added[key]).astype(ev[key].dtype)])
                  for key in ev}
    # ID numbers of the hukou county: every adult, most children
    hukou6 = np.array([pl.code for pl in places])[hukou[group]]
    numbers = migrant_id_numbers(hukou6, birth, sex, county, id_numbers)
    has = rng.random(m) < np.select([age < 1, age < 16], [0.4, 0.85], 1.0)
    numbers[~has] = None
    id_numbers = np.concatenate([id_numbers, numbers])
    surnames = np.array([s for s, _ in SURNAMES], dtype=object)
    names = np.concatenate([names, surnames[surname] + new["given"]])
    is_family = is_kid | (is_wife & (rng.random(m) < 0.6))
    work = rng.random(m) < 0.9
    student = is_head & (kind[group] == 0) & (age >= 18) & (age < 23) & (rng.random(m) < 0.25)
    reason = np.where(is_family, "family", np.where(student, "study",
                                                    np.where(work, "work", "other")))
    spells = MigrantSpells(
        person=ids, direction=np.full(m, IN),
        hukou_code=np.array([pl.code + "000000" for pl in places], dtype=object)[hukou[group]],
        hukou_name=np.array([pl.name for pl in places], dtype=object)[hukou[group]],
        residence_village=village[group], residence_code=np.full(m, "", dtype=object),
        residence_address=np.full(m, "", dtype=object), manager_village=village[group],
        start=start, end=np.full(m, NO), end_reason=np.full(m, "", dtype=object),
        reason=reason.astype(object), phone=np.where(age >= 16, _phones(rng, m, 0.9), "")
        .astype(object),
    )
    return _sorted(spells), id_numbers, names


def spell_dates(spells: MigrantSpells) -> tuple[list, list]:
    """Start and end dates (``None`` for a current spell) as :class:`datetime.date`."""
    return ([date_of(d) for d in spells.start.tolist()],
            [None if d == NO else date_of(d) for d in spells.end.tolist()])

