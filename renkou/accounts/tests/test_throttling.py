"""Login throttling (django-axes): five wrong passwords lock the user name from that
address for 15 minutes, with a clear message, even for the right password; every
refused attempt is in the access log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from renkou.accounts.models import Role, User
from renkou.core.models import AuditAction, AuditEntry
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural

pytestmark = pytest.mark.django_db

PASSWORD = "renkou-test-pass-2024"
LOCKED = "登录失败次数过多，账户已锁定15分钟"


@pytest.fixture
def clerk():
    county = OrgUnit(code="110101000000", name="东城县", kind=OrgKind.COUNTY,
                     urban_rural=UrbanRural.URBAN)
    county.save()
    return User.objects.create_user(username="clerk", password=PASSWORD,
                                    role=Role.COUNTY_OFFICER, org=county)


def _log_in(client, password, username="clerk"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def _logged_in(client) -> bool:
    return client.get(reverse("register:home")).status_code == 200


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, clerk):
    for _ in range(4):
        response = _log_in(client, "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码错误" in response.content.decode()
    fifth = _log_in(client, "wrong-password")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()

    right = _log_in(client, PASSWORD)
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert not _logged_in(client)


def test_failures_and_the_lockout_are_in_the_access_log(client, clerk):
    for _ in range(5):
        _log_in(client, "wrong-password")
    _log_in(client, PASSWORD)
    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.filter(details__username="clerk").count() >= 6
    lockouts = failed.filter(details__locked_out=True)
    assert lockouts.count() == 2  # the fifth failure and the refused right password
    assert {e.client_address for e in lockouts} == {"127.0.0.1"}
    assert not AuditEntry.objects.filter(action=AuditAction.LOGIN).exists()


def test_a_success_before_the_limit_clears_the_count(client, clerk):
    for _ in range(4):
        _log_in(client, "wrong-password")
    assert _log_in(client, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        assert _log_in(client, "wrong-password").status_code == 200
    assert _log_in(client, PASSWORD).status_code == 302


def test_the_lock_is_per_user_name(client, clerk):
    other = User.objects.create_user(username="other", password=PASSWORD,
                                     role=Role.COUNTY_OFFICER, org=clerk.org)
    for _ in range(5):
        _log_in(client, "wrong-password")
    assert _log_in(client, PASSWORD, username=other.username).status_code == 302
    assert _logged_in(client)


def test_the_lockout_message_is_in_english_too(client, clerk):
    client.cookies["django_language"] = "en"
    for _ in range(5):
        response = _log_in(client, "wrong-password")
    assert "Too many failed log-ins" in response.content.decode()


def test_one_address_trying_many_user_names_is_throttled_as_a_whole(client, clerk):
    """Thirty user names tried from one address: from the twentieth failure on, the
    address is refused, even for the right password of a real user; another address is
    not."""
    answers = [_log_in(client, "wrong-password", username=f"user{n}").status_code
               for n in range(30)]
    assert answers[:19] == [200] * 19 and set(answers[19:]) == {429}
    assert _log_in(client, PASSWORD).status_code == 429
    elsewhere = client.post(reverse("accounts:login"), {"username": "clerk", "password": PASSWORD},
                            REMOTE_ADDR="10.0.0.9")
    assert elsewhere.status_code == 302
