"""A deterministic synthetic county: the people at the start of the ledger and
ten years of life events up to the end date.

The start population is built family by family (lineages of grandparents, their
children's households and grandchildren, with parent links), then the county is
simulated year by year in vectorised NumPy: deaths (a Makeham mortality schedule),
marriages paired within a township, divorces, births to married women by age and
parity (period TFR about 1.0–1.5 with the 2016–2025 decline), moves out of the
county and returns, moves within it towards the town, and arrivals from other
counties. Every change is recorded as a ledger event, so folding the events gives
back the final register exactly.

Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed``:
the same seed and end date give the same county.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from renkou.register.vocabulary import RECORDED_EVENTS

from .county import COUNTY_CODE, COUNTY_NAME, CountyTree, build_county, seed_for
from .names import GIVEN_CHARS, OTHER_AREA_CODES, SURNAMES

EPOCH = dt.date(1970, 1, 1)
SEX_M, SEX_F = 1, 2
RELATIONSHIPS = ("head", "spouse", "child", "child_in_law", "grandchild", "parent",
                 "sibling", "other")
REL = {name: i for i, name in enumerate(RELATIONSHIPS)}
MARITAL = ("single", "married", "divorced", "widowed")
SINGLE, MARRIED, DIVORCED, WIDOWED = range(4)
STATUS = ("resident", "moved_out", "dead")
RESIDENT, MOVED_OUT, DEAD = range(3)
EVENT_TYPES = RECORDED_EVENTS
EV = {name: i for i, name in enumerate(EVENT_TYPES)}
LEGAL_AGE = {SEX_M: 22, SEX_F: 20}
YEAR = 365.2425

#: Relative birth intensity by calendar year (national births 2016 = 1; NBS series,
#: rounded), so the county shows the decline of the period.
BIRTH_TREND = {2016: 1.0, 2017: 0.95, 2018: 0.92, 2019: 0.90, 2020: 0.86, 2021: 0.84,
               2022: 0.82, 2023: 0.80, 2024: 0.82, 2025: 0.80, 2026: 0.80}

#: Annual birth probability of a married woman by 5-year age group (15–19 … 45–49)
#: and number of earlier children (0, 1, 2+), before the trend factor.
BIRTH_PROB = 1.1 * np.array([
    [0.20, 0.30, 0.33, 0.22, 0.09, 0.025, 0.004],
    [0.05, 0.09, 0.12, 0.10, 0.045, 0.010, 0.001],
    [0.005, 0.012, 0.018, 0.014, 0.006, 0.002, 0.0003],
])


def day_of(date: dt.date) -> int:
    return (date - EPOCH).days


def date_of(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


@dataclass
class Population:
    """Column arrays of persons, households and events (index = id − 1)."""

    tree: CountyTree
    start: dt.date
    end: dt.date
    persons: dict[str, np.ndarray] = field(default_factory=dict)
    households: dict[str, np.ndarray] = field(default_factory=dict)
    events: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_persons(self) -> int:
        return len(self.persons["sex"])


PERSON_COLUMNS = {
    "sex": np.int8, "birth": np.int32, "village": np.int32, "hh": np.int32,
    "rel": np.int8, "marital": np.int8, "spouse": np.int32, "mother": np.int32,
    "father": np.int32, "status": np.int8, "hukou": np.int8, "area": np.int16,
    "surname": np.int16, "given": object, "birth_order": np.int8, "nkids": np.int8,
    "married_on": np.int32, "current_village": np.int32, "education": np.int8,
}
EVENT_COLUMNS = {
    "person": np.int32, "type": np.int8, "day": np.int32, "village": np.int32,
    "hh": np.int32, "rel": np.int8, "marital": np.int8, "other": np.int32,
}
NO = -1  # "not set" in integer columns
NOT_IN_PAYLOAD = -2


class _Columns:
    """Growable column store: append lists during construction, arrays after."""

    def __init__(self, spec: dict[str, type]):
        self.spec = spec
        self.chunks: dict[str, list[np.ndarray]] = {k: [] for k in spec}
        self.size = 0

    def extend(self, **cols) -> np.ndarray:
        n = len(next(iter(cols.values())))
        for k, dtype in self.spec.items():
            value = cols.get(k, NO if dtype is not object else "")
            arr = np.asarray(value, dtype=dtype) if np.ndim(value) else np.full(n, value, dtype=dtype)
            self.chunks[k].append(arr)
        ids = np.arange(self.size, self.size + n)
        self.size += n
        return ids

    def arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for k, dtype in self.spec.items():
            out[k] = np.concatenate(self.chunks[k]) if self.chunks[k] else np.zeros(0, dtype)
            self.chunks[k] = [out[k]]
        return out


def generate_population(persons: int, seed: int, end: dt.date, *, code: str = COUNTY_CODE,
                        name: str = COUNTY_NAME) -> Population:
    """Build the county and simulate ten years up to ``end``; about ``persons`` records.

    ``code`` and ``name`` are the county's (six-digit division code); another code than
    the default's draws another population from the same seed (:func:`seed_for`)."""
    rng = np.random.default_rng(seed_for(seed, code))
    tree = build_county(rng, persons, code, name)
    start = add_years(end, -10)
    pop = Population(tree=tree, start=start, end=end)
    builder = _StartBuilder(rng, tree, start)
    builder.build(int(persons / 1.25))
    pop.persons = builder.people.arrays()
    pop.households = builder.households.arrays()
    _Simulation(rng, pop, target=persons, events=builder.events).run()
    return pop


# --------------------------------------------------------------------- start population

_SURNAME_P = np.array([w for _, w in SURNAMES]) / sum(w for _, w in SURNAMES)


def _era(birth_year: int) -> str:
    return "old" if birth_year < 1970 else ("mid" if birth_year < 1990 else "new")


class _Names:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.pools = {k: np.array(list(v), dtype=object) for k, v in GIVEN_CHARS.items()}
        self.surname_cdf = np.cumsum(_SURNAME_P)

    def surname(self) -> int:
        return int(np.searchsorted(self.surname_cdf, self.rng.random() * self.surname_cdf[-1]))

    def surnames(self, k: int) -> np.ndarray:
        return np.searchsorted(self.surname_cdf, self.rng.random(k) * self.surname_cdf[-1])

    def given(self, sex: int, birth_year: int) -> str:
        return self.given_many(np.array([sex]), np.array([birth_year]))[0]

    def given_many(self, sex: np.ndarray, birth_year: np.ndarray) -> np.ndarray:
        """Given names for many people at once, by era of birth and sex."""
        rng = self.rng
        k = len(sex)
        out = np.empty(k, dtype=object)
        era = np.where(birth_year < 1970, 0, np.where(birth_year < 1990, 1, 2))
        single = rng.random(k) < np.where(birth_year < 1990, 0.35, 0.15)
        first = rng.random(k)
        second = rng.random(k)
        for e, era_name in enumerate(("old", "mid", "new")):
            for sx, sex_name in ((SEX_M, "M"), (SEX_F, "F")):
                pool = self.pools[(era_name, sex_name)]
                sel = np.flatnonzero((era == e) & (sex == sx))
                a = pool[(first[sel] * len(pool)).astype(int)]
                b = pool[(second[sel] * len(pool)).astype(int)]
                out[sel] = np.where(single[sel], a, a + b)
        return out


_PARITY = {
    1950: [0.02, 0.06, 0.17, 0.30, 0.27, 0.18],
    1960: [0.02, 0.10, 0.36, 0.32, 0.15, 0.05],
    1970: [0.03, 0.30, 0.47, 0.16, 0.04, 0.0],
    1980: [0.04, 0.48, 0.41, 0.07, 0.0, 0.0],
    9999: [0.07, 0.52, 0.38, 0.03, 0.0, 0.0],
}
_URBAN_PARITY_SHIFT = np.array([1.2, 1.6, 0.6, 0.3, 0.2, 0.1])


def _parity_cdf(before: int, urban: bool) -> np.ndarray:
    p = np.array(_PARITY[before])
    if urban and before > 1960:
        p = p * _URBAN_PARITY_SHIFT
    return np.cumsum(p / p.sum())


_PARITY_CDF = {(b, u): _parity_cdf(b, u) for b in _PARITY for u in (False, True)}


def _parity(rng: np.random.Generator, birth_year: int, urban: bool) -> int:
    """Children ever born to a woman of this birth cohort (completed-fertility shares)."""
    before = next(b for b in _PARITY if birth_year < b)
    return int(np.searchsorted(_PARITY_CDF[(before, urban)], rng.random()))


class _StartBuilder:
    """Builds the register as found on the start date, lineage by lineage."""

    def __init__(self, rng: np.random.Generator, tree: CountyTree, start: dt.date):
        self.rng, self.tree, self.start = rng, tree, start
        self.t0 = day_of(start)
        self.names = _Names(rng)
        self.people = _Columns(PERSON_COLUMNS)
        self.households = _Columns({"village": np.int32, "head": np.int32})
        self.events = _Columns(EVENT_COLUMNS)
        self.rows: dict[str, list] = {k: [] for k in PERSON_COLUMNS}
        self.hh_rows: dict[str, list] = {"village": [], "head": []}
        self.n = 0
        self.village_township = tree.village_township
        n_v = len(tree.village_rows)
        self.villages_by_township = {
            t: np.flatnonzero(tree.village_township == t) for t in set(tree.village_township)
        }
        self.urban_villages = np.flatnonzero(tree.village_urban) if tree.village_urban.any() \
            else np.arange(n_v)

    # ---- primitives
    def _household(self, village: int) -> int:
        self.hh_rows["village"].append(village)
        self.hh_rows["head"].append(NO)
        return len(self.hh_rows["village"]) - 1

    def _person(self, *, sex: int, age: float, village: int, hh: int, rel: str, marital: int,
                surname: int, mother: int = NO, father: int = NO, area: int = 0,
                hukou: int | None = None, birth_order: int = 0) -> int:
        birth = self.t0 - int(age * YEAR) - 1
        r = self.rows
        r["sex"].append(sex)
        r["birth"].append(birth)
        r["village"].append(village)
        r["hh"].append(hh)
        r["rel"].append(REL[rel])
        r["marital"].append(marital)
        r["spouse"].append(NO)
        r["mother"].append(mother)
        r["father"].append(father)
        r["status"].append(RESIDENT)
        if hukou is None:
            hukou = 1 if self.tree.village_urban[village] and self.rng.random() < 0.8 else 0
        r["hukou"].append(hukou)
        r["area"].append(area)
        r["surname"].append(surname)
        r["given"].append("")
        r["birth_order"].append(birth_order)
        r["nkids"].append(0)
        r["married_on"].append(self.t0 - 400 if marital == MARRIED else NO)
        r["current_village"].append(NO)
        r["education"].append(NO)
        if rel == "head":
            self.hh_rows["head"][hh] = self.n
        self.n += 1
        return self.n - 1

    def _marry(self, a: int, b: int) -> None:
        self.rows["spouse"][a] = b
        self.rows["spouse"][b] = a

    # ---- lineages
    def build(self, target: int) -> None:
        rng = self.rng
        village_cdf = np.cumsum(self.tree.village_weight)
        while self.n < target:
            village = int(np.searchsorted(village_cdf, rng.random() * village_cdf[-1]))
            self._lineage(village)
        for k, v in self.rows.items():
            self.people.chunks[k].append(np.asarray(v, dtype=PERSON_COLUMNS[k]))
        self.people.size = self.n
        for k, v in self.hh_rows.items():
            self.households.chunks[k].append(np.asarray(v, dtype=np.int32))
        self.households.size = len(self.hh_rows["village"])
        people = self.people.arrays()
        n = self.n
        birth_year = 1970 + people["birth"] // 365.2425
        people["given"][:] = self.names.given_many(people["sex"], birth_year)
        people["education"][:] = _education(rng, birth_year,
                                            self.tree.village_urban[people["village"]],
                                            self.start.year)
        # some rural young adults live in the town while registered at home (人户分离)
        age = (self.t0 - people["birth"]) / YEAR
        away = (~self.tree.village_urban[people["village"]]) & (age >= 18) & (age < 45) \
            & (rng.random(n) < 0.08)
        people["current_village"][away] = rng.choice(self.urban_villages, away.sum())
        # everyone enters the register on the start date (建档); ``other`` carries
        # the unit where the person lives, when it differs
        self.events.extend(
            person=np.arange(n), type=np.full(n, EV["enrol"]), day=np.full(n, self.t0),
            village=people["village"], hh=people["hh"], rel=people["rel"],
            marital=people["marital"], other=people["current_village"].copy(),
        )

    def _lineage(self, village: int) -> None:
        rng = self.rng
        urban = bool(self.tree.village_urban[village])
        wife_age = _within(rng, rng.normal(66, 11), 46.0, 99.0)
        husband_age = wife_age + min(max(rng.normal(2.5, 2.5), -3.0), 12.0)
        wife_alive = rng.random() < _survival(wife_age, SEX_F)
        husband_alive = rng.random() < _survival(husband_age, SEX_M)
        wife_birth_year = self.start.year - int(wife_age)
        kids = self._child_ages(wife_age, wife_birth_year, urban)
        surname = self.names.surname()
        hh = NO
        wife = husband = NO
        if wife_alive or husband_alive:
            hh = self._household(village)
            both = wife_alive and husband_alive
            marital = MARRIED if both else WIDOWED
            if husband_alive:
                husband = self._person(sex=SEX_M, age=husband_age, village=village, hh=hh,
                                       rel="head", marital=marital, surname=surname)
            if wife_alive:
                wife = self._person(sex=SEX_F, age=wife_age, village=village, hh=hh,
                                    rel="spouse" if husband_alive else "head", marital=marital,
                                    surname=self.names.surname())
            if both:
                self._marry(husband, wife)
            if wife_alive:
                self.rows["nkids"][wife] = len(kids)
        for order, age in enumerate(kids, start=1):
            self._branch(age, village, hh, wife, husband, surname, order, "child", depth=1)

    def _child_ages(self, mother_age: float, mother_birth_year: int, urban: bool) -> list[float]:
        rng = self.rng
        n = _parity(rng, mother_birth_year, urban)
        first = min(max(rng.normal(23.5 if mother_birth_year < 1980 else 25.5, 2.6), 18.0), 36.0)
        ages, at = [], first
        for _ in range(n):
            if at > 45:
                break
            ages.append(mother_age - at)
            at += 1.2 + rng.gamma(2.0, 1.3)
        return ages

    def _branch(self, age: float, village: int, parents_hh: int, mother: int, father: int,
                surname: int, order: int, rel: str, depth: int) -> None:
        """A child of a registered couple: stays with them or has a household of its own."""
        rng = self.rng
        if age < 0:
            return
        sex = SEX_M if rng.random() < (0.515 if age > 30 else 0.535) else SEX_F
        if age >= 17 and rng.random() < (0.30 if age < 40 else 0.15):
            return  # lives outside the county: not in this register
        married = age >= LEGAL_AGE[sex] + 0.5 and rng.random() < min(0.97, (age - 21) / 9)
        if not married:
            if parents_hh == NO:
                parents_hh = self._household(village)
                rel = "head"
            self._person(sex=sex, age=age, village=village, hh=parents_hh, rel=rel,
                         marital=SINGLE, surname=surname, mother=mother, father=father,
                         birth_order=order if mother != NO else 0)
            return
        urban = bool(self.tree.village_urban[village])
        three_generations = (sex == SEX_M and parents_hh != NO and depth == 1
                             and rng.random() < (0.15 if urban else 0.35))
        if three_generations:
            hh, own_rel, spouse_rel, kid_rel, home = parents_hh, "child", "child_in_law", \
                "grandchild", village
        else:
            home = village if rng.random() < 0.7 else self._nearby_village(village)
            hh = self._household(home)
            own_rel, spouse_rel, kid_rel = ("head", "spouse", "child") if sex == SEX_M \
                else ("spouse", "head", "child")
        spouse_sex = SEX_F if sex == SEX_M else SEX_M
        gap = min(max(rng.normal(2.5, 2.5), -3.0), 10.0)
        spouse_age = age - gap if sex == SEX_M else age + gap
        spouse_age = _within(rng, spouse_age, LEGAL_AGE[spouse_sex] + 0.5, 120.0)
        # spouses married in from elsewhere sometimes carry another county's area code
        spouse_area = int(rng.integers(1, 9)) if rng.random() < 0.25 else 0
        # the husband's record first, so the household head exists
        if sex == SEX_M:
            me = self._person(sex=sex, age=age, village=home, hh=hh, rel=own_rel,
                              marital=MARRIED, surname=surname, mother=mother, father=father,
                              birth_order=order if mother != NO else 0)
            spouse = self._person(sex=spouse_sex, age=spouse_age, village=home, hh=hh,
                                  rel=spouse_rel, marital=MARRIED, surname=self.names.surname(),
                                  area=spouse_area)
            wife, husband, wife_age = spouse, me, spouse_age
        else:
            spouse = self._person(sex=spouse_sex, age=spouse_age, village=home, hh=hh,
                                  rel=spouse_rel, marital=MARRIED, surname=self.names.surname(),
                                  area=spouse_area)
            me = self._person(sex=sex, age=age, village=home, hh=hh, rel=own_rel,
                              marital=MARRIED, surname=surname, mother=mother, father=father,
                              birth_order=order if mother != NO else 0)
            wife, husband, wife_age = me, spouse, age
        self._marry(me, spouse)
        kids = self._child_ages(wife_age, self.start.year - int(wife_age), urban)
        self.rows["nkids"][wife] = len(kids)
        kid_surname = self.rows["surname"][husband]
        for kid_order, kid_age in enumerate(kids, start=1):
            self._branch(kid_age, home, hh, wife, husband, kid_surname, kid_order, kid_rel,
                         depth + 1)

    def _nearby_village(self, village: int) -> int:
        same = self.villages_by_township[int(self.village_township[village])]
        if self.rng.random() < 0.6:
            return int(self.rng.choice(same))
        return int(self.rng.integers(0, len(self.tree.village_rows)))


def _makeham_q(age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """Annual death probability: Makeham above 5, fixed child rates below.

    Calibrated so that life expectancy at birth is about 79 (women) and 75 (men).
    """
    age = np.asarray(age, dtype=float)
    q = 0.0003 + 0.000028 * np.exp(0.094 * age)
    q = np.where(np.asarray(sex) == SEX_M, q * 1.45, q)
    q = np.where(age < 5, 0.0006, q)
    q = np.where(age < 1, 0.0045, q)
    return np.minimum(q, 0.6)


_SURVIVAL_FROM_25 = {
    sex: np.cumprod(1 - _makeham_q(np.arange(25, 121), np.full(96, sex))) for sex in (SEX_M, SEX_F)
}


def _within(rng: np.random.Generator, age: float, low: float, high: float,
            spread: float = 3.0) -> float:
    """``age`` kept between ``low`` and ``high``; an age outside is drawn uniformly from
    the ``spread`` years inside the bound it crossed. (Clamping to the bound itself would
    give hundreds of people the same birth day, a heap no register has.)"""
    if age < low:
        return low + rng.random() * spread
    if age > high:
        return high - rng.random() * spread
    return age


def _survival(age: float, sex: int) -> float:
    """Chance that a parent who had children at 25 is alive at ``age``."""
    return float(_SURVIVAL_FROM_25[sex][min(max(int(age) - 25, 0), 95)])


_EDUCATION_P = np.array([
    [0.25, 0.40, 0.25, 0.08, 0.01, 0.01, 0.0],   # born before 1970
    [0.03, 0.17, 0.45, 0.20, 0.08, 0.06, 0.01],  # 1970–1989
    [0.0, 0.05, 0.30, 0.30, 0.15, 0.17, 0.03],   # 1990 on
])
_EDUCATION_URBAN = np.array([0.5, 0.7, 0.9, 1.2, 1.5, 1.8, 2.0])


def _education(rng: np.random.Generator, birth_year: np.ndarray, urban: np.ndarray,
               now_year: int) -> np.ndarray:
    """Education level index (0 none … 6 postgraduate; −1 for children under 7)."""
    era = np.where(birth_year < 1970, 0, np.where(birth_year < 1990, 1, 2))
    out = np.full(len(era), NO, dtype=np.int8)
    u = rng.random(len(era))
    for e in range(3):
        for is_urban in (False, True):
            p = _EDUCATION_P[e] * (_EDUCATION_URBAN if is_urban else 1)
            cdf = np.cumsum(p / p.sum())
            sel = (era == e) & (urban == is_urban)
            out[sel] = np.minimum(np.searchsorted(cdf, u[sel]), 6)
    out[birth_year > now_year - 7] = NO
    return out


# --------------------------------------------------------------------- ten years of events


class _Simulation:
    """Moves the start population forward one year at a time, recording every event."""

    def __init__(self, rng: np.random.Generator, pop: Population, target: int,
                 events: _Columns):
        self.rng, self.pop, self.target = rng, pop, target
        self.tree = pop.tree
        self.events = events
        self.people = _Columns(PERSON_COLUMNS)
        for k, v in pop.persons.items():
            self.people.chunks[k] = [v]
        self.people.size = pop.n_persons
        self.households = _Columns({"village": np.int32, "head": np.int32})
        for k, v in pop.households.items():
            self.households.chunks[k] = [v]
        self.households.size = len(pop.households["village"])
        self.names = _Names(rng)
        self.urban_villages = np.flatnonzero(self.tree.village_urban)
        if len(self.urban_villages) == 0:
            self.urban_villages = np.arange(len(self.tree.village_rows))

    def run(self) -> None:
        start, end = self.pop.start, self.pop.end
        for k in range(10):
            s = day_of(add_years(start, k)) + 1
            e = min(day_of(add_years(start, k + 1)), day_of(end))
            if s > e:
                break
            self._year(s, e, years_left=10 - k)
        p = self.people.arrays()
        hh = self.households.arrays()
        _fix_heads(p, hh)
        self.pop.persons, self.pop.households = p, hh
        self.pop.events = self.events.arrays()

    # ---- helpers
    def _dates(self, n: int, s: int, e: int) -> np.ndarray:
        return self.rng.integers(s, e + 1, n).astype(np.int32)

    def _event(self, person, kind: str, day, village, hh=NOT_IN_PAYLOAD, rel=NOT_IN_PAYLOAD,
               marital=NOT_IN_PAYLOAD, other=NO) -> None:
        person = np.asarray(person)
        if len(person) == 0:
            return
        self.events.extend(person=person, type=np.full(len(person), EV[kind]), day=day,
                           village=village, hh=hh, rel=rel, marital=marital, other=other)

    def _new_households(self, villages: np.ndarray, heads: np.ndarray) -> np.ndarray:
        return self.households.extend(village=villages, head=heads)

    def _year(self, s: int, e: int, years_left: int) -> None:
        rng = self.rng
        p = self.people.arrays()
        hh_village = self.households.arrays()["village"]
        n = len(p["sex"])
        age = (s - p["birth"]) / YEAR
        resident = p["status"] == RESIDENT
        busy = np.zeros(n, bool)

        # deaths
        dies = resident & (rng.random(n) < _makeham_q(age, p["sex"]))
        idx = np.flatnonzero(dies)
        self._event(idx, "death", self._dates(len(idx), s, e), p["village"][idx])
        p["status"][idx] = DEAD
        busy |= dies
        widowed = p["spouse"][idx]
        widowed = widowed[widowed >= 0]
        p["spouse"][widowed] = NO  # the survivor stays 'married' in the register
        p["spouse"][idx] = NO

        # moves out of the county, and returns
        move_p = np.select([(age >= 16) & (age < 25), (age >= 25) & (age < 40)], [0.03, 0.018],
                           0.004)
        leaves = resident & ~busy & (rng.random(n) < move_p)
        idx = np.flatnonzero(leaves)
        self._event(idx, "move_out", self._dates(len(idx), s, e), p["village"][idx])
        p["status"][idx] = MOVED_OUT
        busy |= leaves
        returns = (p["status"] == MOVED_OUT) & ~busy & (rng.random(n) < 0.04)
        idx = np.flatnonzero(returns)
        back_to = hh_village[p["hh"][idx]]
        self._event(idx, "move_in", self._dates(len(idx), s, e), back_to, hh=p["hh"][idx],
                    rel=p["rel"][idx])
        p["status"][idx] = RESIDENT
        p["village"][idx] = back_to
        p["current_village"][idx] = NO
        busy |= returns
        resident = p["status"] == RESIDENT

        # divorces: the wife starts a household of her own in the same village
        wives = np.flatnonzero(resident & ~busy & (p["sex"] == SEX_F) & (p["spouse"] >= 0))
        wives = wives[rng.random(len(wives)) < 0.0025]
        wives = wives[~busy[p["spouse"][wives]] & resident[p["spouse"][wives]]]
        if len(wives):
            husbands = p["spouse"][wives]
            day = self._dates(len(wives), s, e)
            new_hh = self._new_households(p["village"][wives], wives)
            self._event(husbands, "divorce", day, p["village"][husbands], other=wives)
            self._event(wives, "divorce", day, p["village"][wives], hh=new_hh,
                        rel=np.full(len(wives), REL["head"]), other=husbands)
            p["marital"][wives] = DIVORCED
            p["marital"][husbands] = DIVORCED
            p["spouse"][wives] = NO
            p["spouse"][husbands] = NO
            p["hh"][wives] = new_hh
            p["rel"][wives] = REL["head"]
            busy[wives] = busy[husbands] = True

        self._births(p, s, e, age, resident, busy)
        self._marriages(p, s, e, age, resident, busy)

        # moves within the county, towards the town: a household of one's own there
        movers = np.flatnonzero(resident & ~busy & (age >= 18) & (age < 60)
                                & (rng.random(n) < 0.006))
        if len(movers):
            dest = rng.choice(self.urban_villages, len(movers))
            keep = dest != p["village"][movers]
            movers, dest = movers[keep], dest[keep]
            new_hh = self._new_households(dest, movers)
            self._event(movers, "move_within", self._dates(len(movers), s, e), dest, hh=new_hh,
                        rel=np.full(len(movers), REL["head"]), other=p["village"][movers])
            p["village"][movers] = dest
            p["hh"][movers] = new_hh
            p["rel"][movers] = REL["head"]
            p["current_village"][movers] = NO

        # ``p`` was changed in place and newborns were appended after it: nothing to store
        self._arrivals(s, e, years_left)

    def _store(self, p: dict[str, np.ndarray]) -> None:
        for k, v in p.items():
            self.people.chunks[k] = [v]

    def _births(self, p, s, e, age, resident, busy) -> None:
        rng = self.rng
        husband = p["spouse"]
        mothers = np.flatnonzero(resident & ~busy & (p["sex"] == SEX_F) & (husband >= 0)
                                 & (p["married_on"] < s) & (age >= 15) & (age < 50))
        mothers = mothers[resident[husband[mothers]] & ~busy[husband[mothers]]]
        group = ((age[mothers] - 15) // 5).astype(int)
        parity = np.minimum(p["nkids"][mothers], 2)
        year = date_of(s).year
        trend = BIRTH_TREND.get(year, BIRTH_TREND[max(BIRTH_TREND)])
        urban = self.tree.village_urban[p["village"][mothers]]
        prob = BIRTH_PROB[parity, group] * trend * np.where(urban, 0.8, 1.1)
        mothers = mothers[rng.random(len(mothers)) < prob]
        if len(mothers) == 0:
            return
        twins = mothers[rng.random(len(mothers)) < 0.012]
        all_mothers = np.concatenate([mothers, twins])
        day = self._dates(len(mothers), s, e)
        day = np.concatenate([day, day[np.searchsorted(mothers, twins)]])
        fathers = husband[all_mothers]
        k = len(all_mothers)
        village = p["village"][all_mothers]
        urban = self.tree.village_urban[village]
        sex = np.where(rng.random(k) < np.where(urban, 0.52, 0.535), SEX_M, SEX_F)
        mother_rel = p["rel"][all_mothers]
        rel = np.where(np.isin(mother_rel, [REL["head"], REL["spouse"]]), REL["child"],
                       REL["grandchild"]).astype(np.int8)
        # a twin is the next order after its sibling
        order = p["nkids"][all_mothers].astype(np.int16) + 1
        order[len(mothers):] += 1
        p["nkids"][mothers] += 1
        p["nkids"][twins] += 1
        surname = np.where(rng.random(k) < 0.95, p["surname"][fathers], p["surname"][all_mothers])
        given = self.names.given_many(sex, np.full(k, year))
        ids = self.people.extend(
            sex=sex, birth=day, village=village, hh=p["hh"][all_mothers], rel=rel,
            marital=np.full(k, SINGLE), spouse=np.full(k, NO), mother=all_mothers,
            father=fathers, status=np.full(k, RESIDENT), hukou=p["hukou"][all_mothers],
            area=np.zeros(k), surname=surname, given=given, birth_order=order,
            nkids=np.zeros(k), married_on=np.full(k, NO), current_village=np.full(k, NO),
            education=np.full(k, NO),
        )
        self._event(ids, "birth", day, village, hh=p["hh"][all_mothers], rel=rel,
                    other=all_mothers)

    def _marriages(self, p, s, e, age, resident, busy) -> None:
        rng = self.rng
        n = len(age)
        single = resident & ~busy & (p["marital"] == SINGLE)
        sex = p["sex"]
        men = single & (sex == SEX_M) & (age >= LEGAL_AGE[SEX_M]) & (age < 45)
        women = single & (sex == SEX_F) & (age >= LEGAL_AGE[SEX_F]) & (age < 42)
        prob = np.select([age < 25, age < 30, age < 35], [0.10, 0.17, 0.10], 0.04)
        men &= rng.random(n) < prob
        women &= rng.random(n) < prob * 1.1
        township = self.tree.village_township[p["village"]]
        husbands, wives = [], []
        for t in np.unique(township[men | women]):
            m = np.flatnonzero(men & (township == t))
            w = np.flatnonzero(women & (township == t))
            k = min(len(m), len(w))
            if k == 0:
                continue
            m = np.sort(rng.choice(m, k, replace=False))
            w = np.sort(rng.choice(w, k, replace=False))
            m = m[np.argsort(p["birth"][m], kind="stable")]
            w = w[np.argsort(p["birth"][w], kind="stable")]
            husbands.append(m)
            wives.append(w)
        if not husbands:
            return
        h = np.concatenate(husbands)
        w = np.concatenate(wives)
        day = self._dates(len(h), s, e)
        # half of the couples set up a household of their own in the husband's village
        own = (p["rel"][h] != REL["head"]) & (rng.random(len(h)) < 0.5)
        village = p["village"][h]
        new_hh = np.full(len(h), NO, dtype=np.int32)
        if own.any():
            new_hh[own] = self._new_households(village[own], h[own])
        hh = np.where(own, new_hh, p["hh"][h])
        h_rel = np.where(own, REL["head"], p["rel"][h]).astype(np.int8)
        w_rel = np.where(h_rel == REL["head"], REL["spouse"], REL["child_in_law"]).astype(np.int8)
        self._event(h, "marriage", day, village, hh=np.where(own, hh, NOT_IN_PAYLOAD),
                    rel=np.where(own, h_rel, NOT_IN_PAYLOAD), other=w)
        same_village = p["village"][w] == village
        self._event(w[same_village], "marriage", day[same_village], village[same_village],
                    hh=hh[same_village], rel=w_rel[same_village], other=h[same_village])
        moved = ~same_village
        self._event(w[moved], "marriage", day[moved], p["village"][w[moved]], other=h[moved])
        self._event(w[moved], "move_within", day[moved], village[moved], hh=hh[moved],
                    rel=w_rel[moved], other=p["village"][w[moved]])
        p["marital"][h] = MARRIED
        p["marital"][w] = MARRIED
        p["spouse"][h], p["spouse"][w] = w, h
        p["married_on"][h] = p["married_on"][w] = day
        p["hh"][h], p["rel"][h] = hh, h_rel
        p["hh"][w], p["rel"][w] = hh, w_rel
        p["village"][w] = village
        p["current_village"][w[moved]] = NO  # the move within the county says so too
        busy[h] = busy[w] = True

    def _arrivals(self, s: int, e: int, years_left: int) -> None:
        """People moving in from other counties, as singles or couples with a child."""
        rng = self.rng
        missing = self.target - self.people.size
        if missing <= 0:
            return
        # leave room for the births of the years still to come (about 1% a year)
        room = missing - 0.01 * self.people.size * (years_left - 1)
        want = missing if years_left == 1 else max(0, int(room / years_left))
        made = 0
        villages, sexes, ages, rels, marital, area, hukou, kinds = [], [], [], [], [], [], [], []
        hh_of: list[int] = []
        n_hh = 0
        while made < want:
            village = int(rng.choice(self.urban_villages)) if rng.random() < 0.6 else \
                int(rng.integers(0, len(self.tree.village_rows)))
            a = float(np.clip(rng.gamma(6, 4.5), 18, 60))
            code = int(rng.integers(1, len(OTHER_AREA_CODES) + 1))
            huk = int(rng.random() < 0.4)
            if want - made >= 3 and rng.random() < 0.3:
                wife_age = max(a - abs(rng.normal(2, 2)), LEGAL_AGE[SEX_F] + 1)
                a = max(a, LEGAL_AGE[SEX_M] + 1)
                members = [(SEX_M, a, "head", MARRIED), (SEX_F, wife_age, "spouse", MARRIED)]
                if 24 < wife_age < 50 and rng.random() < 0.6:
                    youngest, oldest = max(0.2, wife_age - 38), min(wife_age - 20, 15)
                    members.append((SEX_M if rng.random() < 0.53 else SEX_F,
                                    float(rng.uniform(youngest, oldest)), "child", SINGLE))
            else:
                members = [(SEX_M if rng.random() < 0.55 else SEX_F, a, "head", SINGLE)]
            for sex, age_, rel, mar in members:
                villages.append(village)
                sexes.append(sex)
                ages.append(age_)
                rels.append(REL[rel])
                marital.append(mar)
                area.append(code)
                hukou.append(huk)
                hh_of.append(n_hh)
                kinds.append(len(members))
            n_hh += 1
            made += len(members)
        k = len(sexes)
        villages_a = np.array(villages)
        day = self._dates(n_hh, s, e)[np.array(hh_of)]
        birth = (day - np.array(ages) * YEAR).astype(np.int32)
        first = self.people.size
        household_village = villages_a[np.r_[0, np.flatnonzero(np.diff(hh_of)) + 1]]
        heads = first + np.r_[0, np.flatnonzero(np.diff(hh_of)) + 1]
        hh_ids = self._new_households(household_village, heads)[np.array(hh_of)]
        sex_a = np.array(sexes)
        year = date_of(s).year
        ids = self.people.extend(
            sex=sex_a, birth=birth, village=villages_a, hh=hh_ids, rel=np.array(rels),
            marital=np.array(marital), spouse=np.full(k, NO), mother=np.full(k, NO),
            father=np.full(k, NO), status=np.full(k, RESIDENT), hukou=np.array(hukou),
            area=np.array(area), surname=self.names.surnames(k),
            given=self.names.given_many(sex_a, year - np.array(ages).astype(int)),
            birth_order=np.zeros(k), nkids=np.zeros(k), married_on=np.full(k, NO),
            current_village=np.full(k, NO), education=np.full(k, NO),
        )
        p = self.people.arrays()
        rel_a = np.array(rels)
        is_couple = np.array(kinds) >= 2
        heads_m = ids[(rel_a == REL["head"]) & is_couple]
        wives_m = ids[(rel_a == REL["spouse"])]
        p["spouse"][heads_m], p["spouse"][wives_m] = wives_m, heads_m
        p["married_on"][heads_m] = p["married_on"][wives_m] = day[wives_m - first] - 1
        p["nkids"][wives_m] = 1
        kids = ids[rel_a == REL["child"]]
        # a child arrives with its parents: link it to them
        kid_hh = p["hh"][kids]
        head_by_hh = dict(zip(p["hh"][heads_m].tolist(), heads_m.tolist(), strict=True))
        kid_father = np.array([head_by_hh[h] for h in kid_hh.tolist()], dtype=np.int32)
        p["father"][kids] = kid_father
        p["mother"][kids] = p["spouse"][kid_father]
        p["birth_order"][kids] = 1
        p["surname"][kids] = p["surname"][kid_father]
        self._store(p)
        self._event(ids, "move_in", day, villages_a, hh=hh_ids, rel=rel_a,
                    marital=np.array(marital))


def _fix_heads(p: dict[str, np.ndarray], hh: dict[str, np.ndarray]) -> None:
    """A household whose head died or left gets its oldest resident member as head."""
    resident = np.flatnonzero(p["status"] == RESIDENT)
    order = resident[np.lexsort((p["birth"][resident], p["hh"][resident]))]
    households, first = np.unique(p["hh"][order], return_index=True)
    oldest = np.full(len(hh["village"]), NO, dtype=np.int32)
    oldest[households] = order[first]
    head = hh["head"]
    head_gone = (head < 0) | (p["status"][np.maximum(head, 0)] != RESIDENT) | \
        (p["hh"][np.maximum(head, 0)] != np.arange(len(head)))
    hh["head"] = np.where(head_gone, oldest, head).astype(np.int32)
