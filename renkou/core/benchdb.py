"""A fresh, throwaway database of the configured kind, for the benchmarks.

SQLite: a file in a temporary folder. PostgreSQL: a database ``<name>_bench`` next
to the configured one, created and dropped again (the role needs CREATEDB).
Benchmarks run the real commands against it as subprocesses, as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


@contextmanager
def fresh_database(keep: bool = False) -> Iterator[tuple[str, Path]]:
    """Yield ``(DATABASE_URL, temporary folder)`` of an empty database."""
    db = settings.DATABASES["default"]
    tmp = Path(tempfile.mkdtemp(prefix="renkou-bench-"))
    drop = None
    if db["ENGINE"].endswith("postgresql"):
        url, drop = _fresh_postgres(db)
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        yield url, tmp
    finally:
        if not keep:
            if drop:
                drop()
            for f in sorted(tmp.glob("*")):
                f.unlink()
            tmp.rmdir()


def run_renkou(url: str, *argv: str) -> subprocess.CompletedProcess:
    """Run ``renkou ARGV…`` against ``url``; stdout captured, stderr (progress) passed on."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "renkou", *argv], env=env,
                          stdout=subprocess.PIPE, text=True, check=False)


def is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def _fresh_postgres(db: dict):
    import psycopg

    name = f"{db['NAME']}_bench"
    given = {"host": db.get("HOST"), "port": db.get("PORT"), "user": db.get("USER"),
             "password": db.get("PASSWORD")}
    params: dict[str, Any] = {k: v for k, v in given.items() if v}

    def admin(sql: str) -> None:
        with psycopg.connect(dbname=db["NAME"], autocommit=True, **params) as conn:
            conn.execute(sql)

    quoted = '"' + name.replace('"', '""') + '"'
    admin(f"DROP DATABASE IF EXISTS {quoted}")
    admin(f"CREATE DATABASE {quoted}")
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    return url, lambda: admin(f"DROP DATABASE IF EXISTS {quoted}")
