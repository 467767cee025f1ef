"""What the schema may never hold, and what a health worker may never see (DESIGN.md §1–2)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from renkou.accounts.permissions import has_capability
from renkou.accounts.roles import Role
from renkou.services.permissions import RECORD_SERVICES

#: Words no field name or label of any model may carry: the schema has no place for
#: contraceptive or pregnancy status, nor "policy compliance".
FORBIDDEN = ("contracepti", "pregnan", "compliance", "in_plan", "out_of_plan", "iud",
             "sterilis", "abortion", "policy")


def test_no_model_has_a_field_for_reproductive_status_or_compliance():
    offending = [f"{model._meta.label}.{f.name}"
                 for model in apps.get_models() for f in model._meta.get_fields()
                 if any(word in f.name.lower() for word in FORBIDDEN)]
    assert offending == []


def test_only_health_workers_record_services():
    for role in Role:
        class User:  # a stand-in with what has_capability reads
            is_authenticated = is_active = True
            is_superuser = False
        User.role = role.value
        assert has_capability(User(), RECORD_SERVICES) is (role == Role.HEALTH_WORKER)


@pytest.mark.parametrize("name", ["register:search", "register:export", "analytics:overview"])
def test_a_health_worker_sees_nothing_of_the_register(stations, client, name):
    client.force_login(stations.health)
    person = stations.register.mother
    assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("register:person", args=[person.pk])).status_code in (403, 404)
