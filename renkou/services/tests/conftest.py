"""Fixtures of the service-record tests: the small register with a health worker at each
station, and one of each other role."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from renkou.accounts.roles import Role
from renkou.services import services
from renkou.services.models import ConsentMethod, Purpose
from renkou.testing.factories import build_small_register, make_user, users_per_role

#: The day the service tests run on (the ``stations`` fixture moves the clock there).
TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def stations(db, clock):
    """The small register (和平镇 with 东村; 城关街道 with 南门社区), a health worker at
    和平镇's station (``health``), one at 城关街道's (``street_health``), one at the county
    (``county_health``), and one user of every other role (``roles``)."""
    clock.move_to(TODAY)
    register = build_small_register()
    return SimpleNamespace(
        register=register,
        health=make_user("t_health_town", Role.HEALTH_WORKER, register.town),
        street_health=make_user("t_health_street", Role.HEALTH_WORKER, register.street),
        county_health=make_user("t_health_county", Role.HEALTH_WORKER, register.county),
        roles=users_per_role(register),
    )


def consent(person, health, org, purpose=Purpose.SERVICE, service_code="PRE_PREGNANCY", **kw):
    """A consent given today (or on ``given_on``) on a signed paper form."""
    kw.setdefault("given_on", TODAY)
    kw.setdefault("method", ConsentMethod.PAPER)
    return services.give_consent(person, purpose=purpose, service_code=service_code, org=org,
                                 user=health, **kw)


def pre_pregnancy_check(person, health, org, **kw):
    """A pre-pregnancy check today with a risk assessment."""
    kw.setdefault("values", {"counselling": True, "risk_assessment": "high",
                             "advice": "补充叶酸"})
    kw.setdefault("date", TODAY)
    return services.record_encounter(person, service_code="PRE_PREGNANCY", org=org,
                                     provider="刘医生", user=health, **kw)
