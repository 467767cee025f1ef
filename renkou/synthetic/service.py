"""``generate_county``: build a synthetic county and write it to the database."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.apps import apps
from django.db import connection, transaction

from renkou.accounts.models import User
from renkou.core import append_only, audit, clock
from renkou.core.models import AuditAction
from renkou.register.models import Household, LifeEvent, Person

from .county import COUNTY_CODE, COUNTY_NAME, check_county_code, seed_for
from .defects import inject_defects, write_truth
from .identities import assign_id_numbers, full_names
from .migrants import generate_migrants
from .population import EV, generate_population
from .writer import recorded_times, write_county


class RegisterNotEmpty(Exception):
    """The database already holds a register; generation would mix two counties."""


@dataclass
class GenerationReport:
    persons: int
    households: int
    events: int
    orgunits: int
    defects: int
    seconds: dict[str, float] = field(default_factory=dict)
    #: migrant spells: residents living elsewhere, and people enrolled from elsewhere
    outflow: int = 0
    inflow: int = 0
    code: str = COUNTY_CODE
    name: str = COUNTY_NAME


#: Shares of the ethnic groups (GB 3304 codes): 汉 01, 回 03, 满 11, 壮 08, 苗 06.
ETHNICITY = (("01", 0.975), ("03", 0.015), ("11", 0.004), ("08", 0.003), ("06", 0.003))


def register_is_empty() -> bool:
    return not Person.objects.exists() and not Household.objects.exists()


#: Apps whose every row hangs on the register (findings, candidate pairs, surveys, benefit
#: applications and office settings by unit, migrant spells and exchange messages, with
#: the exchange's keys and peers: a new county is a new office; service consents,
#: requests, encounters and follow-ups): a replaced register takes them along.
REGISTER_DEPENDENT_APPS = ("quality", "dedupe", "reconciliation", "benefits", "migrants",
                           "services")


def clear_register() -> None:
    """Delete the whole register and everything built on it (used by ``generate
    --replace``; not by any page). Users and the access log stay; users lose their
    org unit (:func:`generate_county` binds them again to the unit of the same code).

    On PostgreSQL the register's tables are truncated *without* ``CASCADE``: a cascade
    would follow the users' org-unit key to the users and from them to the access log
    and empty both. A table outside the register that still pointed into it makes the
    truncate fail, loudly, instead."""
    dependent = [model._meta.db_table for label in REGISTER_DEPENDENT_APPS
                 for model in apps.get_app_config(label).get_models(include_auto_created=True)]
    tables = [*dependent, "register_lifeevent", "register_person", "register_household"]
    # one transaction: SQLite checks its (deferred) foreign keys at the commit, so the
    # order of the deletes does not matter
    with transaction.atomic(), append_only.maintenance(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET org_id = NULL")
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        else:
            cursor.execute("UPDATE register_household SET head_id = NULL")
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
        cursor.execute("DELETE FROM orgunits_orgunit")
        if connection.vendor == "postgresql":
            # run the deferred key checks of that delete now: the bulk load that follows
            # alters these tables, which PostgreSQL refuses while checks are pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _bind_users_again(units_of_users: dict[int, str]) -> None:
    """Give each user back the unit of the code it had, where the new county has one."""
    from renkou.orgunits.models import OrgUnit

    by_code = dict(OrgUnit.objects.filter(code__in=set(units_of_users.values()))
                   .values_list("code", "pk"))
    for user_pk, code in units_of_users.items():
        if code in by_code:
            User.objects.filter(pk=user_pk).update(org_id=by_code[code])


def _ethnicity(rng: np.random.Generator, k: int) -> np.ndarray:
    codes = np.array([c for c, _ in ETHNICITY])
    return codes[np.searchsorted(np.cumsum([w for _, w in ETHNICITY]),
                                 rng.random(k) * sum(w for _, w in ETHNICITY))]


def generate_county(
    persons: int = 200_000,
    seed: int = 1,
    *,
    end: dt.date | None = None,
    defects: float = 0.0,
    truth_path: Path | None = None,
    replace: bool = False,
    progress: Callable[[str, int], None] | None = None,
    code: str = COUNTY_CODE,
    name: str = COUNTY_NAME,
) -> GenerationReport:
    """Fill the database with a synthetic county of about ``persons`` people.

    With ``defects`` > 0, that share of people carries an injected defect and the
    ground truth is written to ``truth_path``. ``code`` is the county's six-digit
    division code (:func:`~renkou.synthetic.county.check_county_code`) and ``name`` its
    name; the org codes and the ID numbers of the people born there derive from it. The
    county's migrants (:mod:`renkou.synthetic.migrants`) come on top of ``persons``: the
    inflow migrants are enrolled after everyone else, so the rest of the county is the
    same with or without them.
    """
    check_county_code(code)
    if not replace and not register_is_empty():
        raise RegisterNotEmpty()  # before minutes of simulation
    end = end or clock.today()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    pop = generate_population(persons, seed, end, code=code, name=name)
    rng = np.random.default_rng(seed_for(seed, code, 1))
    id_numbers = assign_id_numbers(rng, pop)
    names = full_names(pop)
    genuine = pop.n_persons
    truth = None
    if defects > 0:
        truth = inject_defects(np.random.default_rng(seed_for(seed, code, 2)), pop, defects,
                               id_numbers, names)
        id_numbers, names = truth.id_numbers, truth.names
    ethnicity = _ethnicity(rng, pop.n_persons)
    now = clock.now()
    stamps = recorded_times(rng, pop.events["day"], pop.events["type"], now)
    # the migrants, from a stream of their own: the county above stays as it is
    migrant_rng = np.random.default_rng(seed_for(seed, code, 3))
    migrants = generate_migrants(migrant_rng, pop, id_numbers=id_numbers, names=names,
                                 genuine=genuine)
    id_numbers, names = migrants.id_numbers, migrants.names
    ethnicity = np.concatenate([ethnicity, _ethnicity(migrant_rng, pop.n_persons - len(ethnicity))])
    added = slice(migrants.first_event, None)
    stamps = np.concatenate([stamps, recorded_times(migrant_rng, pop.events["day"][added],
                                                    pop.events["type"][added], now)])
    spells = migrants.spells
    spell_stamps = recorded_times(migrant_rng, spells.start, np.full(len(spells), EV["move_out"]),
                                  now)
    timings["simulate"] = time.perf_counter() - t
    t = time.perf_counter()
    # One transaction: the old register is emptied and the new one written together, with
    # the log entry, so a crash or a kill leaves the database as before or as after.
    with transaction.atomic():
        replaced = not register_is_empty()
        units_of_users = dict(User.objects.exclude(org=None).values_list("pk", "org__code"))
        if replaced:
            if not replace:
                raise RegisterNotEmpty()
            clear_register()
        counts = write_county(pop, id_numbers=id_numbers, names=names, ethnicity=ethnicity,
                              recorded_at=stamps, progress=progress, spells=spells,
                              spells_recorded_at=spell_stamps,
                              first_added_event=migrants.first_event)
        _bind_users_again(units_of_users)
        details = {"operation": "generate", "replaced": replaced, "seed": seed,
                   "persons": counts["persons"], "events": counts["events"]}
        if code != COUNTY_CODE:
            details |= {"county": code, "name": name}
        audit.record(AuditAction.IMPORT, "register", details=details)
    timings["write"] = time.perf_counter() - t
    if truth is not None and truth_path is not None:
        write_truth(truth, truth_path)
    return GenerationReport(persons=counts["persons"], households=counts["households"],
                            events=counts["events"], orgunits=counts["orgunits"],
                            defects=len(truth.rows) if truth else 0, seconds=timings,
                            outflow=migrants.counts["outflow"], inflow=migrants.counts["inflow"],
                            code=code, name=name)


__all__ = ["generate_county", "GenerationReport", "RegisterNotEmpty", "register_is_empty",
           "clear_register", "LifeEvent"]
