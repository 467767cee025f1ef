"""``renkou quality check|scorecard|rules|worklist``: validation rules and the scorecard."""

from __future__ import annotations

import io
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
from renkou.core.tables import InertCsvWriter
from renkou.orgunits.models import OrgUnit


class Command(BaseCommand):
    help = ("Data quality: run the validation rules over a subtree (check), compute and print "
            "the data-quality scorecard (scorecard), list or test the rules (rules), export a "
            "unit's worklist (worklist).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True,
                                    metavar="{check,scorecard,rules,worklist}")
        check = sub.add_parser("check", help="run every active rule over a subtree, store the "
                                             "violations and print counts per rule")
        check.add_argument("--org", metavar="CODE", help="only this org unit and its subtree")
        check.add_argument("--no-scorecard", action="store_true",
                           help="do not recompute the scorecard afterwards")
        add_user_argument(check, "run on behalf of this user (its subtree), logged under it")
        score = sub.add_parser("scorecard", help="compute the scorecard of every unit, store it "
                                                 "and print a subtree's rows")
        score.add_argument("--org", metavar="CODE", help="print this unit and the level below")
        score.add_argument("--level", type=int, choices=[2, 3, 4],
                           help="print the units of this level (default: the level below)")
        score.add_argument("--format", choices=["csv", "json"], default="csv")
        score.add_argument("--out", metavar="FILE", help="write .csv, .json or .xlsx instead")
        add_user_argument(score, "print only what this user may see")
        rules = sub.add_parser("rules", help="list the active rules (built-in and office rules), "
                                             "or check a YAML file of rules")
        rules.add_argument("--file", type=Path, help="check this YAML file of rules, try each "
                                                     "on the register, and say what is wrong")
        rules.add_argument("--install", action="store_true",
                           help="with --file: store its rules as office rules (all or nothing)")
        rules.add_argument("--org", metavar="CODE",
                           help="with --install: the subtree the rules run in (default: the "
                                "user's unit, or the whole register)")
        change = rules.add_mutually_exclusive_group()
        change.add_argument("--disable", metavar="CODE", help="switch an office rule off")
        change.add_argument("--enable", metavar="CODE",
                            help="switch an office rule on again (tried on the register first)")
        change.add_argument("--remove", metavar="CODE",
                            help="delete an office rule and its findings")
        add_user_argument(rules, "install or change the rules as this user (its subtree, logged)")
        work = sub.add_parser("worklist", help="export a unit's violations to .xlsx or .csv")
        work.add_argument("--org", metavar="CODE", required=True)
        work.add_argument("--out", metavar="FILE", required=True)
        work.add_argument("--rule", default="", help="only this rule code")
        work.add_argument("--status", default="open", choices=["open", "fixed", "accepted", ""])
        add_user_argument(work, "export only what this user may see, logged under it")
        for p in sub.choices.values():
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        what = options["what"]
        if what == "rules":
            return self._rules(options)
        user = resolve_user(options.get("user"))
        unit = self._unit(options.get("org"), user)
        with acting(user, channel="cli"):
            try:
                if what == "check":
                    self._check(unit, user, options)
                elif what == "scorecard":
                    self._scorecard(unit, user, options)
                else:
                    from renkou.quality.services import export_worklist

                    n = export_worklist(options["out"], user, unit or _root(),
                                        rule=options["rule"], status=options["status"])
                    self.stdout.write(_("%(n)s rows written to %(out)s")
                                      % {"n": n, "out": options["out"]})
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from None
            except OrgUnit.DoesNotExist:
                raise CommandError(_("the org unit is outside this user's subtree")) from None

    def _unit(self, code: str | None, user) -> OrgUnit | None:
        if not code:
            return None
        units = OrgUnit.objects.all() if user is None else OrgUnit.objects.visible_to(user)
        try:
            return units.get(code=code)
        except OrgUnit.DoesNotExist:
            raise CommandError(_("no org unit has the code %(code)s") % {"code": code}) from None

    def _check(self, unit: OrgUnit | None, user, options: dict) -> None:
        from renkou.quality.rules import RuleError
        from renkou.quality.scorecard import compute_scorecard
        from renkou.quality.services import run_checks

        started = time.perf_counter()
        try:
            report = run_checks(unit, user=user)
        except RuleError as exc:
            raise CommandError(str(exc)) from None
        width = max((len(r.code) for r in report.rules), default=10)
        self.stdout.write(_("rule").ljust(width) + "  " + _("open").rjust(7) + "  "
                          + _("accepted").rjust(8) + "  " + _("name"))
        for row in report.rows():
            self.stdout.write(f"{row['rule'].ljust(width)}  {row['open']:>7}  "
                              f"{row['accepted']:>8}  {row['name']}")
        for code, reason in sorted(report.failed.items()):
            self.stderr.write(_("rule %(code)s could not run and was left out: %(reason)s")
                              % {"code": code, "reason": reason})
        if report.disabled:
            self.stderr.write(_("office rules switched off: %(codes)s")
                              % {"codes": ", ".join(report.disabled)})
        self.stdout.write(_("%(n)s open violations in %(unit)s (%(s).1f s)") % {
            "n": sum(report.open.values()),
            "unit": report.unit.name if report.unit else _("the whole register"),
            "s": report.seconds["total"]})
        if not options["no_scorecard"]:
            t = time.perf_counter()
            compute_scorecard()
            self.stdout.write(_("scorecard recomputed (%(s).1f s); total %(t).1f s")
                              % {"s": time.perf_counter() - t,
                                 "t": time.perf_counter() - started})

    def _scorecard(self, unit: OrgUnit | None, user, options: dict) -> None:
        from renkou.quality.scorecard import compute_scorecard, export_scorecard, scorecard_records

        compute_scorecard()
        unit = unit or (user.org if user is not None and user.org_id else _root())
        out = options.get("out")
        if out and Path(out).suffix.lower() in (".xlsx", ".csv"):
            n = export_scorecard(out, user, unit, options.get("level"))
            self.stdout.write(_("%(n)s rows written to %(out)s") % {"n": n, "out": out})
            return
        records = scorecard_records(user, unit, options.get("level"))
        if options["format"] == "json":
            text = json.dumps(records, ensure_ascii=False, indent=1)
        else:
            buffer = io.StringIO()
            columns = list(records[0]) if records else ["code"]
            columns += [c for r in records for c in r if c not in columns]
            columns = list(dict.fromkeys(columns))
            writer = InertCsvWriter(buffer)
            writer.writerow(columns)
            for rec in records:
                writer.writerow([" ".join(v) if isinstance(v, list)
                                 else round(v, 3) if isinstance(v, float)
                                 else "" if v is None else v
                                 for v in (rec.get(c) for c in columns)])
            text = buffer.getvalue()
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")

    def _rules(self, options: dict) -> None:
        from renkou.quality import office_rules
        from renkou.quality.models import OfficeRule
        from renkou.quality.rules import RuleError
        from renkou.quality.rules_in_force import active_rules

        code = options.get("disable") or options.get("enable") or options.get("remove")
        if code:
            user = resolve_user(options.get("user"))
            try:
                with acting(user, channel="cli"):
                    if options.get("remove"):
                        n = office_rules.remove_office_rule(code, user=user)
                        self.stdout.write(_("office rule %(code)s removed, with %(n)s findings")
                                          % {"code": code, "n": n})
                    else:
                        office_rules.set_active(code, bool(options.get("enable")), user=user)
                        self.stdout.write((_("office rule %(code)s switched on")
                                           if options.get("enable") else
                                           _("office rule %(code)s switched off"))
                                          % {"code": code})
            except (OfficeRule.DoesNotExist, RuleError) as exc:
                raise CommandError(str(exc), returncode=1) from None
            except PermissionDenied:
                raise CommandError(_("this user may not change that rule"), returncode=1) from None
            return

        if options.get("install"):
            if not options.get("file"):
                raise CommandError(_("--install needs --file"))
            user = resolve_user(options.get("user"))
            org = self._unit(options["org"], user) if options.get("org") else None
            try:
                with acting(user, channel="cli"):
                    codes = office_rules.install_office_rules(options["file"], org=org,
                                                              user=user)
            except RuleError as exc:
                raise CommandError(str(exc), returncode=1) from None
            except PermissionDenied:
                raise CommandError(_("this user may not install rules there")) from None
            self.stdout.write(_("stored %(n)s office rules: %(codes)s")
                              % {"n": len(codes), "codes": ", ".join(codes)})
            return
        try:
            rules = (office_rules.check_rules_file(options["file"]) if options.get("file")
                     else active_rules())
        except RuleError as exc:
            raise CommandError(str(exc), returncode=1) from None
        for r in rules:
            self.stdout.write(f"{r.code}\t{r.importance}\t{r.scope}\t{r.display_name}")
            self.stdout.write(f"    {_('applies')}: {r.applies or 'TRUE'}")
            self.stdout.write(f"    {_('check')}: {r.check}")
        if options.get("file"):
            self.stdout.write(_("%(n)s rules, all valid") % {"n": len(rules)})


def _root() -> OrgUnit:
    root = OrgUnit.objects.filter(parent=None).order_by("code").first()
    if root is None:
        raise CommandError(_("the register has no org units yet"))
    return root
