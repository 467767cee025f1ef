"""The access and change log page (访问与变更日志), for auditors, and its exports."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, requires

from . import clock
from .downloads import temporary_file_download
from .forms import AuditFilterForm
from .services import (
    MAX_EXPORT_ROWS,
    ExportTooLarge,
    entry_text,
    export_audit_entries,
    filter_audit_entries,
    visible_audit_entries,
)

PAGE_SIZE = 50
#: The highest page number asked for that is looked up (far beyond any log).
MAX_PAGE = 100_000
#: The export formats, by the URL's suffix.
EXPORT_FORMATS = ("csv", "xlsx")


def _page_number(request: HttpRequest) -> int | None:
    """The page asked for (1 when none is given); ``None`` when it is not a page number."""
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        return None
    return number if 1 <= number <= MAX_PAGE else None


def _filter_query(request: HttpRequest) -> str:
    """The filters of the request as a query string, without the page number."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@requires(Capability.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Newest first, 50 a page, one query a page: one row more than the page is read to
    know whether a next page exists, instead of counting a log that only grows."""
    form = AuditFilterForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        messages.warning(request, _("Some filters are not valid and were ignored."))
        status = 400
    entries = filter_audit_entries(visible_audit_entries(request.user), **form.filters())
    number = _page_number(request)
    if number is None:
        messages.warning(request, _("The page number must be a whole number from 1 to "
                                    "%(max)s; the first page is shown.") % {"max": f"{MAX_PAGE:,}"})
        number, status = 1, 400
    start = (number - 1) * PAGE_SIZE
    read = list(entries[start:start + PAGE_SIZE + 1])
    rows = read[:PAGE_SIZE]
    return render(request, "core/audit_log.html", {
        "form": form,
        "entries": rows,
        "lines": [(e, entry_text(e)) for e in rows],
        "page_number": number,
        "has_previous": number > 1,
        "has_next": len(read) > PAGE_SIZE,
        "max_export_rows": f"{MAX_EXPORT_ROWS:,}",
    }, status=status)


@requires(Capability.VIEW_AUDIT)
def audit_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The filtered view, every page, as CSV or Excel (labels in the interface language);
    the export is logged. Filters that are not valid export nothing: the page says why."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    form = AuditFilterForm(request.GET or None)
    back = f"{reverse('core:audit')}?{_filter_query(request)}".rstrip("?")
    if form.is_bound and not form.is_valid():
        messages.warning(request, _("Some filters are not valid; nothing was exported."))
        return redirect(back)
    filters = form.filters()
    try:
        return temporary_file_download(
            lambda path: export_audit_entries(path, request.user, filters),
            f"audit-log-{clock.today().isoformat()}.{fmt}")
    except ExportTooLarge as exc:
        messages.warning(request, _(
            "The filtered log has %(rows)s entries; one export writes at most %(max)s. "
            "Narrow the filters (e.g. the dates), or ask the server's operator for "
            "renkou audit export.") % {"rows": f"{exc.rows:,}", "max": f"{exc.limit:,}"})
        return redirect(back)
