"""``renkou dedupe run|export``: duplicate detection (查重) over a subtree, and its export."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.core.audit import acting
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.management.options import add_user_argument, resolve_user
from renkou.orgunits.models import OrgUnit


class Command(BaseCommand):
    help = "Duplicate detection: `dedupe run [--org CODE]` and `dedupe export --out FILE.csv`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{run,export}")
        run = sub.add_parser("run", help="find candidate duplicate pairs and queue them for review")
        run.add_argument("--org", metavar="CODE", help="only this org unit and its subtree")
        run.add_argument("--seed", type=int, default=1, help="seed of the random sampling")
        run.add_argument("--timings-json", type=Path, metavar="FILE",
                         help="write the counts and stage timings as JSON")
        export = sub.add_parser("export", help="pairs at or above the threshold, as CSV")
        export.add_argument("--out", required=True, metavar="FILE", help="output .csv")
        export.add_argument("--threshold", type=float, default=None, metavar="P",
                            help="minimum match probability (default: the default threshold)")
        for p in (run, export):
            add_user_argument(p, "work on this user's subtree, logged under this user")
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        from renkou.dedupe import services

        user = resolve_user(options.get("user"))
        with acting(user, channel="cli"):
            try:
                if options["what"] == "run":
                    org = None
                    if options.get("org"):
                        org = OrgUnit.objects.filter(code=options["org"]).first()
                        if org is None:
                            raise CommandError(_("no org unit has the code %(code)s")
                                               % {"code": options["org"]})
                    started = time.perf_counter()
                    run = services.run_detection(
                        user=user, org=org, seed=options["seed"],
                        say=lambda m: self.stderr.write(m))
                    wall = time.perf_counter() - started
                    self.stdout.write(_(
                        "compared %(persons)s persons in %(pairs)s blocked pairs; %(stored)s "
                        "candidate pairs queued for review (%(s).1f s)")
                        % {"persons": f"{run.persons:,}", "pairs": f"{run.compared_pairs:,}",
                           "stored": f"{run.stored_pairs:,}", "s": wall})
                    if options.get("timings_json"):
                        options["timings_json"].write_text(json.dumps(
                            {"run_id": run.pk, "persons": run.persons,
                             "compared_pairs": run.compared_pairs,
                             "stored_pairs": run.stored_pairs, "wall": wall, **run.timings}))
                else:
                    threshold = options["threshold"]
                    if threshold is None:
                        threshold = services.DEFAULT_THRESHOLD
                    n = services.export_pairs(options["out"], user=user, threshold=threshold)
                    self.stdout.write(_("wrote %(n)s pairs to %(file)s")
                                      % {"n": f"{n:,}", "file": options["out"]})
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from None
