"""Pages of data quality: thin views over :mod:`renkou.quality.services` and
:mod:`renkou.quality.scorecard`.

- ``/quality/``                       what there is, by role
- ``/quality/violations/?org=CODE``   open violations per rule for a unit's children
                                      (drill-down county → township → village)
- ``/quality/worklist/CODE/``         a unit's worklist: each finding, a link to the
                                      person's page (where it is corrected through the
                                      register's correction forms), fixed / accepted;
                                      ``print/`` and ``worklist.pdf`` print it
- ``/quality/rules/``                 the rules in force; an office switches its own rules
                                      off and on
- ``/quality/scorecard/``             every unit's data-quality measures, ranked

The pages measure and rank data quality; they never penalise anyone (DESIGN.md §2).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.accounts.permissions import Capability, has_capability, requires
from renkou.core import clock
from renkou.core.downloads import temporary_file_download
from renkou.core.job_views import start_and_follow
from renkou.orgunits.models import OrgUnit

from . import office_rules, printing, services
from . import scorecard as scorecards
from .jobs import QUALITY_CHECK
from .models import OfficeRule, Violation, ViolationStatus
from .rules import RuleError, builtin_rules
from .rules_in_force import rules_by_code

PAGE_SIZE = 50


def _unit(request: HttpRequest, code: str | None) -> OrgUnit:
    try:
        return services.visible_unit(request.user, code)
    except OrgUnit.DoesNotExist:
        raise Http404 from None


@requires(Capability.VIEW_AGGREGATES)
def index(request: HttpRequest) -> HttpResponse:
    """Where to go: the violations by unit (register roles) and the scorecard (everyone
    who reads aggregates)."""
    if has_capability(request.user, Capability.VIEW_REGISTER):
        return redirect("quality:violations")
    return redirect("quality:scorecard")


@requires(Capability.VIEW_REGISTER)
def violations(request: HttpRequest) -> HttpResponse:
    unit = _unit(request, request.GET.get("org"))
    summary = services.violation_summary(request.user, unit)
    return render(request, "quality/violations.html", summary)


def _filters(request: HttpRequest) -> tuple[str, str]:
    """The worklist's rule and status filters (default: open findings; ``all``: every
    status)."""
    rule = request.GET.get("rule", "")
    status = request.GET.get("status", ViolationStatus.OPEN)
    return rule, status if status in ViolationStatus.values else ""


@requires(Capability.VIEW_REGISTER)
def worklist(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's worklist. Names are listed with masked ID numbers; opening a person's
    page (which logs the view) is where the record is corrected."""
    unit = _unit(request, code)
    rule, status = _filters(request)
    page = Paginator(services.worklist(request.user, unit, rule=rule, status=status),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    known = rules_by_code()
    for v in page.object_list:
        v.rule = known.get(v.rule_code)
        v.message = services.describe(v.rule, v.details)
    return render(request, "quality/worklist.html", {
        "unit": unit, "page": page, "rule": rule, "status": status,
        "rules": sorted(known.values(), key=lambda r: r.code),
        "statuses": ViolationStatus.choices,
        "can_edit": has_capability(request.user, Capability.EDIT_REGISTER),
        "can_export": has_capability(request.user, Capability.EXPORT_REGISTER),
    })


@requires(Capability.EDIT_REGISTER)
@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a violation fixed, accepted as correct (with a comment), or open again."""
    violation = get_object_or_404(Violation.objects.visible_to(request.user).select_related("org"),
                                  pk=pk)
    try:
        services.resolve(violation, status=request.POST.get("status", ""),
                         comment=request.POST.get("comment", ""), user=request.user)
        messages.success(request, _("Saved."))
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    back = request.POST.get("next", "")
    if back.startswith("/quality/"):
        return redirect(back)
    return redirect("quality:worklist", code=violation.org.code)


@requires(Capability.EDIT_REGISTER)
@require_POST
def run_check(request: HttpRequest, code: str) -> HttpResponse:
    """Run the rules again over the unit's subtree (e.g. after corrections), as a
    background job."""
    unit = _unit(request, code)
    return start_and_follow(request, QUALITY_CHECK, scope=unit.code)


@requires(Capability.VIEW_REGISTER)
def rules(request: HttpRequest) -> HttpResponse:
    """The built-in rules and the office rules this user's units have, with what they
    check; a role that edits the register switches its office rules off and on."""
    return render(request, "quality/rules.html", {
        "builtin": builtin_rules(),
        "office": office_rules.office_rules_of(request.user),
        "can_change": has_capability(request.user, Capability.EDIT_REGISTER),
    })


@requires(Capability.EDIT_REGISTER)
@require_POST
def rule_active(request: HttpRequest, code: str) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        office_rules.set_active(code, active, user=request.user)
    except OfficeRule.DoesNotExist:
        raise Http404 from None
    except RuleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, (_("Office rule %(code)s is switched on.") if active else
                                   _("Office rule %(code)s is switched off.")) % {"code": code})
    return redirect("quality:rules")


def _download(make, filename: str) -> FileResponse:
    return temporary_file_download(make, filename)


@requires(Capability.EXPORT_REGISTER)
def worklist_export(request: HttpRequest, code: str) -> FileResponse:
    """The worklist as Excel (masked ID numbers); the export is logged."""
    unit = _unit(request, code)
    rule, status = _filters(request)
    return _download(
        lambda name: services.export_worklist(name, request.user, unit, rule=rule, status=status),
        f"worklist-{unit.code}-{clock.today().isoformat()}.xlsx")


@requires(Capability.VIEW_REGISTER)
def worklist_print(request: HttpRequest, code: str) -> HttpResponse:
    """The worklist laid out to print for a field check (every finding up to the print
    limit, masked ID numbers, a column for the result, signature lines)."""
    unit = _unit(request, code)
    rule, status = _filters(request)
    return render(request, "quality/worklist_print.html", {
        "sheet": printing.worklist_sheet(request.user, unit, rule=rule, status=status),
        "can_export": has_capability(request.user, Capability.EXPORT_REGISTER)})


@requires(Capability.EXPORT_REGISTER)
def worklist_pdf(request: HttpRequest, code: str) -> FileResponse:
    """The printed worklist as a PDF; the export is logged."""
    unit = _unit(request, code)
    rule, status = _filters(request)
    sheet = printing.worklist_sheet(request.user, unit, rule=rule, status=status)
    return _download(lambda name: printing.write_worklist_pdf(sheet, name, user=request.user),
                     f"worklist-{unit.code}-{clock.today().isoformat()}.pdf")


def _level(request: HttpRequest) -> int | None:
    raw = request.GET.get("level", "")
    return int(raw) if raw in ("2", "3", "4") else None


@requires(Capability.VIEW_AGGREGATES)
def scorecard(request: HttpRequest) -> HttpResponse:
    """Every unit of one level on one page, each measure with its rank (1 = best);
    columns sort with ``?sort=<measure>`` or ``?sort=rank_<measure>`` and ``&dir=desc``."""
    unit = _unit(request, request.GET.get("org"))
    sort = request.GET.get("sort", "")
    descending = request.GET.get("dir") == "desc"
    table = scorecards.scorecard_table(request.user, unit, level=_level(request), sort=sort,
                                       descending=descending)
    measures = [(key, label, symbol) for key, (label, symbol, _d) in scorecards.MEASURES.items()]
    for row in table["rows"]:
        row["cells"] = [(key, row["values"].get(key), row["ranks"][key]) for key, *_r in measures]
    own = table["own"]
    return render(request, "quality/scorecard.html", {
        **table, "measures": measures, "sort": sort, "descending": descending,
        "own_cells": [(key, own.values.get(key)) for key, *_r in measures] if own else [],
        "levels": [lv for lv in (2, 3, 4) if lv > unit.level],
    })


@requires(Capability.VIEW_AGGREGATES)
def scorecard_export(request: HttpRequest) -> FileResponse:
    unit = _unit(request, request.GET.get("org"))
    level = _level(request)
    return _download(lambda name: scorecards.export_scorecard(name, request.user, unit, level),
                     f"scorecard-{unit.code}-{clock.today().isoformat()}.xlsx")
