"""Smoke tests of the setup itself: the CLI starts, the settings load, and the
tests really run on the database that DATABASE_URL names (so the PostgreSQL
phase of .ci/run proves it used PostgreSQL, not a silent SQLite fallback)."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

EXPECTED_VENDOR = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "pgsql": "postgresql",
    "postgis": "postgresql",
    "sqlite": "sqlite",
    "spatialite": "sqlite",
}


def test_cli_help_lists_commands():
    result = subprocess.run(
        [sys.executable, "-m", "renkou", "help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Type 'renkou help <subcommand>'" in result.stdout
    assert "    migrate\n" in result.stdout


def test_system_checks_pass():
    call_command("check", stdout=StringIO())


@pytest.mark.django_db
def test_migrations_match_models():
    # Fails (SystemExit) if a model change has no migration yet.
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


@pytest.mark.django_db
def test_database_is_the_one_database_url_names():
    url = os.environ.get("DATABASE_URL", "")
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if url else "sqlite"
    assert connection.vendor == EXPECTED_VENDOR[scheme]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            assert cursor.fetchone()[0].startswith("PostgreSQL")
        else:
            cursor.execute("SELECT sqlite_version()")
            assert cursor.fetchone()[0]
