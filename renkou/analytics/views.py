"""Statistics pages (统计): the standard tables of one org unit and period, drill-down
to the units below, charts, and the table downloads.

Thin views: they check the org unit is in the user's subtree (else 404), pick the
period, and call :mod:`renkou.analytics.reports` / :mod:`renkou.analytics.exports`,
which read the indicators computed by ``renkou analytics refresh``.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.accounts.permissions import Capability, requires
from renkou.core.job_views import start_and_follow
from renkou.orgunits.models import OrgLevel, OrgUnit

from . import exports, jobs, reports, services, store
from .periods import Period, default_period
from .permissions import REFRESH_STATISTICS

#: the files a report can be written as
REPORT_FORMATS = [("xlsx", "Excel"), ("pdf", "PDF"), ("dhis2", "DHIS2 JSON")]

#: Drill-down stops at villages (county → township → village).
DEEPEST_DRILL_LEVEL = OrgLevel.VILLAGE


def _unit_and_period(request: HttpRequest, periods: list[Period]) -> tuple[OrgUnit, str]:
    """The org unit asked for (default: the user's own, else the top of its tree), 404
    outside the user's subtree; and the period asked for (default: the latest complete
    year), 404 when no indicators exist for it."""
    units = OrgUnit.objects.visible_to(request.user)
    code = request.GET.get("org") or getattr(request.user, "org", None) and request.user.org.code
    if code:
        unit = get_object_or_404(units, code=code)
    else:
        unit = units.order_by("level", "code").first()
        if unit is None:
            raise Http404
    period = request.GET.get("period") or default_period(periods)
    if period not in {p.label for p in periods}:
        raise Http404(_("No statistics for this period."))
    return unit, period


@requires(Capability.VIEW_AGGREGATES)
def overview(request: HttpRequest) -> HttpResponse:
    """统计报表: the tables of one org unit and period with the previous period and the
    change, the units below it, and the charts."""
    try:
        con = store.connect()
    except store.NoIndicators:
        return render(request, "analytics/no_data.html", {"path": store.indicators_path()})
    try:
        periods = store.list_periods(con)
        if not periods:
            return render(request, "analytics/no_data.html", {"path": store.indicators_path()})
        unit, period = _unit_and_period(request, periods)
        report = reports.org_report(unit.code, period, con=con)
        children = []
        if unit.level < DEEPEST_DRILL_LEVEL:
            below = OrgUnit.objects.visible_to(request.user).filter(parent=unit).order_by("code")
            children = reports.child_headlines([(c.code, c.name) for c in below], period, con=con)
        charts = reports.chart_data(unit.code, period, con=con)
    finally:
        con.close()
    units = OrgUnit.objects.visible_to(request.user).filter(level__lte=DEEPEST_DRILL_LEVEL)
    return render(request, "analytics/overview.html", {
        "unit": unit,
        "period": period,
        "periods": periods,
        "kinds": _period_groups(periods),
        "units": units.order_by("path").only("code", "name", "level", "path"),
        "report": report,
        "children": children,
        "headline_columns": reports.headline_columns(),
        "charts": charts,
        "formats": REPORT_FORMATS,
        "signatures": exports.STATISTICS_SIGNATURES,
        "events_since": services.events_since(report.ledger_last_event_id),
    })


def _period_groups(periods: list[Period]) -> list[tuple[str, list[Period]]]:
    names = {"year": _("Calendar years"), "stat_year": _("Statistical years (October–September)"),
             "half": _("Half-years"), "quarter": _("Quarters"), "month": _("Months")}
    groups: dict[str, list[Period]] = {}
    for p in periods:
        groups.setdefault(p.kind, []).append(p)
    return [(names.get(kind, kind), items) for kind, items in groups.items()]


@requires(Capability.VIEW_AGGREGATES)
def download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The tables of one org unit and period as Excel, PDF or DHIS2 JSON (logged)."""
    if fmt not in exports.FORMATS:
        raise Http404
    try:
        periods = store.list_periods()
    except store.NoIndicators:
        raise Http404(_("No statistics have been computed yet.")) from None
    unit, period = _unit_and_period(request, periods)
    payload = exports.export_bytes(unit.code, period, fmt)
    response = HttpResponse(payload, content_type=exports.CONTENT_TYPES[fmt])
    name = f"statistics-{unit.code}-{period}.{exports.EXTENSIONS[fmt]}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires(REFRESH_STATISTICS)
@require_POST
def start_refresh(request: HttpRequest) -> HttpResponse:
    """Recompute every indicator, as a background job."""
    return start_and_follow(request, jobs.REFRESH)


@requires(Capability.VIEW_AGGREGATES)
@require_POST
def start_report(request: HttpRequest) -> HttpResponse:
    """One unit's statistics for one period as a file, made by a background job."""
    unit = get_object_or_404(OrgUnit.objects.visible_to(request.user),
                             code=request.POST.get("org", ""))
    fmt, period = request.POST.get("format", ""), request.POST.get("period", "")
    if fmt not in exports.FORMATS:
        raise Http404
    try:
        known = {p.label for p in store.list_periods()}
    except store.NoIndicators:
        raise Http404(_("No statistics have been computed yet.")) from None
    if period not in known:
        raise Http404(_("No statistics for this period."))
    return start_and_follow(request, jobs.REPORT, scope=unit.code,
                            options={"period": period, "format": fmt})
