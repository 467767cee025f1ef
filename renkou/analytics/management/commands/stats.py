"""``renkou stats export --period P --org CODE --format xlsx|pdf|dhis2 --out FILE``:
the standard statistical tables of one org unit and period as a file;
``renkou stats export --format dhis2-metadata --out FILE``: the DHIS2 metadata package
the ``dhis2`` files reference (:mod:`renkou.analytics.dhis2`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.core.audit import acting
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.management.options import add_user_argument, resolve_user
from renkou.core.pdf import CJKFontMissing
from renkou.orgunits.models import OrgUnit


class Command(BaseCommand):
    help = ("Export the standard statistical tables of an org unit and period (computed by "
            "'renkou analytics refresh') to Excel, PDF or DHIS2 dataValueSets JSON.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{export}")
        export = sub.add_parser("export", help="write the tables of one org unit and period")
        export.add_argument("--period", metavar="P",
                            help="2024, 2024Q3, 2024H1, 2024-05 or SY2024 "
                                 "(default: the latest complete year)")
        export.add_argument("--org", metavar="CODE",
                            help="org unit code (default: the user's unit, else the top unit)")
        export.add_argument("--format", dest="fmt",
                            choices=["xlsx", "pdf", "dhis2", "dhis2-metadata"],
                            help="default: from the file name (.xlsx, .pdf, .json = dhis2); "
                                 "dhis2-metadata: the data elements and categories to import "
                                 "into DHIS2 first")
        export.add_argument("--out", required=True, metavar="FILE", help="output file")
        add_user_argument(export, "export only what this user may see, logged under this user")
        add_language_argument(export)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        from renkou.analytics import exports, periods, store

        out: str = options["out"]
        if options.get("fmt") == "dhis2-metadata":
            self.write_metadata(out)
            return
        fmt = options.get("fmt") or {"xlsx": "xlsx", "pdf": "pdf", "json": "dhis2"}.get(
            out.rsplit(".", 1)[-1].lower())
        if fmt is None:
            raise CommandError(_("give --format xlsx, pdf or dhis2 (or name the file .xlsx, "
                                 ".pdf or .json)"))
        user = resolve_user(options.get("user"))
        units = OrgUnit.objects.all() if user is None else OrgUnit.objects.visible_to(user)
        code = options.get("org") or (user.org.code if user is not None and user.org_id else None)
        unit = units.filter(code=code).first() if code else units.order_by("level", "code").first()
        if unit is None:
            raise CommandError(_("no org unit has the code %(code)s") % {"code": code or "—"})
        try:
            periods = store.list_periods()
        except store.NoIndicators:
            raise CommandError(_("No statistics have been computed yet; run "
                                 "'renkou analytics refresh' first.")) from None
        period = options.get("period") or periods.default_period(periods)
        if period not in {p.label for p in periods}:
            raise CommandError(_("no statistics for the period %(period)s (available: "
                                 "%(periods)s)") % {"period": period or "—",
                                                    "periods": ", ".join(p.label for p in periods)})
        with acting(user, channel="cli"):
            try:
                n = exports.export_statistics(unit.code, period, fmt, out)
            except CJKFontMissing as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(_("%(unit)s, %(period)s: %(rows)s rows written to %(out)s")
                          % {"unit": unit.name, "period": period, "rows": n, "out": out})

    def write_metadata(self, out: str) -> None:
        import json
        from pathlib import Path

        from renkou.analytics import dhis2

        package = dhis2.metadata_package()
        Path(out).write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")
        self.stdout.write(_("DHIS2 metadata: %(elements)s data elements, %(combos)s category "
                            "combos written to %(out)s")
                          % {"elements": len(package["dataElements"]),
                             "combos": len(package["categoryCombos"]), "out": out})
