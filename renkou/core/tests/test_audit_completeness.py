"""Audit completeness (issue 12, item 9): the administration commands that can read or
change every record log each use, and so does reading one person's ledger through the
API."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command, get_commands

from renkou.accounts.models import User
from renkou.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

AUDITED = ("createsuperuser", "changepassword", "dumpdata", "loaddata", "dbshell", "shell",
           "axes_reset", "axes_reset_ip", "axes_reset_username", "axes_reset_ip_username",
           "axes_reset_failure_logs", "axes_reset_logs")


def test_every_powerful_command_is_renkous_logged_version():
    commands = get_commands()
    assert {name: commands[name] for name in AUDITED} == dict.fromkeys(AUDITED, "renkou.core")


def test_dumpdata_createsuperuser_and_a_throttle_reset_are_logged(small_register):
    call_command("dumpdata", "orgunits", stdout=StringIO())
    call_command("createsuperuser", "--noinput", "--username", "root2", "--email", "r@x.cn",
                 stdout=StringIO())
    call_command("axes_reset_username", "clerk", stdout=StringIO())
    entries = AuditEntry.objects.filter(object_type="command").order_by("pk")
    assert [(e.action, e.object_id, e.channel) for e in entries] == [
        (AuditAction.EXPORT, "dumpdata", "cli"), (AuditAction.USER, "createsuperuser", "cli"),
        (AuditAction.USER, "axes_reset_username", "cli")]
    assert entries[0].details["arguments"] == ["orgunits"]
    assert entries[1].details["options"]["username"] == "root2"
    assert entries[2].details["options"]["username"] == ["clerk"]
    assert User.objects.filter(username="root2", is_superuser=True).exists()


def test_reading_one_persons_ledger_through_the_api_is_a_logged_view(small_register, role_users):
    from renkou.accounts.roles import Role
    from renkou.accounts.services import issue_token

    clerk = role_users[Role.VILLAGE_CLERK]
    token = issue_token(clerk)
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    zxm, outside = small_register.zxm, small_register.wang
    assert api.get("/api/events", {"person_id": zxm.pk}).status_code == 200
    assert api.get("/api/events", {"person_id": outside.pk}).json()["count"] == 0
    views = AuditEntry.objects.filter(action=AuditAction.VIEW)
    assert [(e.object_type, e.object_id, e.details) for e in views] == [
        ("person", str(zxm.pk), {"part": "events"})]
