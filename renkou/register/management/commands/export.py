"""``renkou export persons|events|orgunits --out FILE``: batch export to CSV or Excel."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.core.audit import acting
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.management.options import add_user_argument, parse_date, resolve_user
from renkou.orgunits.models import OrgUnit
from renkou.register.models import EventType


class Command(BaseCommand):
    help = (
        "Export the register (persons, optionally as of a past date), the ledger (events) "
        "or the org tree to .csv or .xlsx (chosen by the file name)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{persons,events,orgunits}")
        persons = sub.add_parser("persons", help="the register, one row per person")
        persons.add_argument("--org", metavar="CODE", help="only this org unit and its subtree")
        persons.add_argument("--labels", choices=["machine", "zh"], default="machine",
                             help="machine: the documented columns and codes (default; "
                                  "scripts depend on them); zh: Chinese headers and values")
        persons.add_argument("--as-of", metavar="DATE",
                             help="rebuild the register as it stood at the end of DATE")
        events = sub.add_parser("events", help="the ledger of life events")
        events.add_argument("--type", choices=EventType.values, help="only this event type")
        events.add_argument("--from", dest="date_from", metavar="DATE", help="event date from")
        events.add_argument("--to", dest="date_to", metavar="DATE", help="event date to")
        events.add_argument("--org", metavar="CODE", help="only events in this subtree")
        sub.add_parser("orgunits", help="the org tree (code, name, kind, parent_code, "
                                        "urban_rural)")
        for p in (persons, events):
            add_user_argument(p, "export only what this user may see, logged under this user")
        for p in sub.choices.values():
            p.add_argument("--out", required=True, metavar="FILE", help="output .csv or .xlsx")
            p.add_argument("--quiet", action="store_true", help="no progress bar")
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        from renkou.orgunits.excel import export_orgunits
        from renkou.register.exporting import export_events, export_persons

        progress = not options["quiet"]
        out, what = options["out"], options["what"]
        org = options.get("org")
        user = resolve_user(options.get("user"))
        units = OrgUnit.objects.all() if user is None else OrgUnit.objects.visible_to(user)
        if org and not units.filter(code=org).exists():
            raise CommandError(_("no org unit has the code %(code)s") % {"code": org})
        with acting(user, channel="cli"):
            try:
                if what == "persons":
                    as_of = parse_date(options["as_of"]) if options.get("as_of") else None
                    n = export_persons(out, org=org, as_of=as_of, progress=progress, user=user,
                                       labels=options["labels"])
                elif what == "events":
                    n = export_events(
                        out, event_type=options.get("type"),
                        date_from=parse_date(options["date_from"]) if options.get("date_from") else None,
                        date_to=parse_date(options["date_to"]) if options.get("date_to") else None,
                        org=org, progress=progress, user=user,
                    )
                else:
                    n = export_orgunits(out)
            except PermissionDenied as exc:
                raise CommandError(str(exc) or _("this role may not export person records")) from None
        self.stdout.write(_("wrote %(n)s rows to %(file)s") % {"n": f"{n:,}", "file": out})
