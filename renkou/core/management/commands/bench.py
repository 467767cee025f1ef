"""``renkou bench import|generate --persons N``: speed benchmarks (not timed tests).

``bench import`` writes a synthetic, valid person file (see
:mod:`renkou.register.bench`) and imports it into a *fresh* database of the same
kind as the configured one — a temporary SQLite file, or on PostgreSQL a temporary
database ``<name>_bench`` that is created and dropped again — by running
``renkou migrate``, ``renkou import orgunits`` and ``renkou import persons`` as
subprocesses, exactly as a user would. It prints rows per second for checking +
writing (measured inside the import) and for the whole import process.

``bench generate`` runs the synthetic county generator's benchmark.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from renkou.core.management.i18n import activate_language, add_language_argument


class Command(BaseCommand):
    help = "Benchmarks: `bench import --persons N` and `bench generate --persons N`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{import,generate}")
        imp = sub.add_parser("import", help="import N synthetic persons into a fresh database")
        gen = sub.add_parser("generate", help="generate a synthetic county of N persons")
        for p in (imp, gen):
            p.add_argument("--persons", type=int, default=200_000, metavar="N")
            p.add_argument("--seed", type=int, default=1, metavar="S")
            add_language_argument(p)
        imp.add_argument("--keep", action="store_true",
                         help="keep the temporary folder (and PostgreSQL database)")

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        if options["what"] == "generate":
            from renkou.synthetic.bench import bench_generate

            bench_generate(persons=options["persons"], seed=options["seed"],
                           stdout=self.stdout)
            return
        self._bench_import(options["persons"], options["seed"], options["keep"])

    # ------------------------------------------------------------------ import

    def _run(self, url: str, *argv: str) -> str:
        env = {**os.environ, "DATABASE_URL": url,
               "LANGUAGE": "en" if get_language() == "en" else "zh_CN"}
        done = subprocess.run([sys.executable, "-m", "renkou", *argv], env=env,
                              stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            self.stdout.write(done.stdout)
            raise CommandError(_("`renkou %(cmd)s` failed with status %(rc)s")
                               % {"cmd": " ".join(argv), "rc": done.returncode})
        return done.stdout

    def _bench_import(self, persons: int, seed: int, keep: bool) -> None:
        from renkou.orgunits.excel import TableWriter
        from renkou.register.bench import bench_org_tree, write_bench_file

        db = settings.DATABASES["default"]
        tmp = Path(tempfile.mkdtemp(prefix="renkou-bench-"))
        drop = None
        if db["ENGINE"].endswith("postgresql"):
            url, drop = self._fresh_postgres(db)
        else:
            url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        try:
            self.stdout.write(_("fresh database: %(url)s") % {"url": _redact(url)})
            self._run(url, "migrate", "--noinput", "-v", "0")
            tree = tmp / "orgunits.xlsx"
            with TableWriter(tree, ("code", "name", "kind", "parent_code", "urban_rural")) as w:
                w.writerows(bench_org_tree())
            self._run(url, "import", "orgunits", str(tree), "--quiet")

            started = time.perf_counter()
            data = tmp / "persons.csv"
            n = write_bench_file(data, persons, seed)
            made = time.perf_counter() - started
            self.stdout.write(_("wrote %(n)s synthetic rows in %(s).1f s (%(file)s, %(mb).0f MB)")
                              % {"n": f"{n:,}", "s": made, "file": data,
                                 "mb": data.stat().st_size / 1e6})

            timings = tmp / "timings.json"
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            out = self._run(url, "import", "persons", str(data), "--timings-json", str(timings))
            wall = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu_after.ru_utime - cpu_before.ru_utime
                   + cpu_after.ru_stime - cpu_before.ru_stime)
            self.stdout.write(out.strip())
            t = json.loads(timings.read_text())
            check, write = t["validate_seconds"], t["write_seconds"]
            self.stdout.write(_(
                "bench import, %(backend)s, %(n)s persons (%(events)s events): "
                "checking %(check).1f s (%(check_rate)s rows/s), writing %(write).1f s "
                "(%(write_rate)s rows/s), checking + writing %(cw_rate)s rows/s; "
                "whole `renkou import` process %(wall).1f s = %(wall_rate)s rows/s"
            ) % {
                "backend": "PostgreSQL" if drop else "SQLite", "n": f"{n:,}",
                "events": f"{t['events']:,}", "check": check, "write": write,
                "check_rate": f"{n / check:,.0f}", "write_rate": f"{n / write:,.0f}",
                "cw_rate": f"{n / (check + write):,.0f}", "wall": wall,
                "wall_rate": f"{n / wall:,.0f}",
            })
            self.stdout.write(_(
                "CPU time of the import process: %(cpu).1f s (the machine's load average "
                "was %(load).1f; a busy machine slows every figure above)"
            ) % {"cpu": cpu, "load": os.getloadavg()[0]})
        finally:
            if not keep:
                if drop:
                    drop()
                for f in sorted(tmp.glob("*")):
                    f.unlink()
                tmp.rmdir()
            else:
                self.stdout.write(_("kept %(dir)s") % {"dir": tmp})

    def _fresh_postgres(self, db: dict[str, Any]):
        """Create ``<name>_bench`` next to the configured database; return its URL and a
        function that drops it."""
        import psycopg

        name = f"{db['NAME']}_bench"
        params = {"host": db.get("HOST") or None, "port": db.get("PORT") or None,
                  "user": db.get("USER") or None, "password": db.get("PASSWORD") or None}
        params = {k: v for k, v in params.items() if v}

        def admin(sql: str) -> None:
            with psycopg.connect(dbname=db["NAME"], autocommit=True, **params) as conn:
                conn.execute(sql)

        quoted = '"' + name.replace('"', '""') + '"'
        admin(f"DROP DATABASE IF EXISTS {quoted}")
        admin(f"CREATE DATABASE {quoted}")
        base = os.environ.get("DATABASE_URL", "")
        parts = urlsplit(base)
        url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
        return url, lambda: admin(f"DROP DATABASE IF EXISTS {quoted}")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url
