"""The demo preparation on a small generated county: idempotent, every early state present."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import translation

from renkou.benefits.demo import prepare_demo
from renkou.benefits.models import Application, Roster


@pytest.mark.date_sensitive
@pytest.mark.django_db(transaction=True)
def test_prepare_demo_is_idempotent(tmp_path):
    call_command("generate", persons=3000, seed=1, truth=str(tmp_path / "t.csv"),
                 stdout=io.StringIO())
    out = io.StringIO()
    with translation.override("zh-hans"):
        prepare_demo(out)
    assert "农村部分计划生育家庭奖励扶助" in out.getvalue()  # the programme, in Chinese
    states = set(Application.objects.values_list("state", flat=True))
    assert {"submitted", "village_passed", "township_passed", "on_notice", "approved"} <= states
    assert Roster.objects.exists()
    n = Application.objects.count()
    prepare_demo(out)
    assert Application.objects.count() == n
