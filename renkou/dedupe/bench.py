"""``renkou bench dedupe``: duplicate detection scored against the generator's ground truth.

Generates a county with injected defects into a fresh database (``renkou generate
--defects RATE --truth FILE``), runs ``renkou dedupe run`` and ``renkou dedupe export``
as subprocesses, as a user would, and compares the exported pairs (at or above the
threshold) with the true duplicate pairs of the ground truth (``defect_type``
starting with ``duplicate``: ``person_id`` is a second registration of
``original_person_id``).
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

from django.core.management.base import CommandError, OutputWrapper
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from renkou.core.benchdb import fresh_database, is_postgres, redact, run_renkou


def true_pairs(truth: Path) -> set[tuple[int, int]]:
    """The duplicate pairs of a ground-truth file, as ordered ``(lower, higher)`` person ids."""
    pairs = set()
    with open(truth, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["defect_type"].startswith("duplicate") and row["original_person_id"]:
                a, b = int(row["person_id"]), int(row["original_person_id"])
                pairs.add((min(a, b), max(a, b)))
    return pairs


def found_pairs(export: Path) -> set[tuple[int, int]]:
    with open(export, newline="", encoding="utf-8") as f:
        return {(int(r["person_a"]), int(r["person_b"])) for r in csv.DictReader(f)}


def score(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> dict[str, float]:
    """Precision, recall and F1 of ``found`` against ``truth``."""
    hits = len(found & truth)
    precision = hits / len(found) if found else float("nan")
    recall = hits / len(truth) if truth else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {"found": len(found), "true": len(truth), "hits": hits, "precision": precision,
            "recall": recall, "f1": f1}


def _check(done, what: str) -> None:
    if done.returncode:
        raise CommandError(_("`renkou %(cmd)s` failed with status %(rc)s")
                           % {"cmd": what, "rc": done.returncode} + "\n" + done.stdout)


def bench_dedupe(persons: int, seed: int, defects: float, threshold: float | None, keep: bool,
                 stdout: OutputWrapper) -> None:
    """Generate, detect, score; print precision, recall, F1, pair counts and timings."""
    from .services import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    # the child commands speak the caller's language
    os.environ["LANGUAGE"] = "en" if get_language() == "en" else "zh_CN"
    with fresh_database(keep=keep) as (url, tmp):
        stdout.write(_("fresh database: %(url)s") % {"url": redact(url)})
        _check(run_renkou(url, "migrate", "--noinput", "-v", "0"), "migrate")
        truth_file = tmp / "truth.csv"
        started = time.perf_counter()
        done = run_renkou(url, "generate", "--persons", str(persons), "--seed", str(seed),
                          "--defects", str(defects), "--truth", str(truth_file))
        _check(done, "generate")
        stdout.write(done.stdout.strip())
        stdout.write(_("generated the county in %(s).1f s") % {"s": time.perf_counter() - started})

        timings_file = tmp / "dedupe.json"
        started = time.perf_counter()
        done = run_renkou(url, "dedupe", "run", "--seed", str(seed), "--timings-json",
                          str(timings_file))
        wall = time.perf_counter() - started
        _check(done, "dedupe run")
        stdout.write(done.stdout.strip())
        t = json.loads(timings_file.read_text())
        export = tmp / "pairs.csv"
        _check(run_renkou(url, "dedupe", "export", "--out", str(export), "--threshold",
                          str(threshold)), "dedupe export")
        s = score(found_pairs(export), true_pairs(truth_file))
        stdout.write(_(
            "bench dedupe, %(backend)s, %(n)s persons, defects %(rate)s, threshold %(th)s: "
            "precision %(p).4f, recall %(r).4f, F1 %(f1).4f (%(hits)s of %(true)s true duplicate "
            "pairs found, %(found)s pairs at or above the threshold; %(blocked)s blocked pairs "
            "scored, %(stored)s candidate pairs stored)"
        ) % {"backend": "PostgreSQL" if is_postgres() else "SQLite", "n": f"{t['persons']:,}",
             "rate": defects, "th": threshold, "p": s["precision"], "r": s["recall"],
             "f1": s["f1"], "hits": f"{s['hits']:,}", "true": f"{s['true']:,}",
             "found": f"{s['found']:,}", "blocked": f"{t['compared_pairs']:,}",
             "stored": f"{t['stored_pairs']:,}"})
        stdout.write(_(
            "timings: reading %(read).1f s, training %(train).1f s, blocking %(block).1f s, "
            "prediction %(pred).1f s, storing %(store).1f s; whole `renkou dedupe run` process "
            "%(wall).1f s (machine load average %(load).1f)"
        ) % {"read": t.get("read", 0), "train": t.get("training", 0),
             "block": t.get("blocking", 0), "pred": t.get("prediction", 0),
             "store": t.get("storing", 0), "wall": wall, "load": os.getloadavg()[0]})
        if keep:
            stdout.write(_("kept %(dir)s (truth.csv, pairs.csv, the database)") % {"dir": tmp})
