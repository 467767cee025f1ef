"""``renkou indicators --period P [--org CODE] [--level LEVEL] [--format json|csv|xlsx]``."""

from __future__ import annotations

import argparse
import io
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.tables import InertCsvWriter, inert_cells

#: The words a user may give for a level, besides its number.
LEVEL_WORDS = {
    "county": 1, "district": 1, "县": 1, "区": 1, "县区": 1,
    "township": 2, "town": 2, "street": 2, "乡": 2, "镇": 2, "乡镇": 2, "街道": 2,
    "village": 3, "community": 3, "村": 3, "社区": 3,
    "group": 4, "组": 4, "村民小组": 4,
}


def parse_level(text: str) -> int:
    """``2``, ``township`` or ``乡镇`` → 2; anything else is an argument error."""
    word = text.strip().lower()
    level = int(word) if word.isdigit() else LEVEL_WORDS.get(word)
    if level not in (1, 2, 3, 4):
        raise argparse.ArgumentTypeError(
            _("unknown level %(level)s: use 1–4 or county, township, village, group")
            % {"level": text})
    return level


class Command(BaseCommand):
    help = ("Print or save computed indicators for one period: JSON (default), CSV or Excel. "
            "Periods: 2024, 2024Q3, 2024H1, 2024-05, SY2024 (statistical year ending in 2024).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, metavar="P",
                            help="2024, 2024Q3, 2024H1, 2024-05 or SY2024")
        parser.add_argument("--org", metavar="CODE",
                            help="this org unit (with --level: the units of that level under it)")
        parser.add_argument("--level", type=parse_level, metavar="LEVEL",
                            help="units of this level: 1 or county (县), 2 or township (乡镇/街道), "
                                 "3 or village (村/社区), 4 or group (组)")
        parser.add_argument("--indicator", action="append", metavar="CODE",
                            help="only this indicator (repeat for more)")
        parser.add_argument("--disaggregated", action="store_true",
                            help="also the rows by sex, age group, birth order and urban/rural")
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default=None,
                            help="output format (default: from --out's extension, else json)")
        parser.add_argument("--out", metavar="FILE", help="write to FILE instead of the screen")
        add_language_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        from renkou.analytics.periods import PeriodError
        from renkou.analytics.schema import ROW_FIELDS
        from renkou.analytics.services import DIMENSION_FIELDS, indicator_rows
        from renkou.analytics.store import NoIndicators

        out = options.get("out")
        fmt = options.get("format") or (out.rsplit(".", 1)[-1].lower() if out and "." in out
                                        else "json")
        if fmt not in ("json", "csv", "xlsx"):
            raise CommandError(_("unknown output format %(fmt)s; use json, csv or xlsx")
                               % {"fmt": fmt})
        if fmt == "xlsx" and not out:
            raise CommandError(_("Excel output needs --out FILE.xlsx"))
        try:
            rows = indicator_rows(options["period"], org_code=options.get("org"),
                                  level=options.get("level"), indicators=options.get("indicator"),
                                  disaggregated=options["disaggregated"])
        except (PeriodError, NoIndicators, LookupError) as exc:
            raise CommandError(str(exc).strip("'\"")) from None
        fields = ROW_FIELDS + (DIMENSION_FIELDS if options["disaggregated"] else ())
        if fmt == "json":
            text = json.dumps(rows, ensure_ascii=False, indent=1)
            if out:
                with open(out, "w", encoding="utf-8") as f:
                    f.write(text + "\n")
            else:
                self.stdout.write(text)
        elif fmt == "csv":
            f = open(out, "w", encoding="utf-8-sig", newline="") if out else io.StringIO()
            try:
                writer = InertCsvWriter(f)
                writer.writerow(fields)
                for r in rows:
                    writer.writerow(["" if r[k] is None else r[k] for k in fields])
                if not out:
                    self.stdout.write(f.getvalue(), ending="")
            finally:
                f.close()
        else:
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            ws = wb.create_sheet(_("indicators"))
            ws.append(list(fields))
            for r in rows:
                ws.append(inert_cells(ws, [r[k] for k in fields]))
            wb.save(out)
        if out:
            self.stderr.write(_("wrote %(n)s rows to %(file)s") % {"n": f"{len(rows):,}", "file": out})
        self.stderr.write(provenance_line())


def provenance_line() -> str:
    """When the figures were computed and from which ledger state, for stderr (the rows
    on stdout stay a clean JSON or CSV document); the flag ``incomplete`` marks rows of a
    period that was not over."""
    from renkou.analytics import services, store

    con = store.connect()
    try:
        info = store.refresh_info(con)
    finally:
        con.close()
    last = info.get("ledger_last_event_id")
    text = _("computed %(at)s, from the ledger up to event #%(last)s") % {
        "at": info.get("computed_at", "?"), "last": last or "?"}
    since = services.events_since(int(last)) if last else None
    if since:
        text += "; " + _("%(n)s events recorded since: run renkou analytics refresh") % {"n": since}
    return text
