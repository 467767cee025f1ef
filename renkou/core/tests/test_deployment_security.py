"""Authentication and deployment (issue 12, item 10): the deploy check and an HTTPS
serve refuse the built-in secret key, and an active session outlives an idle limit
under five minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import override_settings

from renkou.core.management.commands.serve import serve
from renkou.testing.clock import MORNING


def test_check_deploy_refuses_the_built_in_secret_key(settings):
    with pytest.raises(SystemCheckError, match="renkou.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")
    settings.SECRET_KEY = "x" * 20 + "an-office-own-key-1234567890-abcdefghijklmnop"
    call_command("check", "--deploy", "--fail-level", "ERROR")  # no error left


@override_settings(SESSION_COOKIE_SECURE=True)
def test_serving_behind_https_with_the_built_in_key_is_refused():
    with pytest.raises(CommandError, match="RENKOU_SECRET_KEY") as caught:
        serve(host="127.0.0.1", port=0)
    assert caught.value.returncode == 1


@override_settings(SESSION_COOKIE_AGE=120)
def test_a_two_minute_idle_limit_keeps_an_active_session_and_ends_an_idle_one(
        client, officer, clock):
    today = dt.date(2026, 11, 16)
    start = dt.datetime.combine(today, MORNING)

    def at(seconds: int) -> int:
        clock.move_to(today, (start + dt.timedelta(seconds=seconds)).time())
        return client.get("/").status_code

    # logged in at the start: the suite's clock has ticked on since 9:30, and a session
    # made later than the first page would outlive the test's idle time by that much
    clock.move_to(today, start.time())
    client.force_login(officer)

    # a page every 100 s: each renews the session, which so outlives its 120 s
    assert [at(s) for s in (0, 100, 200, 300)] == [200, 200, 200, 200]
    assert at(500) == 302  # 200 s idle: logged out
