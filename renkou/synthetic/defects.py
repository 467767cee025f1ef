"""Known defects injected into a synthetic county, with their ground truth.

The data-quality tools are measured against these: duplicates registered in another
village or without an ID (sometimes under a homophone name or with the birth day and
month swapped), homophone name variants, swapped birth day and month, and age
heaping on ages ending in 0 or 5 among older people without an ID.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .names import HOMOPHONES
from .population import (
    EV,
    NO,
    REL,
    RESIDENT,
    YEAR,
    Population,
    date_of,
    day_of,
)

TRUTH_COLUMNS = ("defect_type", "person_id", "original_person_id", "field", "true_value",
                 "recorded_value")
#: Shares of the defect types among the defective records.
MIX = {"duplicate": 0.5, "swapped_day_month": 0.15, "homophone_name": 0.15, "age_heaping": 0.2}


@dataclass
class DefectResult:
    id_numbers: np.ndarray
    names: np.ndarray
    rows: list[dict] = field(default_factory=list)


def homophone_variant(name: str, rng: np.random.Generator, surname_len: int = 1) -> str:
    """The name with one given-name character replaced by a homophone (晓明 → 小明)."""
    given = list(name[surname_len:])
    spots = [i for i, ch in enumerate(given) if ch in HOMOPHONES]
    if not spots:
        return name
    i = spots[int(rng.integers(0, len(spots)))]
    given[i] = HOMOPHONES[given[i]]
    return name[:surname_len] + "".join(given)


def _swap_day_month(day: int) -> int | None:
    d = date_of(day)
    if d.day > 12 or d.day == d.month:
        return None
    try:
        return day_of(dt.date(d.year, d.day, d.month))
    except ValueError:
        return None


def inject_defects(rng: np.random.Generator, pop: Population, rate: float,
                   id_numbers: np.ndarray, names: np.ndarray) -> DefectResult:
    p, ev = pop.persons, pop.events
    n = pop.n_persons
    t0 = day_of(pop.start)
    end = day_of(pop.end)
    entered_at_start = np.zeros(n, bool)
    entered_at_start[ev["person"][(ev["type"] == EV["enrol"]) & (ev["day"] == t0)]] = True
    total = int(round(rate * n))
    counts = {k: int(round(total * share)) for k, share in MIX.items()}
    used = np.zeros(n, bool)
    rows: list[dict] = []
    names = names.copy()
    id_numbers = id_numbers.copy()
    surname_len = np.array([len(x) - len(g) for x, g in zip(names, p["given"], strict=True)])

    def pick(mask: np.ndarray, k: int) -> np.ndarray:
        candidates = np.flatnonzero(mask & ~used)
        chosen = rng.choice(candidates, min(k, len(candidates)), replace=False)
        used[chosen] = True
        return np.sort(chosen)

    age_end = (end - p["birth"]) / YEAR
    resident = p["status"] == RESIDENT

    # in-place record errors
    swappable = np.array([_swap_day_month(int(b)) is not None for b in p["birth"]])
    for i in pick(entered_at_start & swappable & (age_end >= 2), counts["swapped_day_month"]):
        swapped = _swap_day_month(int(p["birth"][i]))
        if swapped >= t0:
            continue
        rows.append(_row("swapped_day_month", i, None, "birth_date", date_of(p["birth"][i]),
                         date_of(swapped)))
        p["birth"][i] = swapped
    for i in pick(np.ones(n, bool), counts["homophone_name"] * 3):
        if sum(r["defect_type"] == "homophone_name" for r in rows) >= counts["homophone_name"]:
            break
        variant = homophone_variant(names[i], rng, int(surname_len[i]))
        if variant != names[i]:
            rows.append(_row("homophone_name", i, None, "name", names[i], variant))
            names[i] = variant
    for i in pick(entered_at_start & (age_end >= 52), counts["age_heaping"] * 3):
        if sum(r["defect_type"] == "age_heaping" for r in rows) >= counts["age_heaping"]:
            break
        age = int(age_end[i])
        heaped = int(round(age / 5) * 5)
        if heaped == age:
            continue
        d = date_of(p["birth"][i])
        year = d.year + (age - heaped)
        new = day_of(d.replace(year=year, day=min(d.day, 28) if d.month == 2 else d.day))
        if new >= t0:
            continue
        rows.append(_row("age_heaping", i, None, "birth_date", d, date_of(new)))
        if id_numbers[i] is not None:
            rows.append(_row("age_heaping", i, None, "id_number", id_numbers[i], ""))
        p["birth"][i] = new
        id_numbers[i] = None

    # duplicates: the same person registered again, later, without an ID
    originals = pick(resident & (age_end >= 1), counts["duplicate"])
    k = len(originals)
    if k:
        n_villages = len(pop.tree.village_rows)
        other_village = rng.random(k) < 0.6
        shift = rng.integers(1, max(n_villages, 2), k)
        village = np.where(other_village, (p["village"][originals] + shift) % n_villages,
                           p["village"][originals])
        birth = p["birth"][originals].copy()
        dup_names = names[originals].copy()
        for j, i in enumerate(originals):
            if rng.random() < 0.3:
                dup_names[j] = homophone_variant(names[i], rng, int(surname_len[i]))
            if rng.random() < 0.2:
                swapped = _swap_day_month(int(birth[j]))
                if swapped is not None and swapped < end:
                    birth[j] = swapped
        first_day = np.maximum(np.maximum(birth, t0), p["birth"][originals]) + 1
        day = (first_day + rng.random(k) * (end - first_day)).astype(np.int32)
        hh_start = len(pop.households["village"])
        pop.households = {
            "village": np.concatenate([pop.households["village"], village.astype(np.int32)]),
            "head": np.concatenate([pop.households["head"],
                                    np.arange(n, n + k, dtype=np.int32)]),
        }
        new_hh = np.arange(hh_start, hh_start + k, dtype=np.int32)
        copy = {key: p[key][originals].copy() for key in p}
        copy.update(birth=birth.astype(np.int32), village=village.astype(np.int32), hh=new_hh,
                    rel=np.full(k, REL["head"], np.int8), spouse=np.full(k, NO, np.int32),
                    mother=np.full(k, NO, np.int32), father=np.full(k, NO, np.int32),
                    status=np.full(k, RESIDENT, np.int8), birth_order=np.zeros(k, np.int8),
                    nkids=np.zeros(k, np.int8), married_on=np.full(k, NO, np.int32),
                    current_village=np.full(k, NO, np.int32))
        pop.persons = {key: np.concatenate([p[key], copy[key]]) for key in p}
        new_events = {
            "person": np.arange(n, n + k, dtype=np.int32), "type": np.full(k, EV["enrol"], np.int8),
            "day": day, "village": village.astype(np.int32), "hh": new_hh,
            "rel": np.full(k, REL["head"], np.int8), "marital": p["marital"][originals],
            "other": np.full(k, NO, np.int32),
        }
        pop.events = {key: np.concatenate([ev[key], new_events[key].astype(ev[key].dtype)])
                      for key in ev}
        id_numbers = np.concatenate([id_numbers, np.full(k, None, dtype=object)])
        names = np.concatenate([names, dup_names])
        for j, i in enumerate(originals):
            kind = "duplicate_other_village" if other_village[j] else "duplicate_without_id"
            rows.append(_row(kind, n + j, i, "", "", ""))
    return DefectResult(id_numbers=id_numbers, names=names, rows=rows)


def _row(kind: str, index: int, original: int | None, field_name: str, true, recorded) -> dict:
    return {
        "defect_type": kind,
        "person_id": index + 1,
        "original_person_id": "" if original is None else original + 1,
        "field": field_name,
        "true_value": true.isoformat() if isinstance(true, dt.date) else true,
        "recorded_value": recorded.isoformat() if isinstance(recorded, dt.date) else recorded,
    }


def write_truth(result: DefectResult, path: Path) -> None:
    """The ground truth of every injected defect, one CSV row each."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=TRUTH_COLUMNS)
        writer.writeheader()
        writer.writerows(result.rows)
