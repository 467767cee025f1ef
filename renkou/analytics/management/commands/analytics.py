"""``renkou analytics refresh``: write the snapshot and compute every indicator."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renkou.core.management.i18n import activate_language, add_language_argument


class Command(BaseCommand):
    help = ("Statistics: `analytics refresh` writes the register and the ledger to Parquet and "
            "computes every catalogue indicator for every org unit and period.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{refresh}")
        refresh = sub.add_parser(
            "refresh", help="write the snapshot and compute indicators.duckdb "
                            "(in RENKOU_ANALYTICS_DIR)")
        refresh.add_argument("--quiet", action="store_true", help="no progress bars")
        refresh.add_argument("--timings-json", metavar="FILE",
                             help="also write the timings and counts to this JSON file")
        add_language_argument(refresh)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        from renkou.analytics.catalogue import CatalogueError
        from renkou.analytics.services import refresh, refresh_summary

        try:
            report = refresh(progress=not options["quiet"])
        except CatalogueError as exc:
            raise CommandError(str(exc)) from None
        if options.get("timings_json"):
            with open(options["timings_json"], "w", encoding="utf-8") as f:
                json.dump(report, f, indent=1)
        self.stdout.write(refresh_summary(report))
