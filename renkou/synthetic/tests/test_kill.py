"""A kill -9 in the middle of ``renkou generate --replace`` leaves the database as before
(the old county, every user with its unit) or as after (the new county), never empty,
on the suite's backend (a SQLite file, or a fresh PostgreSQL database)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.db import connection

from renkou.testing.databases import own_database

pytestmark = pytest.mark.server

COUNT = """
import django; django.setup()
from renkou.accounts.models import User
from renkou.register.models import Person
from renkou.core.models import AuditEntry
print(Person.objects.count(), User.objects.filter(org__isnull=True).count(),
      AuditEntry.objects.filter(details__operation="generate").count())
"""


@pytest.fixture
def database(tmp_path, django_db_blocker):
    with own_database(tmp_path, django_db_blocker, "kill") as env:
        yield env


def _renkou(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "renkou", *args], env=env, check=True,
                          capture_output=True, text=True)


def _state(env) -> tuple[int, int, int]:
    out = subprocess.run([sys.executable, "-c", COUNT], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


def test_a_kill_during_generate_replace_leaves_the_old_county_or_the_new(database, tmp_path):
    env = database
    _renkou(env, "migrate", "-v0")
    _renkou(env, "generate", "--persons", "1500", "--seed", "3", "--truth",
            str(tmp_path / "t.csv"))
    subprocess.run([sys.executable, "-c", "import django; django.setup(); "
                    "from renkou.accounts.services import ensure_demo_users; ensure_demo_users()"],
                   env=env, check=True)
    before = _state(env)
    outcomes = []
    for delay in (1.0, 2.5, 4.0, 6.0):
        proc = subprocess.Popen([sys.executable, "-m", "renkou", "generate", "--persons",
                                 "40000", "--seed", "4", "--replace", "--truth",
                                 str(tmp_path / "t2.csv")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if env["DATABASE_URL"].startswith("sqlite"):  # a killed writer leaves a journal
            sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")).close()
        state = _state(env)
        outcomes.append(state)
        assert state == before or (state[0] > 30_000 and state[2] == before[2] + 1), (delay, state)
        if state != before:
            break
    assert before[1] == 0  # every demo user has its unit, and still has it after a kill
    print(f"[kill] generate --replace killed at 1–6 s on {connection.vendor}: {outcomes}")
