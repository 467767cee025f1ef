"""``renkou user``, ``renkou token`` and ``renkou audit`` commands."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext

from renkou.accounts.models import ApiToken, Role, User
from renkou.core.models import AuditAction, AuditEntry

STRONG = "Hexie-renkou-2026"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _chinese():
    yield
    translation.activate("zh-hans")


def test_user_create(small_register):
    out = run("user", "create", "wangli", "--role", "village_clerk",
              "--org", small_register.village.code, "--password", STRONG)
    user = User.objects.get(username="wangli")
    assert (user.role, user.org, user.check_password(STRONG)) == (
        Role.VILLAGE_CLERK, small_register.village, True)
    assert user.password.startswith("argon2")
    assert "wangli" in out
    entry = AuditEntry.objects.get(action=AuditAction.USER)
    assert (entry.object_type, entry.object_id, entry.channel) == ("user", "wangli", "cli")
    assert STRONG not in str(entry.details)
    assert "wangli" in run("user", "list")


def test_weak_password_is_refused_in_chinese(small_register):
    with pytest.raises(CommandError) as refused:
        run("user", "create", "wangli", "--role", "village_clerk",
            "--org", small_register.village.code, "--password", "12345678")
    message = str(refused.value)
    with translation.override("zh-hans"):
        common, digits = gettext("the password is too common"), gettext("the password is only digits")
    assert common != "the password is too common"  # the catalogue has it in Chinese
    assert common in message and digits in message
    assert not User.objects.filter(username="wangli").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.USER).exists()


def test_weak_password_in_english(small_register):
    with pytest.raises(CommandError, match="too short"):
        run("user", "create", "wangli", "--role", "village_clerk",
            "--org", small_register.village.code, "--password", "Ab1", "--lang", "en")


def test_unknown_org_and_existing_user_are_refused(small_register):
    with pytest.raises(CommandError, match="999"):
        run("user", "create", "wangli", "--role", "village_clerk", "--org", "999",
            "--password", STRONG)
    run("user", "create", "wangli", "--role", "village_clerk",
        "--org", small_register.village.code, "--password", STRONG)
    with pytest.raises(CommandError, match="wangli"):
        run("user", "create", "wangli", "--role", "auditor",
            "--org", small_register.county.code, "--password", STRONG)
    assert User.objects.get(username="wangli").role == Role.VILLAGE_CLERK


def test_token_create_prints_the_token_last(client, small_register):
    run("user", "create", "zhen", "--role", "township_officer",
        "--org", small_register.town.code, "--password", STRONG)
    out = run("token", "create", "zhen", "--name", "报表脚本")
    key = out.split()[-1]
    token = ApiToken.objects.get(user__username="zhen")
    assert token.name == "报表脚本" and key.startswith(token.prefix)
    assert key not in token.key_hash
    response = client.get("/api/persons", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    entry = AuditEntry.objects.get(action=AuditAction.TOKEN)
    assert entry.object_id == "zhen"
    assert key not in str(entry.details) and key not in entry.object_id
    assert token.prefix in run("token", "list", "zhen")
    run("token", "revoke", "zhen")
    assert client.get("/api/persons", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_token_for_unknown_user(db):
    with pytest.raises(CommandError):
        run("token", "create", "nobody")


def test_audit_export(client, small_register, tmp_path):
    run("user", "create", "zhen", "--role", "township_officer",
        "--org", small_register.town.code, "--password", STRONG)
    key = run("token", "create", "zhen").split()[-1]
    zxm = small_register.zxm
    assert client.get(f"/api/persons/{zxm.pk}",
                      HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    out = tmp_path / "audit.csv"
    assert "rows" in run("audit", "export", "--out", str(out), "--lang", "en")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["time", "user", "role", "action", "object_type", "object_id",
                             "client_address", "channel", "details"]
    views = [r for r in rows if r["action"] == "view" and r["object_type"] == "person"]
    assert len(views) == 1
    assert (views[0]["object_id"], views[0]["user"], views[0]["role"], views[0]["channel"]) == (
        str(zxm.pk), "zhen", "township_officer", "api")
    assert views[0]["client_address"] == "127.0.0.1"
    assert {r["action"] for r in rows} >= {"create", "user", "token", "view"}
    # the export itself is logged, with its filter and row count
    logged = AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="audit").get()
    assert logged.details["rows"] == len(rows)


def test_audit_export_filters(client, small_register, tmp_path):
    run("user", "create", "zhen", "--role", "township_officer",
        "--org", small_register.town.code, "--password", STRONG)
    out = tmp_path / "audit.csv"
    run("audit", "export", "--out", str(out), "--action", "user", "--from", "2000-01-01")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["object_id"] for r in rows] == ["zhen"]
    run("audit", "export", "--out", str(out), "--to", "2000-01-01")
    with open(out, encoding="utf-8-sig", newline="") as f:
        assert list(csv.DictReader(f)) == []
    with pytest.raises(CommandError):
        run("audit", "export", "--out", str(out), "--from", "yesterday")
    logged = AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="audit").first()
    assert logged.details["filter"] == {"date_to": "2000-01-01"}


def _log_in(client, password: str) -> bool:
    client.post("/accounts/login/", {"username": "wangli", "password": password})
    return client.get("/").status_code == 200


def test_user_disable_enable_and_set_password(small_register, client):
    run("user", "create", "wangli", "--role", "village_clerk",
        "--org", small_register.village.code, "--password", STRONG)
    assert _log_in(client, STRONG)
    run("user", "disable", "wangli")
    assert not User.objects.get(username="wangli").is_active
    assert client.get("/").status_code == 302  # the open session ended
    assert not _log_in(client, STRONG)
    run("user", "enable", "wangli")
    assert _log_in(client, STRONG)
    run("user", "set-password", "wangli", "--password", "Tongji-2026-renkou")
    assert client.get("/").status_code == 302  # a new password ends the sessions
    assert _log_in(client, "Tongji-2026-renkou")
    with pytest.raises(CommandError) as caught:
        run("user", "set-password", "wangli", "--password", "12345678")
    assert caught.value.returncode == 1
    with pytest.raises(CommandError):
        run("user", "disable", "nobody")
    operations = list(AuditEntry.objects.filter(action=AuditAction.USER, object_id="wangli")
                      .order_by("pk").values_list("details__operation", flat=True))
    assert operations == ["create", "disable", "enable", "set_password"]
