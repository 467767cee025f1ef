"""``renkou bench import|generate --persons N``: speed benchmarks (not timed tests).

``bench import`` writes a synthetic, valid person file (see
:mod:`renkou.register.bench`) and imports it into a *fresh* database of the same
kind as the configured one — a temporary SQLite file, or on PostgreSQL a temporary
database ``<name>_bench`` that is created and dropped again — by running
``renkou migrate``, ``renkou import orgunits`` and ``renkou import persons`` as
subprocesses, exactly as a user would. It prints rows per second for checking +
writing (measured inside the import) and for the whole import process.

``bench generate`` runs the synthetic county generator's benchmark.

``bench analytics`` generates a county of N persons into a fresh database (or reuses
one given by ``--database-url``), runs ``renkou analytics refresh`` on it as a
subprocess and prints the snapshot time, the indicator computation time, the time of a
bare hand-written DuckDB GROUP BY over the same Parquet (births by unit and month: the
floor) and the ratio of the computation to the floor, with the refresh's peak memory.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from renkou.core.management.i18n import activate_language, add_language_argument


class Command(BaseCommand):
    help = ("Benchmarks: `bench import|generate|analytics|dedupe --persons N`, and "
            "`bench screening` on the database in use.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True,
                                    metavar="{import,generate,analytics,dedupe,screening}")
        imp = sub.add_parser("import", help="import N synthetic persons into a fresh database")
        gen = sub.add_parser("generate", help="generate a synthetic county of N persons")
        ana = sub.add_parser("analytics", help="time `renkou analytics refresh` on a county of "
                                               "N persons against a bare DuckDB GROUP BY")
        ana.add_argument("--database-url", metavar="URL",
                         help="reuse this database (a county generated earlier) instead of "
                              "generating one")
        ana.add_argument("--keep", action="store_true",
                         help="keep the temporary folder (database and analytics files)")
        ded = sub.add_parser("dedupe", help="generate a county with known duplicates, run duplicate "
                                            "detection and score it against the ground truth")
        ded.add_argument("--defects", type=float, default=0.02, metavar="RATE",
                         help="share of persons given a defect (default 0.02)")
        ded.add_argument("--threshold", type=float, default=None, metavar="P",
                         help="match probability at or above which a pair counts as a duplicate "
                              "(default: the detector's default threshold)")
        ded.add_argument("--keep", action="store_true", help="keep the temporary folder")
        scr = sub.add_parser("screening", help="on the database in use (the demo county): "
                                               "screen each programme once as its job does, "
                                               "then time page turns of the stored list")
        scr.add_argument("--user", default="county", help="who screens (default: county)")
        scr.add_argument("--year", type=int, default=None, help="default: last year")
        scr.add_argument("--pages", type=int, default=10, help="page turns after the first three")
        add_language_argument(scr)
        for p in (imp, gen, ana, ded):
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
        if options["what"] == "dedupe":
            from renkou.dedupe.bench import bench_dedupe

            bench_dedupe(persons=options["persons"], seed=options["seed"],
                         defects=options["defects"], threshold=options["threshold"],
                         keep=options["keep"], stdout=self.stdout)
            return
        if options["what"] == "screening":
            from renkou.benefits.bench import bench_screening
            from renkou.core import clock

            bench_screening(username=options["user"], pages=options["pages"],
                            year=options["year"] or clock.today().year - 1, stdout=self.stdout)
            return
        if options["what"] == "analytics":
            self._bench_analytics(options["persons"], options["seed"], options["keep"],
                                  options.get("database_url"))
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
        from renkou.core.benchdb import fresh_database, is_postgres, redact
        from renkou.core.tables import TableWriter
        from renkou.register.bench import bench_org_tree, write_bench_file

        with fresh_database(keep=keep) as (url, tmp):
            self.stdout.write(_("fresh database: %(url)s") % {"url": redact(url)})
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
                "backend": "PostgreSQL" if is_postgres() else "SQLite", "n": f"{n:,}",
                "events": f"{t['events']:,}", "check": check, "write": write,
                "check_rate": f"{n / check:,.0f}", "write_rate": f"{n / write:,.0f}",
                "cw_rate": f"{n / (check + write):,.0f}", "wall": wall,
                "wall_rate": f"{n / wall:,.0f}",
            })
            self.stdout.write(_(
                "CPU time of the import process: %(cpu).1f s (the machine's load average "
                "was %(load).1f; a busy machine slows every figure above)"
            ) % {"cpu": cpu, "load": os.getloadavg()[0]})
            if keep:
                self.stdout.write(_("kept %(dir)s") % {"dir": tmp})

    # ------------------------------------------------------------------ analytics

    def _bench_analytics(self, persons: int, seed: int, keep: bool, database_url: str | None) -> None:
        from contextlib import nullcontext

        from renkou.core.benchdb import fresh_database, redact

        work = Path(tempfile.mkdtemp(prefix="renkou-bench-analytics-"))
        analytics = work / "analytics"
        try:
            with (nullcontext((database_url, work)) if database_url
                  else fresh_database(keep=keep)) as (url, tmp):
                self.stdout.write(_("database: %(url)s") % {"url": redact(url)})
                env = {**os.environ, "DATABASE_URL": url, "RENKOU_ANALYTICS_DIR": str(analytics),
                       "LANGUAGE": "en" if get_language() == "en" else "zh_CN"}
                if not database_url:
                    started = time.perf_counter()
                    out = self._child(env, "generate", "--persons", str(persons), "--seed",
                                      str(seed), "--truth", str(work / "truth.csv"))[0]
                    self.stdout.write(out.strip())
                    self.stdout.write(_("generated the county in %(s).1f s")
                                      % {"s": time.perf_counter() - started})
                timings_file = work / "refresh.json"
                started = time.perf_counter()
                out, peak = self._child(env, "analytics", "refresh", "--quiet", "--timings-json",
                                        str(timings_file))
                wall = time.perf_counter() - started
                self.stdout.write(out.strip())
                t = json.loads(timings_file.read_text())
                floor, groups = _floor(analytics / "snapshot" / "events")
                self.stdout.write(_(
                    "bench analytics, %(n)s persons, %(events)s effective events, %(rows)s "
                    "indicator values over %(periods)s periods: snapshot %(snap).1f s, indicator "
                    "computation %(compute).1f s, whole refresh %(total).1f s (process %(wall).1f s,"
                    " peak memory %(peak).2f GB); floor (bare DuckDB GROUP BY of births by unit "
                    "and month over the same Parquet, %(groups)s groups) %(floor).3f s; "
                    "computation / floor = %(ratio).0f×"
                ) % {"n": f"{t['persons']:,}", "events": f"{t['effective_events']:,}",
                     "rows": f"{t['rows']:,}", "periods": t["periods"], "snap": t["snapshot"],
                     "compute": t["compute"], "total": t["total"], "wall": wall,
                     "peak": peak / 1e9, "groups": f"{groups:,}", "floor": floor,
                     "ratio": t["compute"] / floor if floor else float("nan")})
                alone, values = _births_alone(analytics)
                self.stdout.write(_(
                    "like for like: the engine computing the floor's measure alone (the BIRTHS "
                    "indicator with its intervals, for every unit at every level and every one of "
                    "the %(periods)s periods: %(values)s values) %(alone).2f s = %(ratio).0f× the "
                    "floor; the rest of the computation time is the other indicators of the "
                    "catalogue (population stock by sex and age, exposures, rates, life tables)"
                ) % {"periods": t["periods"], "values": f"{values:,}", "alone": alone,
                     "ratio": alone / floor if floor else float("nan")})
                stages = ", ".join(f"{k} {t[k]:.1f} s" for k in (
                    "read_seconds", "partition_seconds", "load", "residence", "population",
                    "events", "measures", "indicators", "life_tables", "formulas", "write")
                    if k in t)
                self.stdout.write(_("stages: %(stages)s; machine load average %(load).1f")
                                  % {"stages": stages, "load": os.getloadavg()[0]})
        finally:
            if keep:
                self.stdout.write(_("kept %(dir)s") % {"dir": work})
            else:
                shutil.rmtree(work, ignore_errors=True)

    def _child(self, env: dict[str, str], *argv: str) -> tuple[str, int]:
        """Run ``renkou ARGV`` with ``env``; return its stdout and peak memory in bytes."""
        proc = subprocess.Popen([sys.executable, "-m", "renkou", *argv], env=env,
                                stdout=subprocess.PIPE, text=True)
        out = proc.stdout.read() if proc.stdout else ""
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            self.stdout.write(out)
            raise CommandError(_("`renkou %(cmd)s` failed with status %(rc)s")
                               % {"cmd": " ".join(argv), "rc": proc.returncode})
        return out, usage.ru_maxrss * 1024


def _births_alone(analytics: Path) -> tuple[float, int]:
    """Seconds the engine takes to compute only the BIRTHS indicator from the snapshot
    (every unit, level and period, as in a refresh), and the number of values."""
    import duckdb

    from renkou.analytics.catalogue import load_catalogue
    from renkou.analytics.engine import compute_indicators

    births = tuple(i for i in load_catalogue() if i.code == "BIRTHS")
    out = analytics / "births-alone.duckdb"
    started = time.perf_counter()
    compute_indicators(analytics / "snapshot", out, catalogue=births)
    seconds = time.perf_counter() - started
    con = duckdb.connect(str(out), read_only=True)
    try:
        values = con.execute("SELECT count(*) FROM indicator_values").fetchone()[0]
    finally:
        con.close()
    out.unlink()
    return seconds, values


def _floor(events: Path, repeat: int = 3) -> tuple[float, int]:
    """Seconds (best of ``repeat``) of a bare DuckDB GROUP BY counting births by unit and
    month over the snapshot's events, and the number of groups."""
    import duckdb

    path = str(events).replace("'", "''")
    query = (f"SELECT org_id, EXTRACT(YEAR FROM event_date) * 12 + EXTRACT(MONTH FROM event_date) "
             f"AS month, count(*) AS births FROM read_parquet('{path}/*/*.parquet', "
             f"hive_partitioning = true) WHERE event_type = 'birth' GROUP BY 1, 2")
    best, groups = float("inf"), 0
    con = duckdb.connect()
    try:
        for _i in range(repeat):
            started = time.perf_counter()
            groups = len(con.execute(query).fetchall())
            best = min(best, time.perf_counter() - started)
    finally:
        con.close()
    return best, groups
