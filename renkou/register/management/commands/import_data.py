"""``renkou import persons|orgunits FILE``: all-or-nothing batch import.

A file with any invalid row is rejected as a whole: the command prints every
problem (row as the user sees it in the spreadsheet, the header being row 1;
column; reason), optionally writes them to ``--report FILE.csv``, writes nothing
to the database and exits with status 1. Through ``call_command`` a rejection
raises :class:`~django.core.management.base.CommandError` with ``returncode == 1``
(the command line turns that into exit status 1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.core.audit import acting
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.management.options import resolve_user


class Command(BaseCommand):
    help = (
        "Import persons or the org tree from .csv or .xlsx, all or nothing: any invalid "
        "row rejects the whole file with a report of row, column and reason (exit status 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{persons,orgunits}")
        persons = sub.add_parser("persons", help="persons, with the columns of the export")
        persons.add_argument("--user", metavar="USERNAME",
                             help="import with this user's rights (rows only into its subtree); "
                                  "its name goes on the ledger events and the log")
        persons.add_argument("--timings-json", metavar="FILE",
                             help="write phase timings as JSON (used by `renkou bench import`)")
        sub.add_parser("orgunits", help="org tree: code, name, kind, parent_code, urban_rural")
        for p in sub.choices.values():
            p.add_argument("file", metavar="FILE", help=".csv or .xlsx file")
            p.add_argument("--report", metavar="FILE",
                           help="also write the problems to this .csv/.xlsx file")
            p.add_argument("--show", type=int, default=200, metavar="N",
                           help="print at most N problems (default 200; the report has all)")
            p.add_argument("--quiet", action="store_true", help="no progress bars")
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        from renkou.core.tables import ImportRejected
        from renkou.orgunits.excel import import_orgunits
        from renkou.register.importing import import_persons

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("no such file: %(file)s") % {"file": path})
        try:
            if options["what"] == "orgunits":
                counts = import_orgunits(path)
                self.stdout.write(
                    _("org units: %(created)s created, %(updated)s updated, %(rows)s rows read")
                    % counts)
                return
            user = resolve_user(options.get("user"))
            with acting(user, channel="cli"):
                summary = import_persons(path, user=user, progress=not options["quiet"])
        except ImportRejected as rejected:
            self._report(rejected, options)
            raise CommandError(str(rejected), returncode=1) from None
        except PermissionDenied as denied:
            raise CommandError(str(denied), returncode=1) from None
        rate = summary.persons / summary.total_seconds if summary.total_seconds else 0.0
        self.stdout.write(
            _("imported %(persons)s persons, %(households)s new households and %(events)s "
              "ledger events in %(seconds).1f s (checking %(check).1f s, writing %(write).1f "
              "s): %(rate)s rows/s")
            % {"persons": f"{summary.persons:,}", "households": f"{summary.households:,}",
               "events": f"{summary.events:,}", "seconds": summary.total_seconds,
               "check": summary.validate_seconds, "write": summary.write_seconds,
               "rate": f"{rate:,.0f}"})
        if options.get("timings_json"):
            Path(options["timings_json"]).write_text(json.dumps(summary.as_dict()))

    def _report(self, rejected, options: dict[str, Any]) -> None:
        from renkou.core.tables import write_error_report

        shown = rejected.errors[: max(options["show"], 0)]
        for error in shown:
            self.stdout.write(str(error))
        if rejected.total > len(shown):
            self.stdout.write(_("… and %(n)s more problems") %
                              {"n": rejected.total - len(shown)})
        if options.get("report"):
            write_error_report(options["report"], rejected.errors)
            self.stdout.write(_("the problems were written to %(file)s")
                              % {"file": options["report"]})
