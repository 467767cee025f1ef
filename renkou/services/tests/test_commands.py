"""``renkou services …`` (issue 16, item 6): the FHIR export as a health worker (a file
that validates, logged), refused to anyone else in a clear sentence; the catalogue and an
office's catalogue file checked; the follow-ups due."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from fhir.resources.bundle import Bundle

from renkou.accounts.roles import Role
from renkou.core.models import AuditEntry
from renkou.services.identify import find_persons_to_serve
from renkou.services.models import Purpose

from .conftest import consent, pre_pregnancy_check


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("services", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def served(stations):
    woman, town, health = stations.register.mother, stations.register.town, stations.health
    consent(woman, health, town)
    consent(woman, health, town, purpose=Purpose.FOLLOW_UP)
    return pre_pregnancy_check(woman, health, town, follow_ups=["risk_review"])


def test_the_export_writes_a_bundle_that_validates_and_is_logged(stations, served, tmp_path):
    woman = stations.register.mother
    out = tmp_path / "record.json"
    said = _run("export", "--person", str(woman.pk), "--format", "fhir", "--out", str(out),
                "--user", stations.health.username)
    assert str(out) in said
    bundle = json.loads(out.read_text(encoding="utf-8"))
    parsed = Bundle.model_validate(bundle)
    kinds = {e.resource.get_resource_type() for e in parsed.entry}
    assert kinds == {"Patient", "Encounter", "Observation", "Consent"}
    export = AuditEntry.objects.get(action="export", object_type="service_record",
                                    object_id=str(woman.pk))
    assert export.details["format"] == "fhir"
    assert (export.username, export.channel) == (stations.health.username, "cli")


def test_the_export_with_a_reason_opens_another_units_record_and_logs_it(stations, served,
                                                                         tmp_path):
    woman = stations.register.mother
    out = tmp_path / "record.json"
    with pytest.raises(CommandError):  # not of 城关街道's units, not looked up
        _run("export", "--person", str(woman.pk), "--out", str(out),
             "--user", stations.street_health.username)
    find_persons_to_serve(stations.street_health, woman.id_number)  # she stands at the station
    _run("export", "--person", str(woman.pk), "--out", str(out),
         "--user", stations.street_health.username)
    assert '"Encounter"' not in out.read_text(encoding="utf-8")
    _run("export", "--person", str(woman.pk), "--out", str(out), "--reason", "本人在南门社区就诊",
         "--user", stations.street_health.username)
    assert '"Encounter"' in out.read_text(encoding="utf-8")
    read = AuditEntry.objects.filter(action="view", object_type="service_record",
                                     username=stations.street_health.username).latest("id")
    assert read.details["access"] == "break_glass"


@pytest.mark.parametrize("role", [Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.AUDITOR])
def test_the_export_refuses_anyone_but_a_health_worker(stations, served, tmp_path, role):
    user = stations.roles[role]
    out = tmp_path / "record.json"
    with pytest.raises(CommandError) as refused:
        _run("export", "--person", str(stations.register.mother.pk), "--out", str(out),
             "--user", user.username, "--lang", "zh-hans")
    assert refused.value.returncode == 1
    assert user.username in str(refused.value)
    assert not out.exists()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_export_says_what_is_missing(stations, served, tmp_path):
    with pytest.raises(CommandError) as refused:
        _run("export", "--person", str(stations.register.mother.pk), "--lang", "en")
    assert "--user" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        _run("export", "--person", "999999", "--user", stations.health.username, "--lang", "en")
    assert "999999" in str(refused.value)
    find_persons_to_serve(stations.street_health, stations.register.mother.id_number)
    with pytest.raises(CommandError) as refused:
        _run("export", "--person", str(stations.register.mother.pk), "--reason", "急",
             "--user", stations.street_health.username, "--lang", "en")
    assert str(refused.value).startswith("reason:")


def test_the_catalogue_is_listed_and_an_office_file_is_checked(stations, tmp_path):
    listed = _run("catalogue")
    assert "PRE_PREGNANCY" in listed and "risk_assessment" in listed
    good = tmp_path / "office.yaml"
    good.write_text(
        "services:\n"
        "  - code: NUTRITION\n"
        "    name_zh: 营养咨询\n"
        "    items:\n"
        "      - {code: advice, name_zh: 指导意见, kind: text}\n", encoding="utf-8")
    checked = _run("catalogue", "--file", str(good))
    assert "NUTRITION" in checked and "PRE_PREGNANCY" not in checked
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "services:\n"
        "  - code: WATCH\n"
        "    name_zh: 随访\n"
        "    items:\n"
        "      - {code: pregnancy_status, name_zh: 孕情, kind: text}\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        _run("catalogue", "--file", str(bad), "--lang", "en")
    message = str(refused.value)
    assert "WATCH" in message and "pregnancy_status" in message and "DESIGN.md" in message
    assert refused.value.returncode == 1
    with pytest.raises(CommandError):
        _run("catalogue", "--file", str(tmp_path / "missing.yaml"))


def test_the_follow_ups_due_are_listed_for_a_health_worker_only(stations, served):
    listed = _run("follow-ups", "--user", stations.health.username)
    assert "李秀英" in listed and "1" in listed.splitlines()[-1]
    assert AuditEntry.objects.filter(action="view", object_type="service_follow_up",
                                     username=stations.health.username).exists()
    assert "李秀英" not in _run("follow-ups", "--user", stations.street_health.username)
    with pytest.raises(CommandError):
        _run("follow-ups", "--user", stations.roles[Role.VILLAGE_CLERK].username)
