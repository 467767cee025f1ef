"""Eligibility over register facts, set-based (资格筛查).

:func:`evaluate` screens a whole county for one programme and year in a few queries:

1. the candidates, with the number of recorded children, daughters and dead children
   and the youngest child's birth date as correlated aggregates (one query);
2. the recorded children of those candidates (one query);
3. the ledgers of candidates and children, streamed in person order (two queries) and
   folded with :func:`renkou.register.ledger.fold` to know who was alive and resident
   in the jurisdiction in which month, and when each child died.

Then the programme's rule is applied in memory, per candidate, without further queries.

Rules (parameters from the programme version):

- ``rural_reward`` (奖励扶助): rural hukou, aged ``min_age`` or more in the year (born in
  or before year − min_age, so someone turning 60 on 31 December qualifies for that
  whole year, someone turning 60 on 1 January of the next year does not), with exactly
  one recorded child, or exactly two both daughters, or whose recorded children have
  all died.
- ``special_assistance`` (特别扶助): exactly one recorded child, who has died; the
  child's mother (the person herself, or the child's recorded mother) reached
  ``mother_min_age`` in the year; due from the month after the child's death.
  The disability branch (grade 1–3) is not a register fact: walk-in application with
  the reviewer's attestation.
- ``only_child`` (独生子女父母奖励): exactly one recorded child, alive and under
  ``max_child_age`` in the month.
- ``child_under_age`` (育儿补贴): the person is a child under ``max_age`` in the month.

Children are the persons whose mother or father link names the person — twins count
as two, an adopted child recorded with parent links counts as a child, a child who
died still counts as a child (and as dead). A person with no recorded child is not
listed: the register cannot tell "no child" from "child not recorded"; a reviewer may
attest the facts the register cannot know in a walk-in application.

Months due (the rule chosen here): a month is due when, on at least one day of it, the
person was alive and a resident of the jurisdiction and the rule's month conditions
held. So a death on 15 June is paid through June; a move out on 3 March through March;
an arrival mid-month counts from that month. Amounts: per month, the version in force
on the month's first day; a yearly amount is paid 1/12 per month due, so a version
changing mid-year is prorated by its months.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from renkou.core import clock
from renkou.core.scoping import subtree_q
from renkou.orgunits.models import OrgUnit
from renkou.register.ledger import EventRecord, effective_events, fold
from renkou.register.models import LifeEvent, Person

from .models import describe_facts
from .programmes import Programme

__all__ = ["Result", "evaluate", "months_amount", "residence_months", "CENT"]

CENT = Decimal("0.01")
ALL_MONTHS = tuple(range(1, 13))


@dataclass
class Result:
    """The evaluation of one person for one programme and year."""

    person_id: int
    name: str
    id_number: str | None
    sex: str
    birth_date: dt.date
    org_id: int
    org_code: str = ""
    org_name: str = ""
    eligible: bool = False
    composition_ok: bool = False
    reason: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    months: list[int] = field(default_factory=list)
    base_months: list[int] = field(default_factory=list)
    amount: Decimal = Decimal("0.00")
    rate: str = "default"
    left_on: dt.date | None = None
    left_reason: str = ""
    payee: str = ""

    @property
    def facts_text(self) -> str:
        return describe_facts(self.facts)


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


def residence_months(events: list[EventRecord], year: int, in_scope: set[int] | None
                     ) -> tuple[list[int], int | None, dt.date | None, str]:
    """Months of ``year`` in which the person was a resident of the scope on some day.

    Returns ``(months, org_id, left_on, left_reason)``: the unit the person was
    registered in at the last such day, and the date of a death or move out of the
    scope in or before the year (``None`` if none).
    """
    effective = effective_events(events)
    dates = sorted({e.event_date for e in effective})
    spans: list[tuple[dt.date, dt.date, int]] = []  # resident in scope, inclusive
    left_on, left_reason = None, ""
    for i, day in enumerate(dates):
        state = fold(effective, as_of=day)
        if state is None:
            continue
        here = state["status"] == "resident" and (
            in_scope is None or state["registered_org_id"] in in_scope)
        if not here:
            continue
        if i + 1 < len(dates):
            nxt = dates[i + 1]
            after = fold(effective, as_of=nxt)
            leaves = after is None or after["status"] != "resident" or (
                in_scope is not None and after["registered_org_id"] not in in_scope)
            end = nxt if leaves else nxt - dt.timedelta(days=1)
            if leaves and after is not None:
                left_on = nxt
                left_reason = {"dead": "death", "moved_out": "move_out"}.get(after["status"],
                                                                            "move_away")
        else:
            end = dt.date.max
        spans.append((day, end, state["registered_org_id"]))
    # merge the last resident unit and the months
    months, org_id = [], None
    for m in ALL_MONTHS:
        first, last = _month_bounds(year, m)
        for start, end, org in spans:
            if start <= last and end >= first:
                months.append(m)
                org_id = org
                break
    if left_on is not None and spans and spans[-1][1] == dt.date.max:
        left_on, left_reason = None, ""  # left and came back
    if left_on is not None and left_on.year > year:
        left_on, left_reason = None, ""
    if org_id is None and spans:
        org_id = spans[-1][2]
    return months, org_id, left_on, left_reason


def months_amount(prog: Programme, org_code: str, year: int, months: Iterable[int],
                  rate: str = "default") -> tuple[Decimal, list[int]]:
    """The amount due for these months and the months a version covers.

    A yearly amount counts 1/12 per month of the version in force on the month's first
    day; a monthly amount counts whole; a lump sum is due once, in the first month.
    """
    total = Decimal(0)
    covered = []
    for m in sorted(months):
        version = prog.version_for(org_code, dt.date(year, m, 1))
        if version is None:
            continue
        covered.append(m)
        amount = version.amount(rate)
        if prog.unit == "person_month":
            total += amount
        elif prog.unit == "person_year":
            total += amount / 12
        elif len(covered) == 1:
            total += amount
    return total.quantize(CENT, rounding=ROUND_HALF_UP), covered


def _criteria(prog: Programme, key: str, default: Any, org_code: str = "",
              day: dt.date | None = None) -> Any:
    if day is not None:
        version = prog.version_for(org_code, day)
        if version is not None and key in version.criteria:
            return version.criteria[key]
    values = [v.criteria[key] for v in prog.versions if key in v.criteria]
    return values[-1] if values else default


def _loosest(prog: Programme, key: str, default: Any, pick=min) -> Any:
    values = [v.criteria[key] for v in prog.versions if key in v.criteria]
    return pick(values) if values else default


def _scope_units(scope: OrgUnit | None) -> tuple[dict[int, tuple[str, str, str]], set[int] | None]:
    units = OrgUnit.objects.all() if scope is None else scope.subtree()
    info = {pk: (code, name, path) for pk, code, name, path in
            units.values_list("pk", "code", "name", "path")}
    return info, (None if scope is None else set(info))


def _child_count(parent_field: str, **filters) -> Coalesce:
    kids = (Person.objects.filter(**{parent_field: OuterRef("pk")}, **filters).order_by()
            .annotate(g=Value(1)).values("g").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(kids, output_field=IntegerField()), 0)


def _youngest(parent_field: str) -> Subquery:
    kids = (Person.objects.filter(**{parent_field: OuterRef("pk")}).order_by()
            .annotate(g=Value(1)).values("g").annotate(m=Max("birth_date")).values("m"))
    return Subquery(kids)


def candidates(prog: Programme, year: int, scope: OrgUnit | None,
               persons: QuerySet | None = None) -> QuerySet:
    """The candidate persons of a rule, with their children counted, as one query.

    With ``persons`` (a queryset of person ids) no rule prefilter is applied, so that
    every listed person gets a result and a reason (requalification, rosters).
    """
    qs = Person.objects.all()
    if scope is not None:
        qs = qs.filter(subtree_q(scope.path, "registered_org__path"))
    if persons is not None:
        qs = qs.filter(pk__in=persons)
    fields = ["pk", "name", "id_number", "sex", "birth_date", "hukou_type", "registered_org_id",
              "mother_id", "father_id"]
    if prog.rule == "child_under_age":
        if persons is None:
            max_age = _loosest(prog, "max_age", 3, max)
            qs = qs.filter(birth_date__gt=dt.date(year - max_age - 1, 12, 31),
                           birth_date__lte=dt.date(year, 12, 31))
        return qs.values(*fields).order_by("pk")
    # a person is a mother or a father by sex; each count uses its parent-link index
    fem = Q(sex="F")
    qs = qs.annotate(
        n_children=Case(When(fem, then=_child_count("mother_id")), default=_child_count("father_id")),
        n_daughters=Case(When(fem, then=_child_count("mother_id", sex="F")),
                         default=_child_count("father_id", sex="F")),
        n_dead=Case(When(fem, then=_child_count("mother_id", status="dead")),
                    default=_child_count("father_id", status="dead")),
    )
    if persons is None:
        if prog.rule == "rural_reward":
            min_age = _loosest(prog, "min_age", 60)
            qs = qs.filter(birth_date__lt=dt.date(year - min_age + 1, 1, 1), hukou_type="rural",
                           n_children__gte=1).filter(Q(n_children__lte=2) | Q(n_dead=F("n_children")))
        elif prog.rule == "special_assistance":
            qs = qs.filter(n_children=1, n_dead=1)
        elif prog.rule == "only_child":
            max_age = _loosest(prog, "max_child_age", 18, max)
            qs = qs.annotate(youngest=Case(When(fem, then=_youngest("mother_id")),
                                           default=_youngest("father_id")))
            qs = qs.filter(n_children=1, youngest__gt=dt.date(year - max_age - 1, 12, 31),
                           youngest__lte=dt.date(year, 12, 31))
    return qs.values(*fields, "n_children", "n_daughters", "n_dead").order_by("pk")


#: Ids per query: SQLite allows 32,766 bound parameters; a few queries per county.
CHUNK = 10_000


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _stream_events(person_ids: list[int]) -> dict[int, list[EventRecord]]:
    """The ledgers of these persons, a chunk of ids per query."""
    out: dict[int, list[EventRecord]] = defaultdict(list)
    for chunk in _chunks(person_ids):
        rows = (LifeEvent.objects.filter(person_id__in=chunk)
                .order_by("person_id", "event_date", "pk")
                .values_list("pk", "person_id", "event_type", "event_date", "org_id", "payload",
                             "supersedes_id"))
        for row in rows.iterator(chunk_size=5000):
            out[row[1]].append(EventRecord(*row))
    return out


def _death_dates(events: dict[int, list[EventRecord]]) -> dict[int, dt.date]:
    deaths = {}
    for pid, evs in events.items():
        for e in effective_events(evs):
            if e.event_type == "death":
                deaths[pid] = e.event_date
    return deaths


def evaluate(prog: Programme, year: int, scope: OrgUnit | None = None, *,
             persons: QuerySet | None = None, as_of: dt.date | None = None) -> list[Result]:
    """Evaluate everyone the rule could concern (or ``persons``); results in person order.

    ``as_of`` (default: the year's end, or today if earlier) is the day the children's
    composition is read; the months due are read over the whole year up to it.
    """
    as_of = as_of or min(dt.date(year, 12, 31), clock.today())
    units, in_scope = _scope_units(scope)
    cand_qs = candidates(prog, year, scope, persons)
    cands = list(cand_qs)
    if not cands:
        return []
    cand_ids = [c["pk"] for c in cands]
    children: dict[int, list[dict]] = defaultdict(list)
    child_events: dict[int, list[EventRecord]] = {}
    if prog.rule != "child_under_age":
        kid_ids: list[int] = []
        cand_set, seen = set(cand_ids), set()
        for chunk in _chunks(cand_ids):
            kid_qs = Person.objects.filter(Q(mother_id__in=chunk) | Q(father_id__in=chunk))
            for kid in kid_qs.values("pk", "name", "sex", "birth_date", "mother_id", "father_id",
                                     "mother__birth_date").order_by("pk"):
                if kid["pk"] in seen:
                    continue  # both parents' chunks found this child
                seen.add(kid["pk"])
                kid_ids.append(kid["pk"])
                for parent in (kid["mother_id"], kid["father_id"]):
                    if parent in cand_set:
                        children[parent].append(kid)
        child_events = _stream_events(sorted(kid_ids))
    events = _stream_events(cand_ids)
    deaths = _death_dates(child_events)
    parents: dict[int, str] = {}
    if prog.rule == "child_under_age":
        ids = {c["mother_id"] for c in cands} | {c["father_id"] for c in cands}
        parents = dict(Person.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", "name"))
    hukou_elsewhere = (_hukou_elsewhere(cand_ids, year) if prog.eligible_by == "hukou"
                       else {})
    out = []
    for c in cands:
        months, org_id, left_on, left_reason = residence_months(events.get(c["pk"], []), year,
                                                                 in_scope)
        org_id = org_id or c["registered_org_id"]
        code, name, _path = units.get(org_id, ("", "", ""))
        r = Result(person_id=c["pk"], name=c["name"], id_number=c["id_number"], sex=c["sex"],
                   birth_date=c["birth_date"], org_id=org_id, org_code=code, org_name=name,
                   left_on=left_on, left_reason=left_reason)
        if prog.rule == "child_under_age":
            r.payee = parents.get(c["mother_id"]) or parents.get(c["father_id"]) or ""
        _RULES[prog.rule](prog, year, as_of, c, children.get(c["pk"], []), deaths, months, r)
        if not months and not r.reason:
            r.reason = _("not a resident of the area in %(year)s") % {"year": year}
        r.amount, r.months = months_amount(prog, r.org_code, year, r.months, r.rate)
        if not r.months and not r.reason:
            r.reason = _("no programme version in force for the months concerned")
        r.eligible = r.composition_ok and bool(r.months)
        if c["pk"] in hukou_elsewhere:
            r.eligible, r.reason = False, _(
                "hukou elsewhere (%(place)s): this programme is paid at the hukou place"
            ) % {"place": hukou_elsewhere[c["pk"]]}
        if left_on is not None:
            r.facts["left_on"] = left_on.isoformat()
            r.facts["left_reason"] = left_reason
        out.append(r)
    return out


def _hukou_elsewhere(person_ids: list[int], year: int) -> dict[int, str]:
    """Person → hukou place, for those living here in ``year`` with their hukou elsewhere
    (an inflow spell of the migrant app overlapping the year)."""
    from renkou.migrants.services import hukou_elsewhere

    found: dict[int, str] = {}
    for chunk in _chunks(person_ids):
        found.update(hukou_elsewhere(chunk, dt.date(year, 1, 1), dt.date(year, 12, 31)))
    return found


def _recorded(kids: list[dict], as_of: dt.date) -> list[dict]:
    return [k for k in kids if k["birth_date"] <= as_of]


def _rural_reward(prog, year, as_of, c, kids, deaths, months, r: Result) -> None:
    min_age = _criteria(prog, "min_age", 60, r.org_code, as_of)
    age = year - c["birth_date"].year
    kids = _recorded(kids, as_of)
    dead = [k for k in kids if k["pk"] in deaths and deaths[k["pk"]] <= as_of]
    daughters = [k for k in kids if k["sex"] == "F"]
    r.facts = {"age_in_year": age, "hukou_type": c["hukou_type"], "children": len(kids),
               "daughters": len(daughters), "children_died": len(dead)}
    if c["hukou_type"] != "rural":
        r.reason = _("not a rural hukou")
    elif age < min_age:
        r.reason = _("aged %(age)s in %(year)s, under %(min)s") % {
            "age": age, "year": year, "min": min_age}
    elif not kids:
        r.reason = _("no child recorded in the register")
    elif len(kids) == 1:
        r.facts["basis"] = "one_child"
    elif len(kids) == 2 and len(daughters) == 2:
        r.facts["basis"] = "two_daughters"
    elif len(dead) == len(kids):
        r.facts["basis"] = "all_children_died"
    else:
        r.reason = _("%(n)s recorded children (%(d)s daughters, %(x)s died)") % {
            "n": len(kids), "d": len(daughters), "x": len(dead)}
    r.composition_ok = not r.reason
    r.base_months = list(months) if age >= min_age else []
    r.months = r.base_months if r.composition_ok else []


def _special_assistance(prog, year, as_of, c, kids, deaths, months, r: Result) -> None:
    kids = _recorded(kids, as_of)
    mother_birth = c["birth_date"] if c["sex"] == "F" else (
        kids[0]["mother__birth_date"] if len(kids) == 1 and kids[0]["mother__birth_date"]
        else c["birth_date"])
    min_age = _criteria(prog, "mother_min_age", 49, r.org_code, as_of)
    mother_age = year - mother_birth.year
    r.facts = {"children": len(kids), "mother_age_in_year": mother_age}
    r.rate = "death"
    r.base_months = list(months) if mother_age >= min_age else []
    if mother_age < min_age:
        r.reason = _("the mother is aged %(age)s in %(year)s, under %(min)s") % {
            "age": mother_age, "year": year, "min": min_age}
    elif len(kids) != 1:
        r.reason = _("%(n)s recorded children, not one") % {"n": len(kids)}
    else:
        died = deaths.get(kids[0]["pk"])
        if died is None or died > as_of:
            r.reason = _("the only child is alive")
        else:
            r.facts["child_died_on"] = died.isoformat()
            r.facts["basis"] = "only_child_died"
            start = 1 if died.year < year else died.month + 1
            r.months = [m for m in r.base_months if m >= start] if died.year <= year else []
            if not r.months and not r.reason:
                r.reason = _("due from the month after the child's death")
    r.composition_ok = not r.reason


def _only_child(prog, year, as_of, c, kids, deaths, months, r: Result) -> None:
    kids = _recorded(kids, as_of)
    max_age = _criteria(prog, "max_child_age", 18, r.org_code, as_of)
    r.facts = {"children": len(kids)}
    r.base_months = list(months)
    if len(kids) != 1:
        r.reason = _("%(n)s recorded children, not one") % {"n": len(kids)}
        r.composition_ok = False
        return
    kid = kids[0]
    limit = _add_years(kid["birth_date"], max_age)
    died = deaths.get(kid["pk"])
    r.facts.update({"child_person_id": kid["pk"], "child_birth_date": kid["birth_date"].isoformat()})
    r.months = []
    for m in months:
        first, last = _month_bounds(year, m)
        if kid["birth_date"] <= last and limit > first and (died is None or died >= first):
            r.months.append(m)
    if not r.months:
        r.reason = _("the child is not under %(age)s and alive in %(year)s") % {
            "age": max_age, "year": year}
    r.composition_ok = not r.reason


def _child_under_age(prog, year, as_of, c, kids, deaths, months, r: Result) -> None:
    max_age = _criteria(prog, "max_age", 3, r.org_code, as_of)
    limit = _add_years(c["birth_date"], max_age)
    r.facts = {"birth_date": c["birth_date"].isoformat()}
    r.months = []
    for m in months:
        first, last = _month_bounds(year, m)
        if c["birth_date"] <= last and limit > first:
            r.months.append(m)
    r.base_months = list(r.months)
    r.facts["months_under_age"] = len(r.months)
    if not r.months:
        r.reason = _("not under %(age)s in %(year)s") % {"age": max_age, "year": year}
    r.composition_ok = not r.reason


_RULES = {
    "rural_reward": _rural_reward,
    "special_assistance": _special_assistance,
    "only_child": _only_child,
    "child_under_age": _child_under_age,
}
