"""``renkou benefits screen|roster|requalify|figures|add-version``: family-benefit batch jobs."""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.benefits.payment_figures import FIGURE_COLUMNS, figures
from renkou.benefits.programme_versions import add_version
from renkou.benefits.programmes import YAML_PATH, load_programmes
from renkou.benefits.requalification import requalify
from renkou.benefits.rosters import generate_roster, mark_roster_paid, write_bank_csv, write_roster_xlsx
from renkou.benefits.screening import screen_programme, screening_rows, write_screening_csv
from renkou.benefits.workflow import WorkflowError
from renkou.core.audit import acting
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.management.options import add_user_argument, parse_date, resolve_user

PROGRAMMES = sorted(load_programmes(YAML_PATH))




class Command(BaseCommand):
    help = "Family benefits: screening, payment rosters, requalification, figures, versions."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True,
                                    metavar="{screen,roster,requalify,figures,add-version}")
        screen = sub.add_parser("screen", help="list everyone eligible for a programme in a year")
        screen.add_argument("--programme", required=True, choices=PROGRAMMES)
        screen.add_argument("--year", required=True, type=int)
        screen.add_argument("--out", required=True, metavar="FILE.csv")
        screen.add_argument("--org", metavar="CODE", help="only this org unit and its subtree")
        roster = sub.add_parser("roster", help="generate the payment roster of a period and "
                                               "write it to Excel and a bank CSV")
        roster.add_argument("--programme", required=True, choices=PROGRAMMES)
        roster.add_argument("--period", required=True, help="2025 (yearly) or 2025-03 (monthly)")
        roster.add_argument("--org", metavar="CODE")
        roster.add_argument("--xlsx", metavar="FILE.xlsx", help="write the roster as Excel")
        roster.add_argument("--bank-csv", metavar="FILE.csv", help="write the bank transfer file")
        roster.add_argument("--paid-on", metavar="DATE", help="record the roster as paid on DATE")
        requalify = sub.add_parser("requalify", help="annual requalification of every recipient")
        requalify.add_argument("--programme", required=True, choices=PROGRAMMES)
        requalify.add_argument("--year", required=True, type=int)
        requalify.add_argument("--org", metavar="CODE")
        figures = sub.add_parser("figures", help="recipients, amounts due and paid, payment rate "
                                                 "and timeliness by unit and period")
        figures.add_argument("--year", required=True, type=int)
        figures.add_argument("--org", metavar="CODE")
        figures.add_argument("--format", choices=["csv", "json"], default="csv")
        figures.add_argument("--out", metavar="FILE", help="default: standard output")
        version = sub.add_parser("add-version", help="add a programme version (new amounts from "
                                                     "a date, optionally for one jurisdiction)")
        version.add_argument("--programme", required=True, choices=PROGRAMMES)
        version.add_argument("--from", dest="effective_from", required=True, metavar="DATE")
        version.add_argument("--amount", action="append", required=True, metavar="[RATE=]YUAN",
                             help="e.g. 1200, or death=700 and disability=560")
        version.add_argument("--org-prefix", default="", metavar="CODE",
                             help="division-code prefix of the jurisdiction (default: everywhere)")
        version.add_argument("--note", default="")
        for p in sub.choices.values():
            add_user_argument(p, "act as this user: its org subtree, logged under its name")
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        user = resolve_user(options.get("user"))
        with acting(user, channel="cli"):
            try:
                getattr(self, "_" + options["what"].replace("-", "_"))(user, options)
            except WorkflowError as exc:
                raise CommandError(str(exc)) from None
            except PermissionDenied as exc:
                raise CommandError(str(exc) or _("this role may not do this")) from None

    def _screen(self, user, o: dict) -> None:
        start = time.perf_counter()
        prog, results = screen_programme(o["programme"], o["year"], user=user,
                                         org_code=o.get("org"))
        with open(o["out"], "w", newline="", encoding="utf-8-sig") as out:
            n = write_screening_csv(prog, o["year"], screening_rows(results), out,
                                    org_code=o.get("org"))
        total = sum((r.amount for r in results), Decimal("0.00"))
        self.stdout.write(_("%(programme)s %(year)s: %(n)s eligible, %(amount)s yuan due; wrote "
                            "%(file)s in %(s).1f s") % {
            "programme": prog.code, "year": o["year"], "n": f"{n:,}", "amount": f"{total:,.2f}",
            "file": o["out"], "s": time.perf_counter() - start})

    def _roster(self, user, o: dict) -> None:
        roster = generate_roster(user, o["programme"], o["period"], org_code=o.get("org"))
        if roster is None:
            from renkou.benefits.models import Roster
            roster = Roster.objects.filter(programme=o["programme"], period=o["period"]).first()
            self.stdout.write(_("nothing new is due for this period"))
            if roster is None:
                return
        else:
            self.stdout.write(_("roster %(id)s: %(n)s payments") % {
                "id": roster.pk, "n": roster.payments.count()})
        if o.get("xlsx"):
            with open(o["xlsx"], "wb") as out:
                write_roster_xlsx(roster, out)
            self.stdout.write(_("wrote %(file)s") % {"file": o["xlsx"]})
        if o.get("bank_csv"):
            with open(o["bank_csv"], "w", newline="", encoding="utf-8-sig") as out:
                write_bank_csv(roster, out)
            self.stdout.write(_("wrote %(file)s") % {"file": o["bank_csv"]})
        if o.get("paid_on"):
            n = mark_roster_paid(user, roster, parse_date(o["paid_on"]))
            self.stdout.write(_("%(n)s payments recorded as paid") % {"n": n})

    def _requalify(self, user, o: dict) -> None:
        report = requalify(user, o["programme"], o["year"], org_code=o.get("org"))
        self.stdout.write(_("%(c)s confirmed, %(s)s suspended, %(t)s stopped") % {
            "c": report.confirmed, "s": len(report.suspended), "t": len(report.stopped)})
        for app, reason in report.suspended + report.stopped:
            self.stdout.write(f"  {app.person_id} {app.person.name}: {reason}")

    def _figures(self, user, o: dict) -> None:
        rows = figures(o["year"], user=user, org_code=o.get("org"))
        out = open(o["out"], "w", newline="", encoding="utf-8") if o.get("out") else None
        stream = out or self.stdout
        try:
            if o["format"] == "json":
                stream.write(json.dumps(rows, ensure_ascii=False, indent=1, default=str) + "\n")
            else:
                import io

                from renkou.core.tables import InertCsvWriter
                buf = io.StringIO()
                writer = InertCsvWriter(buf)
                writer.writerow(FIGURE_COLUMNS)
                for row in rows:
                    writer.writerow(["" if row[c] is None else row[c] for c in FIGURE_COLUMNS])
                stream.write(buf.getvalue())
        finally:
            if out:
                out.close()
        if not rows:
            sys.stderr.write(_("no payments recorded for %(year)s") % {"year": o["year"]} + "\n")

    def _add_version(self, user, o: dict) -> None:
        amounts = {}
        for item in o["amount"]:
            rate, _sep, value = item.rpartition("=")
            amounts[rate or "default"] = value
        version = add_version(user, o["programme"], effective_from=parse_date(o["effective_from"]),
                              amounts=amounts, org_prefix=o["org_prefix"], note=o["note"])
        self.stdout.write(_("version %(id)s of %(programme)s from %(date)s added") % {
            "id": version.pk, "programme": o["programme"], "date": version.effective_from})
