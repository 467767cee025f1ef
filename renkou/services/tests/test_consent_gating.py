"""Consent first: no encounter without an active service consent, withdrawal at any time,
follow-ups only under follow-up consent (issue: voluntary health services)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from renkou.core.models import AuditEntry
from renkou.services import services
from renkou.services.models import Consent, ConsentMethod, Encounter, FollowUp, FollowUpState, Purpose

from .conftest import TODAY, consent, pre_pregnancy_check


def test_no_encounter_without_an_active_service_consent(stations):
    woman, town = stations.register.mother, stations.register.town
    with pytest.raises(ValidationError) as refused:
        pre_pregnancy_check(woman, stations.health, town)
    assert "consent" in refused.value.message_dict
    assert not Encounter.objects.exists()
    # a consent for another service does not cover this one
    consent(woman, stations.health, town, service_code="PREMARITAL")
    with pytest.raises(ValidationError):
        pre_pregnancy_check(woman, stations.health, town)
    given = consent(woman, stations.health, town)
    encounter = pre_pregnancy_check(woman, stations.health, town)
    assert encounter.consent == given and encounter.at_risk is True
    assert AuditEntry.objects.filter(object_type="service_encounter", object_id=str(encounter.pk)).exists()


def test_an_expired_or_withdrawn_consent_does_not_cover(stations, clock):
    woman, town = stations.register.mother, stations.register.town
    expired = consent(woman, stations.health, town, given_on=TODAY - dt.timedelta(days=400),
                      expires_on=TODAY - dt.timedelta(days=35))
    assert expired.status(TODAY) == "expired"
    with pytest.raises(ValidationError):
        pre_pregnancy_check(woman, stations.health, town)
    given = consent(woman, stations.health, town)
    services.withdraw_consent(given, user=stations.health, note="本人不再需要")
    with pytest.raises(ValidationError) as refused:
        pre_pregnancy_check(woman, stations.health, town)
    assert "consent" in refused.value.message_dict
    assert Consent.objects.filter(person=woman).count() == 2  # the history is kept
    with pytest.raises(ValidationError):
        services.withdraw_consent(given, user=stations.health)


def test_a_verbal_consent_needs_a_witness(stations):
    woman, town = stations.register.mother, stations.register.town
    with pytest.raises(ValidationError) as refused:
        consent(woman, stations.health, town, method=ConsentMethod.VERBAL)
    assert "witness" in refused.value.message_dict
    given = consent(woman, stations.health, town, method=ConsentMethod.VERBAL, witness="王护士")
    assert given.information_version.startswith("孕前优生")


def test_follow_ups_need_follow_up_consent_and_withdrawal_takes_the_person_off_every_list(stations):
    woman, town = stations.register.mother, stations.register.town
    consent(woman, stations.health, town)
    with pytest.raises(ValidationError) as refused:
        pre_pregnancy_check(woman, stations.health, town, follow_ups=["pregnancy_outcome"])
    assert "follow_ups" in refused.value.message_dict
    follow = consent(woman, stations.health, town, purpose=Purpose.FOLLOW_UP)
    pre_pregnancy_check(woman, stations.health, town, follow_ups=["pregnancy_outcome", "risk_review"])
    assert services.follow_up_list(stations.health).count() == 2
    assert services.follow_up_list(stations.county_health).count() == 2  # the unit above
    assert services.follow_up_list(stations.street_health).count() == 0  # another subtree
    services.withdraw_consent(follow, user=stations.health)
    assert services.follow_up_list(stations.health).count() == 0
    assert services.follow_up_list(stations.county_health).count() == 0
    assert set(FollowUp.objects.values_list("state", flat=True)) == {FollowUpState.CANCELLED}


def test_a_unit_outside_the_health_workers_subtree_is_refused(stations):
    woman = stations.register.mother
    with pytest.raises(ValidationError) as refused:
        consent(woman, stations.health, stations.register.street)
    assert "org" in refused.value.message_dict


def test_unknown_and_out_of_scope_items_are_refused(stations):
    woman, town = stations.register.mother, stations.register.town
    consent(woman, stations.health, town)
    with pytest.raises(ValidationError) as refused:
        pre_pregnancy_check(woman, stations.health, town,
                            values={"pregnancy_status": "yes", "blood_sugar": "5.1"})
    errors = refused.value.message_dict
    assert "DESIGN.md" in errors["values.pregnancy_status"][0]
    assert "values.blood_sugar" in errors
    with pytest.raises(ValidationError) as refused:
        pre_pregnancy_check(woman, stations.health, town, values={"risk_assessment": "medium"})
    assert "values.risk_assessment" in refused.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_and_an_encounter_at_once_cannot_both_pass(clock):
    """Lock, then check, then write: the encounter locks the consent it rests on."""
    from renkou.accounts.roles import Role
    from renkou.testing.factories import build_small_register, make_user

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers itself; the race needs row locks (PostgreSQL)")
    clock.move_to(TODAY)
    register = build_small_register()
    health = make_user("t_race_health", Role.HEALTH_WORKER, register.town)
    given = consent(register.mother, health, register.town)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def encounter():
        barrier.wait()
        try:
            pre_pregnancy_check(register.mother, health, register.town)
            outcomes.append("encounter")
        except ValidationError:
            outcomes.append("refused")
        finally:
            close_old_connections()

    def withdraw():
        barrier.wait()
        services.withdraw_consent(Consent.objects.get(pk=given.pk), user=health)
        outcomes.append("withdrawn")
        close_old_connections()

    threads = [threading.Thread(target=encounter), threading.Thread(target=withdraw)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    given.refresh_from_db()
    encounters = Encounter.objects.filter(consent=given)
    # either the encounter came first (under a consent active when it was saved) or it was refused
    assert given.withdrawn_on is not None
    if encounters.exists():
        assert outcomes.index("encounter") < outcomes.index("withdrawn")
    else:
        assert "refused" in outcomes
