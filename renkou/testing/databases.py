"""A database of its own, on the suite's backend, for tests that run renkou in another
process (a server, a batch job to kill): a SQLite file, or a fresh PostgreSQL database on
the suite's server, dropped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


@contextmanager
def own_database(folder: Path, django_db_blocker, name: str) -> Iterator[dict[str, str]]:
    """The environment of a process that uses a new database ``name`` (``DATABASE_URL``,
    and ``RENKOU_HOME`` in ``folder``)."""
    created = None
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        created = f"renkou_{name}_{os.getpid()}"
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{created}"')
        url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{created}"
    else:
        url = f"sqlite:///{folder / 'renkou.sqlite3'}"
    try:
        yield {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "renkou.settings",
               "RENKOU_HOME": str(folder)}
    finally:
        if created:
            with django_db_blocker.unblock(), connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
