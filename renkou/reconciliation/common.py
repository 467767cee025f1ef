"""Helpers shared by survey and department reconciliation: file reading, the register
as of a date for a set of units, roll-ups over the org tree and intervals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q
from django.utils.translation import gettext as _

from renkou.core import scoping
from renkou.core.tables import parse_date_cell as parse_date
from renkou.demography.intervals import wilson_interval
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.file_columns import accepted_values
from renkou.register.identity import id_number_problems, normalise_id_number
from renkou.register.ledger import EventRecord, fold_many
from renkou.register.models import LifeEvent, Person

__all__ = [
    "parse_date",
    "parse_sex",
    "check_id",
    "subtree_q",
    "units_under",
    "register_as_of",
    "register_households_as_of",
    "rollup",
    "Rate",
    "rate",
    "scope_root",
]

def parse_sex(text: str) -> str:
    """M or F for a sex as written (M, F, 男, 女, male, female); "" for anything else."""
    return accepted_values("sex").get(text.strip().lower(), "")


def check_id(text: str, birth_date: dt.date | None = None, sex: str | None = None
             ) -> tuple[str, list[str]]:
    """The normalised ID number and the reasons it is not acceptable (empty: fine)."""
    number = normalise_id_number(text) or ""
    if not number:
        return "", []
    return number, id_number_problems(number, birth_date, sex or None)


def subtree_q(unit: OrgUnit, prefix: str = "") -> Q:
    """Rows whose ``<prefix>path`` lies in ``unit``'s subtree (:func:`renkou.core.scoping.subtree_q`)."""
    return scoping.subtree_q(unit.path, f"{prefix}path")


def units_under(units: Iterable[OrgUnit]) -> dict[int, int]:
    """Every unit in the subtrees of ``units``, mapped to the id of the unit above it
    among ``units`` (a villagers' group maps to its village)."""
    units = list(units)
    if not units:
        return {}
    q = Q()
    for u in units:
        q |= subtree_q(u)
    by_path = {u.path: u.pk for u in units}
    result: dict[int, int] = {}
    for pk, path in OrgUnit.objects.filter(q).values_list("pk", "path"):
        parts = path.split("/")
        for depth in range(len(parts), 0, -1):
            top = by_path.get("/".join(parts[:depth]))
            if top is not None:
                result[pk] = top
                break
    return result


def register_as_of(units: Iterable[OrgUnit], day: dt.date) -> dict[int, int]:
    """The persons registered and resident in ``units`` (or below) at the end of ``day``,
    as ``person_id -> unit id``: the fold of their ledgers up to that day.

    Candidates are everyone with a ledger entry in those units or registered there
    today (an entry into a unit happens in that unit); their ledgers are folded in one
    streamed query (:func:`renkou.register.ledger.fold_many`).
    """
    return {pk: unit for pk, (unit, _household) in register_households_as_of(units, day).items()}


def register_households_as_of(units: Iterable[OrgUnit], day: dt.date
                              ) -> dict[int, tuple[int, int | None]]:
    """:func:`register_as_of` with each person's household on that day (the ledger's
    ``household_id``, ``None`` for none): ``person_id -> (unit id, household id)``."""
    unit_of = units_under(units)
    if not unit_of:
        return {}
    ids = list(unit_of)
    candidates = set(LifeEvent.objects.filter(org_id__in=ids).values_list("person_id", flat=True))
    candidates |= set(Person.objects.filter(registered_org_id__in=ids).values_list("pk", flat=True))
    if not candidates:
        return {}
    events = (
        LifeEvent.objects.filter(person_id__in=candidates)
        .order_by("person_id", "event_date", "pk")
        .values_list("pk", "person_id", "event_type", "event_date", "org_id", "payload",
                     "supersedes_id")
    )
    result: dict[int, tuple[int, int | None]] = {}
    for person_id, state in fold_many((EventRecord(*row) for row in events.iterator(2000)),
                                      as_of=day):
        if state["status"] == "resident" and state["registered_org_id"] in unit_of:
            result[person_id] = (unit_of[state["registered_org_id"]], state["household_id"])
    return result


def rollup(counts: dict[int, dict[str, float]], keys: Iterable[str],
           units: dict[int, OrgUnit] | None = None) -> dict[int, dict[str, float]]:
    """Sum per-unit counts onto every ancestor through ``OrgUnit.path``.

    ``counts`` maps a unit id to its own counts (from one GROUP BY); the result maps
    that unit and every unit above it to the totals of its subtree. No query per unit:
    the ancestors are read from the paths, their ids in one query.
    """
    keys = list(keys)
    if units is None:
        units = OrgUnit.objects.in_bulk(list(counts))
    codes = {c for u in units.values() for c in u.path.split("/")}
    id_of = dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "pk"))
    totals: dict[int, dict[str, float]] = {}
    for unit_id, row in counts.items():
        unit = units.get(unit_id)
        if unit is None:
            continue
        for code in unit.path.split("/"):
            target = id_of.get(code)
            if target is None:
                continue
            acc = totals.setdefault(target, dict.fromkeys(keys, 0))
            for k in keys:
                acc[k] += row.get(k, 0)
    return totals


def visible_rollup(counts: dict[int, dict[str, float]], keys: Iterable[str],
                   user=None) -> list[tuple[OrgUnit, dict[str, float]]]:
    """:func:`rollup`, then the units ``user`` may see (all with no user), in tree order."""
    totals = rollup(counts, keys)
    units = OrgUnit.objects.in_bulk(list(totals))
    if user is not None:
        visible = set(OrgUnit.objects.visible_to(user).filter(pk__in=list(totals))
                      .values_list("pk", flat=True))
        totals = {pk: c for pk, c in totals.items() if pk in visible}
    return sorted(((units[pk], c) for pk, c in totals.items()), key=lambda uc: uc[0].path)


@dataclass(frozen=True)
class Rate:
    """A proportion x / n (shown as %) with its 95% Wilson interval; ``None`` when n = 0."""

    numerator: float
    denominator: float
    value: float | None
    lower: float | None
    upper: float | None
    method: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value

    @property
    def lower_percent(self) -> float | None:
        return None if self.lower is None else 100 * self.lower

    @property
    def upper_percent(self) -> float | None:
        return None if self.upper is None else 100 * self.upper


def rate(x: float, n: float, deff: float = 1.0, method: str = "") -> Rate:
    """x / n with the Wilson interval computed on the effective counts x/deff, n/deff
    (a design effect ``deff`` > 1 widens the interval and leaves the estimate)."""
    if not n:
        return Rate(x, n, None, None, None, method)
    lo, hi = wilson_interval(np.array([x / deff]), np.array([n / deff]))
    return Rate(x, n, x / n, float(lo[0]), float(hi[0]), method)


def scope_root(user) -> OrgUnit | None:
    """The unit a user works in (its own), or the county for an unrestricted run."""
    unit = OrgUnit.objects.resolve_for(user) if user is not None and user.org_id else None
    return unit or OrgUnit.objects.filter(level=OrgLevel.COUNTY).order_by("code").first()


def message_for_missing_column(name: str) -> str:
    return _("the column %(name)s is missing") % {"name": name}
