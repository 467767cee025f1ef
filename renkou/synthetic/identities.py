"""ID numbers and names for the synthetic people, computed for all at once."""

from __future__ import annotations

import numpy as np

from .areas import area_codes_for
from .county import COUNTY_CODE
from .names import OTHER_AREA_CODES, SURNAMES
from .population import NO, SEX_M, YEAR, Population, day_of

#: The area codes of the default county's people (``area`` indexes them); another
#: county's own code replaces the first.
AREA_CODES = (COUNTY_CODE, *OTHER_AREA_CODES)
#: GB 11643 weights 2^(17−i) mod 11 and the check character for each remainder.
_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)])
_CHECK = np.array(list("10X98765432"))


def check_digits(bodies: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check characters of 17-digit bodies (GB 11643).

    python-stdnum's ``cn.ric.calc_check_digit`` computes the same for one number;
    this vectorised twin exists because the generator numbers a million people at
    once, and the tests compare both on every generated number.
    """
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    return _CHECK[(digits.astype(np.int64) @ _WEIGHTS) % 11]


#: Sequence numbers (the three digits after the birth date, odd for men, even for women)
#: are handed out by rank within the people of one area code, birth date and sex: rank r
#: is number 2r + 1 for a man, 2r + 2 for a woman, so ranks run from 0 to 498. The default
#: county numbers everyone from rank 0 up, as it always has. So that counties generated
#: side by side never share a number, the people of another county born there start at
#: rank OWN_FIRST_RANK, and everyone a county holds with an area code not its own (born
#: elsewhere: married-in spouses, arrivals, inflow migrants) takes the ranks of that
#: county's slot at the top: slot s holds ranks TOP_RANK − 3s − 2 … TOP_RANK − 3s
#: (the default county's inflow migrants slot 0). Two counties other than the default
#: whose codes fall in one slot (code mod 79) could give one number to two people born
#: in the same third county on the same day; no other pair of counties can.
TOP_RANK = 498
SLOT_SIZE = 3
SLOTS = 80
OWN_FIRST_RANK = 16
OWN_LAST_RANK = TOP_RANK - SLOTS * SLOT_SIZE  # 258


def county_slot(code: str) -> int:
    """The slot of the top ranks a county gives the people it holds with another area code."""
    return 0 if code == COUNTY_CODE else 1 + int(code) % (SLOTS - 1)


def birth_years(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _ranks(key: np.ndarray) -> np.ndarray:
    """Each element's rank among the elements of equal key, in index order."""
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    starts = np.repeat(group_start, np.diff(np.r_[group_start, len(order)]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - starts
    return rank


def _numbers(codes: np.ndarray, days: np.ndarray, seq_rank: np.ndarray,
             male: np.ndarray) -> np.ndarray:
    seq = seq_rank * 2 + np.where(male == 1, 1, 2)
    births = np.datetime_as_string(days.astype("datetime64[D]")).astype("U10")
    ymd = np.char.replace(births, "-", "")
    bodies = np.char.add(np.char.add(codes, ymd), np.char.zfill(seq.astype("U3"), 3))
    return np.char.add(bodies, check_digits(bodies))


def assign_id_numbers(rng: np.random.Generator, pop: Population) -> np.ndarray:
    """ID numbers (or ``None``) for every person, unique and with valid check digits.

    Nearly every adult has one; some of the very old and a share of young children
    have none yet, as in real registers. The area code is the county's (``area`` 0) or
    another county's (:data:`OTHER_AREA_CODES`), as it was in the holder's birth year
    (:func:`~renkou.synthetic.areas.area_code_for`).
    """
    p = pop.persons
    n = pop.n_persons
    county = pop.tree.code
    age = (day_of(pop.end) - p["birth"]) / YEAR
    has = rng.random(n) < np.select([age < 1, age < 16, age >= 85], [0.4, 0.85, 0.93], 0.995)
    idx = np.flatnonzero(has)
    area = p["area"][idx].astype(np.int64)
    male = (p["sex"][idx] == SEX_M).astype(np.int64)
    births = p["birth"][idx]
    base = np.array((county, *OTHER_AREA_CODES))[area]
    codes = area_codes_for(base, birth_years(births))
    key = (codes.astype(np.int64) * 200_000 + births.astype(np.int64) + 100_000) * 2 + male
    if county == COUNTY_CODE:
        rank = _ranks(key)
        keep = rank < TOP_RANK + 1
        seq_rank = rank
    else:
        own = base == county
        rank = _ranks(key * 2 + own)
        top = TOP_RANK - county_slot(county) * SLOT_SIZE
        seq_rank = np.where(own, OWN_FIRST_RANK + rank, top - rank)
        keep = np.where(own, seq_rank <= OWN_LAST_RANK, rank < SLOT_SIZE)
    numbers = _numbers(codes, births, seq_rank, male)
    out = np.full(n, None, dtype=object)
    out[idx[keep]] = numbers[keep]
    return out


def _digits(numbers: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The integer of characters ``start`` to ``stop`` of 18-character ID numbers."""
    raw = np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = raw[:, start:stop].astype(np.int64) - 48
    return digits @ (10 ** np.arange(stop - start - 1, -1, -1, dtype=np.int64))


def migrant_id_numbers(hukou_codes: np.ndarray, births: np.ndarray, sex: np.ndarray,
                       county: str, taken: np.ndarray) -> np.ndarray:
    """ID numbers (or ``None``) of inflow migrants registered in ``hukou_codes`` (six
    digits): the area code of their hukou county in their birth year, a sequence number
    of ``county``'s slot after any of ``taken`` (the county's numbers so far) in it."""
    n = len(births)
    male = (sex == SEX_M).astype(np.int64)
    codes = area_codes_for(hukou_codes, birth_years(births))
    ymd = np.char.replace(np.datetime_as_string(births.astype("datetime64[D]")).astype("U10"),
                          "-", "").astype(np.int64)
    key = (codes.astype(np.int64) * 100_000_000 + ymd) * 2 + male
    top = TOP_RANK - county_slot(county) * SLOT_SIZE
    present = np.array([x for x in taken.tolist() if x is not None], dtype="U18")
    prior = np.zeros(n, dtype=np.int64)
    if len(present):
        seq_rank = (_digits(present, 14, 17) - 1) // 2
        in_slot = (seq_rank <= top) & (seq_rank > top - SLOT_SIZE)
        present = present[in_slot]
        if len(present):
            taken_key = np.sort((_digits(present, 0, 6) * 100_000_000 + _digits(present, 6, 14))
                                * 2 + _digits(present, 16, 17) % 2)
            prior = (np.searchsorted(taken_key, key, "right")
                     - np.searchsorted(taken_key, key, "left"))
    rank = prior + _ranks(key)
    keep = rank < SLOT_SIZE
    numbers = _numbers(codes, births, top - rank, male)
    out = np.full(n, None, dtype=object)
    out[keep] = numbers[keep]
    return out


def full_names(pop: Population) -> np.ndarray:
    surnames = np.array([s for s, _ in SURNAMES], dtype=object)
    return surnames[pop.persons["surname"]] + pop.persons["given"]


__all__ = ["AREA_CODES", "check_digits", "assign_id_numbers", "migrant_id_numbers", "full_names",
           "county_slot", "NO"]
