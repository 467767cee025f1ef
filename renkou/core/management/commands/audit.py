"""``renkou audit export --out FILE.csv``: the access and change log, for auditors.

Run by the server's operator, so it reads the whole log; the filters are the log
page's (:func:`renkou.core.services.filter_audit_entries`). The export logs itself.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.models import AuditAction, AuditEntry
from renkou.core.services import filter_audit_entries
from renkou.core.tables import InertCsvWriter

#: ``object_id`` of a person is its ``person_id``.
AUDIT_COLUMNS = ("time", "user", "role", "action", "object_type", "object_id",
                 "client_address", "channel", "details")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(_("not a date; write it as YYYY-MM-DD: %(value)s")
                           % {"value": text}) from exc


def write_audit_csv(entries: QuerySet[AuditEntry], out: str | Path) -> int:
    """Write ``entries`` as CSV (UTF-8 with a byte-order mark, for Excel); return the row count."""
    n = 0
    with open(out, "w", newline="", encoding="utf-8-sig") as f:
        writer = InertCsvWriter(f)
        writer.writerow(AUDIT_COLUMNS)
        for e in entries.iterator(chunk_size=2000):
            writer.writerow([
                timezone.localtime(e.time).isoformat(timespec="seconds"), e.username, e.role,
                e.action, e.object_type, e.object_id, e.client_address or "", e.channel,
                json.dumps(e.details, ensure_ascii=False, sort_keys=True) if e.details else "",
            ])
            n += 1
    return n


class Command(BaseCommand):
    help = "Export the access and change log (who did what to which record, when, from where)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{export}")
        export = sub.add_parser("export", help="write the log to a CSV file with the columns "
                                               + ", ".join(AUDIT_COLUMNS))
        export.add_argument("--out", required=True, metavar="FILE.csv", help="output .csv file")
        export.add_argument("--from", dest="date_from", metavar="DATE",
                            help="entries on or after this day (YYYY-MM-DD)")
        export.add_argument("--to", dest="date_to", metavar="DATE",
                            help="entries on or before this day (YYYY-MM-DD)")
        export.add_argument("--user", metavar="NAME", help="only this user's entries")
        export.add_argument("--action", choices=AuditAction.values, help="only this action")
        add_language_argument(export)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        out = options["out"]
        date_from = _date(options["date_from"]) if options.get("date_from") else None
        date_to = _date(options["date_to"]) if options.get("date_to") else None
        username, action = options.get("user") or "", options.get("action") or ""
        filters = {"date_from": date_from, "date_to": date_to, "username": username, "action": action}
        entries = filter_audit_entries(AuditEntry.objects.order_by("time", "id"), date_from=date_from,
                                       date_to=date_to, username=username, action=action)
        try:
            n = write_audit_csv(entries, out)
        except OSError as exc:
            raise CommandError(_("cannot write %(file)s: %(reason)s")
                               % {"file": out, "reason": exc.strerror or exc}) from exc
        audit.record(AuditAction.EXPORT, "audit", "", details={
            "file": Path(out).name, "rows": n,
            "filter": {k: (v.isoformat() if isinstance(v, dt.date) else v)
                       for k, v in filters.items() if v},
        })
        self.stdout.write(_("wrote %(n)s rows to %(file)s") % {"n": f"{n:,}", "file": out})
