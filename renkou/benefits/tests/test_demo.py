"""The demo preparation on a small generated county: idempotent, every early state present."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from renkou.benefits.demo import prepare_demo
from renkou.benefits.models import Application, Roster


@pytest.mark.django_db(transaction=True)
def test_prepare_demo_is_idempotent(tmp_path):
    call_command("generate", persons=3000, seed=1, truth=str(tmp_path / "t.csv"),
                 stdout=io.StringIO())
    out = io.StringIO()
    prepare_demo(out)
    assert "rural-reward" in out.getvalue()
    states = set(Application.objects.values_list("state", flat=True))
    assert {"submitted", "village_passed", "township_passed", "on_notice", "approved"} <= states
    assert Roster.objects.exists()
    n = Application.objects.count()
    prepare_demo(out)
    assert Application.objects.count() == n
