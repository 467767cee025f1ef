"""The demo's service records on a small generated county: a year of every station's work
recorded through the services (every rule holds of it, the same seed gives the same
records), and the people the issue's walk needs at the demo health worker's station."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import translation

from renkou.accounts.models import User
from renkou.accounts.roles import Role
from renkou.core import clock
from renkou.core.dashboard import DashboardRequest
from renkou.core.models import AuditEntry
from renkou.core.services import visible_audit_entries
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.services import demo, services
from renkou.services.catalogue import services as catalogue
from renkou.services.dashboard import break_glass_panel, health_panel
from renkou.services.models import (
    Consent,
    ConsentMethod,
    Encounter,
    FollowUp,
    FollowUpState,
    Purpose,
    RequestState,
    ServiceRequest,
    active_q,
)
from renkou.services.synthetic import generate_service_records
from renkou.synthetic.service import generate_county

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


@pytest.fixture
def county():
    report = generate_county(1_000, seed=2)
    assert report.inflow > 10
    return report


@pytest.fixture
def stations(county):
    from renkou.accounts.services import ensure_demo_users

    ensure_demo_users()
    health = User.objects.select_related("org").get(username="health")
    users = demo.station_users(health)
    return list(OrgUnit.objects.filter(pk__in=users).order_by("code")), users


class _Undone(Exception):
    pass


def _records(stations, seed: int) -> tuple[dict, list]:
    """The counts and rows a generation writes, then rolled back."""
    units, users = stations
    try:
        with transaction.atomic():
            report = generate_service_records(seed=seed, stations=units, health_users=users,
                                              scale=3)
            rows = sorted(Encounter.objects.values_list("person_id", "service_code", "date",
                                                        "place_kind", "referred"))
            counts = {"report": (report.requests, report.consents, report.encounters,
                                 report.follow_ups, report.consents_withdrawn,
                                 report.follow_ups_due),
                      "consents": sorted(Consent.objects.values_list(
                          "person_id", "purpose", "given_on", "method", "expires_on",
                          "withdrawn_on")),
                      "follow_ups": sorted(FollowUp.objects.values_list("person_id", "kind",
                                                                         "due_on", "state"))}
            raise _Undone
    except _Undone:
        pass
    return counts, rows


def test_the_same_seed_gives_the_same_records(stations):
    first, rows = _records(stations, seed=5)
    again, rows_again = _records(stations, seed=5)
    assert first == again and rows == rows_again
    other, other_rows = _records(stations, seed=6)
    assert other_rows != rows
    assert not Encounter.objects.exists()  # rolled back each time


def test_every_record_keeps_the_rules_of_the_services(stations):
    units, users = stations
    today = clock.today()
    # ten times the demo's volume: a small county with enough of everything to check
    report = generate_service_records(seed=3, stations=units, health_users=users, scale=10)
    assert clock.today() == today  # the clock reads the real day again
    assert 60 < report.encounters < 400 and report.consents > report.encounters
    # every encounter rests on the person's service consent for it, active on its day
    for e in Encounter.objects.select_related("consent"):
        c = e.consent
        assert (c.person_id, c.purpose, c.service_code) == (e.person_id, Purpose.SERVICE,
                                                            e.service_code)
        assert c.is_active(e.date) and c.given_on <= e.date <= today, e.pk
    # a follow-up exists only under a follow-up consent active on the day it was arranged
    for f in FollowUp.objects.select_related("encounter"):
        assert Consent.objects.filter(person=f.person_id).covering(
            Purpose.FOLLOW_UP, f.service_code).filter(active_q(f.encounter.date)).exists(), f.pk
        assert f.state == FollowUpState.DUE or f.closed_on <= today
    # a withdrawn follow-up consent leaves no follow-up due: they were cancelled
    withdrawn = Consent.objects.filter(purpose=Purpose.FOLLOW_UP).exclude(withdrawn_on=None)
    assert withdrawn.exists()
    assert not FollowUp.objects.filter(person__in=withdrawn.values("person"),
                                       state=FollowUpState.DUE).exists()
    assert FollowUp.objects.filter(state=FollowUpState.CANCELLED).exists()
    assert FollowUp.objects.filter(state=FollowUpState.DONE).exists()
    # what the demo's pages need to show
    assert set(Encounter.objects.values_list("service_code", flat=True)) == set(catalogue())
    assert {RequestState.OPEN, RequestState.WITHDRAWN, RequestState.SERVED} <= set(
        ServiceRequest.objects.values_list("state", flat=True))
    assert set(Consent.objects.values_list("method", flat=True)) == set(ConsentMethod.values)
    assert all(c.witness for c in Consent.objects.filter(method=ConsentMethod.VERBAL))
    assert {Purpose.SERVICE, Purpose.FOLLOW_UP, Purpose.STATISTICS} <= set(
        Consent.objects.values_list("purpose", flat=True))
    assert Consent.objects.filter(withdrawn_on=None, expires_on__lt=today).exists()  # expired
    assert report.consents_expired > 0 and report.consents_withdrawn > 0
    assert Encounter.objects.filter(migrant_at_residence=True).exists()
    pre = Encounter.objects.filter(service_code="PRE_PREGNANCY").select_related("person")
    assert all(20 <= (e.date - e.person.birth_date).days // 365 <= 45
               and e.person.marital_status == "married" for e in pre)
    screened = Encounter.objects.filter(service_code="SCREENING").select_related("person")
    assert all(e.person.sex == "F" and 35 <= (e.date - e.person.birth_date).days // 365 <= 64
               for e in screened)
    children = Encounter.objects.filter(service_code="CHILD_HEALTH").select_related("person")
    assert all(0 <= (e.date - e.person.birth_date).days < 7 * 366 for e in children)
    # recorded by the health worker of the station, in its units
    for e in Encounter.objects.select_related("org", "recorded_by__org")[:200]:
        assert e.org.path.startswith(e.recorded_by.org.path)


def test_it_refuses_a_later_day_and_a_station_without_its_health_worker(stations):
    units, users = stations
    with pytest.raises(ValueError, match="today"):
        generate_service_records(seed=1, stations=units, health_users=users,
                                 today=clock.today() + dt.timedelta(days=1))
    with pytest.raises(ValueError, match=units[0].code):
        generate_service_records(seed=1, stations=units, health_users={})
    assert not Encounter.objects.exists()


@pytest.fixture
def prepared(county):
    out = io.StringIO()
    with translation.override("zh-hans"):
        demo.prepare_demo(out)
    return out.getvalue()


def test_the_demo_leaves_what_the_walk_needs(prepared):
    health = User.objects.select_related("org").get(username="health")
    clerk = User.objects.select_related("org").get(username="clerk")
    today = clock.today()
    # a health worker at every township station
    townships = OrgUnit.objects.filter(level=OrgLevel.TOWNSHIP)
    assert {u.org_id for u in User.objects.filter(role=Role.HEALTH_WORKER)} == set(
        townships.values_list("pk", flat=True))
    # on health's follow-up list: a woman of the clerk's village checked before a
    # pregnancy, with her service and follow-up consents active and a review due soon
    listed = services.follow_up_list(health).filter(due_on__lte=today + dt.timedelta(days=13),
                                                    due_on__gte=today, service_code="PRE_PREGNANCY")
    woman = next(f.person for f in listed if f.person.registered_org_id == clerk.org_id)
    assert woman.sex == "F" and woman.marital_status == "married"
    for purpose in (Purpose.SERVICE, Purpose.FOLLOW_UP):
        assert services.active_consent(woman, purpose, "PRE_PREGNANCY") is not None
    assert Encounter.objects.filter(person=woman, service_code="PRE_PREGNANCY",
                                    org=health.org).exists()
    assert services.services_received(woman)  # what the clerk is shown
    # someone whose follow-up consent was withdrawn: her follow-up cancelled, on no list
    withdrew = (Consent.objects.filter(purpose=Purpose.FOLLOW_UP, org=health.org)
                .exclude(withdrawn_on=None).select_related("person").first())
    assert withdrew is not None and withdrew.withdrawn_on <= today
    assert not services.follow_up_list(health).filter(person=withdrew.person).exists()
    assert FollowUp.objects.filter(person=withdrew.person, state=FollowUpState.CANCELLED).exists()
    # one break-the-glass read, by the health worker of another township, for the auditor
    glass = AuditEntry.objects.get(details__access=services.BREAK_GLASS)
    assert glass.user.role == Role.HEALTH_WORKER and glass.user.org_id != health.org_id
    assert glass.object_type == "service_record" and glass.details["reason"]
    auditor = User.objects.get(username="auditor")
    assert visible_audit_entries(auditor).filter(pk=glass.pk).exists()
    panel, = break_glass_panel(DashboardRequest(auditor))
    assert panel.figures[0].value == "1" and "access=break_glass" in panel.figures[0].url
    assert health_panel(DashboardRequest(health))[0].work  # follow-ups, requests waiting
    # the walk: she withdraws her follow-up consent and leaves the list at once
    services.withdraw_consent(services.active_consent(woman, Purpose.FOLLOW_UP, "PRE_PREGNANCY"),
                              user=health)
    assert not services.follow_up_list(health).filter(person=woman).exists()
    # the summary line
    assert f"{Encounter.objects.count()}" in prepared and "\n" not in prepared.strip()


def test_preparing_again_changes_nothing(prepared):
    counts = (Consent.objects.count(), Encounter.objects.count(), AuditEntry.objects.count())
    demo.prepare_demo(io.StringIO())
    assert (Consent.objects.count(), Encounter.objects.count()) == counts[:2]
    assert AuditEntry.objects.count() == counts[2]
