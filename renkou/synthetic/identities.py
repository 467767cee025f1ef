"""ID numbers and names for the synthetic people, computed for all at once."""

from __future__ import annotations

import numpy as np

from .county import COUNTY_CODE
from .names import OTHER_AREA_CODES, SURNAMES
from .population import NO, SEX_M, YEAR, Population, day_of

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


def assign_id_numbers(rng: np.random.Generator, pop: Population) -> np.ndarray:
    """ID numbers (or ``None``) for every person, unique and with valid check digits.

    Nearly every adult has one; some of the very old and a share of young children
    have none yet, as in real registers.
    """
    p = pop.persons
    n = pop.n_persons
    age = (day_of(pop.end) - p["birth"]) / YEAR
    has = rng.random(n) < np.select([age < 1, age < 16, age >= 85], [0.4, 0.85, 0.93], 0.995)
    idx = np.flatnonzero(has)
    area = p["area"][idx].astype(np.int64)
    male = (p["sex"][idx] == SEX_M).astype(np.int64)
    key = (area * 200_000 + p["birth"][idx].astype(np.int64) + 100_000) * 2 + male
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    starts = np.repeat(group_start, np.diff(np.r_[group_start, len(order)]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - starts
    keep = rank < 499  # three-digit sequence: odd for men, even for women
    seq = rank * 2 + np.where(male == 1, 1, 2)
    births = np.datetime_as_string(p["birth"][idx].astype("datetime64[D]")).astype("U10")
    ymd = np.char.replace(births, "-", "")
    area_str = np.array(AREA_CODES)[area]
    bodies = np.char.add(np.char.add(area_str, ymd), np.char.zfill(seq.astype("U3"), 3))
    numbers = np.char.add(bodies, check_digits(bodies))
    out = np.full(n, None, dtype=object)
    out[idx[keep]] = numbers[keep]
    return out


def full_names(pop: Population) -> np.ndarray:
    surnames = np.array([s for s, _ in SURNAMES], dtype=object)
    return surnames[pop.persons["surname"]] + pop.persons["given"]


__all__ = ["AREA_CODES", "check_digits", "assign_id_numbers", "full_names", "NO"]
