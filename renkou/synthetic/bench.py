"""``renkou bench generate``: persons generated per second, into a fresh database."""

from __future__ import annotations

import json
import time

from django.core.management.base import CommandError, OutputWrapper
from django.utils.translation import gettext as _

from renkou.core.benchdb import fresh_database, is_postgres, redact, run_renkou


def bench_generate(*, persons: int, seed: int, stdout: OutputWrapper) -> dict[str, float]:
    """Run ``renkou generate`` into an empty database and print persons per second."""
    with fresh_database() as (url, tmp):
        stdout.write(_("fresh database: %(url)s") % {"url": redact(url)})
        migrated = run_renkou(url, "migrate", "--noinput", "-v", "0")
        if migrated.returncode:
            raise CommandError(migrated.stdout)
        timings = tmp / "timings.json"
        started = time.perf_counter()
        done = run_renkou(url, "generate", "--persons", str(persons), "--seed", str(seed),
                          "--timings-json", str(timings))
        wall = time.perf_counter() - started
        if done.returncode:
            raise CommandError(done.stdout)
        stdout.write(done.stdout.strip())
        t = json.loads(timings.read_text())
    figures = {
        "persons": t["persons"], "events": t["events"], "simulate_seconds": t["simulate"],
        "write_seconds": t["write"], "wall_seconds": wall,
        "persons_per_second": t["persons"] / wall,
    }
    stdout.write(_(
        "bench generate, %(backend)s, %(n)s persons (%(events)s events): simulation %(sim).1f s, "
        "writing %(write).1f s, whole `renkou generate` process %(wall).1f s = %(rate)s persons/s"
    ) % {"backend": "PostgreSQL" if is_postgres() else "SQLite", "n": f"{t['persons']:,}",
         "events": f"{t['events']:,}", "sim": t["simulate"], "write": t["write"], "wall": wall,
         "rate": f"{figures['persons_per_second']:,.0f}"})
    return figures
