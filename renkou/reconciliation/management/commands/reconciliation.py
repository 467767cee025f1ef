"""``renkou reconciliation …``: survey and department reconciliation from the command line.

- ``import-survey FILE --name N --date YYYY-MM-DD [--reference-start DATE] [--visited FILE]
  [--user U]`` (the households visited: listed in ``--visited``, a file of
  ``village_code, household_no`` rows, or in the workbook's sheet 走访户; else inferred
  from the household numbers of the file)
- ``import-list --source hospital|police|civil FILE [--from DATE] [--to DATE] [--user U]``
- ``export-worklist --out FILE [--survey ID | --list ID] [--org CODE] [--status S] --user U``
- ``rates --survey ID`` (the measures per village, township and county)
- ``crosscheck-reply ID --date DATE --result TEXT [--user U]``
- ``sample-files --out DIR [--villages N] [--seed S] [--date DATE]``

Imports are all or nothing: a file with any problem is rejected as a whole, every
problem printed with its row (the header is row 1), column and reason, nothing written,
exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.core.audit import acting
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.management.options import add_user_argument, parse_date, resolve_user


def _pct(rate) -> str:
    if rate.value is None:
        return "—"
    return f"{rate.percent:.1f}% [{rate.lower_percent:.1f}, {rate.upper_percent:.1f}]"


class Command(BaseCommand):
    help = ("Survey reconciliation (field checks) and cross-department reconciliation: "
            "imports, worklist export, rates, cross-check replies and sample files.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import-survey", help="import a field-check file (.xlsx or .csv)")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--name", required=True, help="name of the survey")
        p.add_argument("--date", required=True, help="survey date YYYY-MM-DD")
        p.add_argument("--reference-start", metavar="DATE",
                       help="start of the reference period for births (default: a year "
                            "before the survey date)")
        p.add_argument("--visited", metavar="FILE",
                       help="the households visited (.xlsx or .csv with the columns "
                            "village_code and household_no, or 村代码 and 户号); without it, "
                            "the survey workbook's sheet 走访户 lists them, or else they are "
                            "inferred from the household numbers of the file")
        add_user_argument(p, "import with this user's rights (villages of its subtree only)")
        p = sub.add_parser("import-list", help="import a department list (.xlsx or .csv)")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--source", required=True, choices=["hospital", "police", "civil"])
        p.add_argument("--from", dest="start", metavar="DATE",
                       help="start of the period compared (default: earliest date in the file)")
        p.add_argument("--to", dest="end", metavar="DATE",
                       help="end of the period compared (default: latest date in the file)")
        add_user_argument(p, "import with this user's rights (compared within its subtree)")
        p = sub.add_parser("export-worklist", help="export a discrepancy worklist")
        p.add_argument("--out", required=True, metavar="FILE", help=".xlsx or .csv")
        p.add_argument("--survey", type=int, metavar="ID")
        p.add_argument("--list", dest="dept_list", type=int, metavar="ID")
        p.add_argument("--org", metavar="CODE")
        p.add_argument("--status", default="")
        add_user_argument(p, "export what this user may see (required)")
        p = sub.add_parser("rates", help="accuracy, not-found and under-count rates of a survey")
        p.add_argument("--survey", type=int, required=True, metavar="ID")
        p.add_argument("--json", action="store_true", help="print JSON")
        p = sub.add_parser("crosscheck-reply", help="record the reply to a cross-check")
        p.add_argument("id", type=int)
        p.add_argument("--date", required=True)
        p.add_argument("--result", required=True)
        add_user_argument(p, "record on behalf of this user")
        p = sub.add_parser("sample-files",
                           help="write sample survey and department files with known truth")
        p.add_argument("--out", required=True, metavar="DIR")
        p.add_argument("--villages", type=int, default=5)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--date", help="survey date (default today)")
        for p in sub.choices.values():
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        action = options["action"]
        user = resolve_user(options.get("user"))
        try:
            with acting(user, channel="cli"):
                getattr(self, "_" + action.replace("-", "_"))(user, options)
        except PermissionDenied as denied:
            raise CommandError(str(denied), returncode=1) from None
        except ValidationError as invalid:
            raise CommandError("; ".join(invalid.messages), returncode=1) from None

    def _rejected(self, rejected) -> None:
        for error in rejected.errors[:200]:
            self.stdout.write(str(error))
        if rejected.total > 200:
            self.stdout.write(_("… and %(n)s more problems") % {"n": rejected.total - 200})
        raise CommandError(str(rejected), returncode=1)

    def _import_survey(self, user, options) -> None:
        from renkou.core.tables import ImportRejected
        from renkou.reconciliation.models import FrameSource
        from renkou.reconciliation.services import import_survey, survey_frame_source, survey_rates

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("no such file: %(file)s") % {"file": path})
        start = parse_date(options["reference_start"]) if options.get("reference_start") else None
        visited = Path(options["visited"]) if options.get("visited") else None
        if visited is not None and not visited.is_file():
            raise CommandError(_("no such file: %(file)s") % {"file": visited})
        try:
            survey = import_survey(path, name=options["name"], survey_date=parse_date(options["date"]),
                                   reference_start=start, user=user, visited=visited)
        except ImportRejected as rejected:
            self._rejected(rejected)
            return
        self.stdout.write(_("survey %(id)s imported: %(members)s persons found in %(villages)s "
                            "villages") % {"id": survey.pk, "members": survey.members.count(),
                                           "villages": survey.sampled.count()})
        source = FrameSource(survey_frame_source(survey))
        self.stdout.write(_("households visited (%(n)s): %(source)s")
                          % {"n": survey.households.count(), "source": source.label})
        self._print_rates(survey_rates(survey, user))

    def _print_rates(self, rows) -> None:
        self.stdout.write("\t".join([_("unit"), _("households visited"),
                                     _("households in the register"), _("checked"),
                                     _("accuracy"), _("not found"), _("births found"),
                                     _("under-count")]))
        for r in rows:
            framed = bool(r.frame_source)
            self.stdout.write("\t".join([
                f"{r.unit.code} {r.unit.name}",
                str(int(r.counts["households_visited"])) if framed else "—",
                str(int(r.counts["households_in_register"])) if framed else "—",
                str(int(r.counts["checked"])), _pct(r.accuracy),
                _pct(r.not_found), str(int(r.counts["births_found"])), _pct(r.under_count)]))

    def _rates(self, user, options) -> None:
        from renkou.reconciliation.models import Survey
        from renkou.reconciliation.services import survey_rates

        try:
            survey = Survey.objects.get(pk=options["survey"])
        except Survey.DoesNotExist:
            raise CommandError(_("no survey %(id)s") % {"id": options["survey"]}) from None
        rows = survey_rates(survey)
        if options["json"]:
            self.stdout.write(json.dumps([
                {"code": r.unit.code, "name": r.unit.name, "counts": r.counts,
                 "frame_source": r.frame_source,
                 "accuracy": [r.accuracy.value, r.accuracy.lower, r.accuracy.upper],
                 "not_found": [r.not_found.value, r.not_found.lower, r.not_found.upper],
                 "under_count": [r.under_count.value, r.under_count.lower, r.under_count.upper]}
                for r in rows], ensure_ascii=False, indent=1))
            return
        self._print_rates(rows)

    def _import_list(self, user, options) -> None:
        from renkou.core.tables import ImportRejected
        from renkou.reconciliation.models import CrossCheck, Discrepancy
        from renkou.reconciliation.services import import_list

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("no such file: %(file)s") % {"file": path})
        try:
            dl = import_list(path, options["source"], user=user,
                             period_start=parse_date(options["start"]) if options.get("start") else None,
                             period_end=parse_date(options["end"]) if options.get("end") else None)
        except ImportRejected as rejected:
            self._rejected(rejected)
            return
        items = Discrepancy.objects.filter(dept_list=dl)
        self.stdout.write(
            _("list %(id)s imported: %(rows)s records; %(list_only)s not in the register, "
              "%(not_listed)s register events not in the list, %(checks)s cross-checks sent")
            % {"id": dl.pk, "rows": dl.records.count(),
               "list_only": items.filter(kind="list_only").count(),
               "not_listed": items.filter(kind="not_listed").count(),
               "checks": CrossCheck.objects.filter(record__dept_list=dl).count()})

    def _export_worklist(self, user, options) -> None:
        from renkou.orgunits.models import OrgUnit
        from renkou.reconciliation.models import DepartmentList, Survey
        from renkou.reconciliation.services import export_worklist

        if user is None:
            raise CommandError(_("--user is required: the worklist is what that user may see"))
        filters: dict[str, Any] = {"status": options["status"]}
        try:
            if options.get("survey"):
                filters["survey"] = Survey.objects.get(pk=options["survey"])
            if options.get("dept_list"):
                filters["dept_list"] = DepartmentList.objects.get(pk=options["dept_list"])
            if options.get("org"):
                filters["org"] = OrgUnit.objects.visible_to(user).get(code=options["org"])
        except (Survey.DoesNotExist, DepartmentList.DoesNotExist, OrgUnit.DoesNotExist):
            raise CommandError(_("not found")) from None
        n = export_worklist(options["out"], user, **filters)
        self.stdout.write(_("%(n)s items written to %(file)s") % {"n": n, "file": options["out"]})

    def _crosscheck_reply(self, user, options) -> None:
        from renkou.reconciliation.models import CrossCheck
        from renkou.reconciliation.services import record_feedback

        qs = CrossCheck.objects.all() if user is None else CrossCheck.objects.visible_to(user)
        try:
            check = qs.get(pk=options["id"])
        except CrossCheck.DoesNotExist:
            raise CommandError(_("no cross-check %(id)s") % {"id": options["id"]}) from None
        record_feedback(check, feedback_date=parse_date(options["date"]), result=options["result"],
                        user=user)
        self.stdout.write(_("reply recorded"))

    def _sample_files(self, user, options) -> None:
        from renkou.reconciliation.samples import make_sample_files

        truth = make_sample_files(options["out"], villages=options["villages"],
                                  seed=options["seed"],
                                  survey_date=parse_date(options["date"]) if options.get("date")
                                  else None)
        self.stdout.write(_("sample files written to %(dir)s (survey of %(n)s villages; "
                            "truth in truth.json)")
                          % {"dir": options["out"], "n": len(truth["survey"]["villages"])})
