"""The access and change log page (访问与变更日志), for auditors."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, requires

from .forms import OBJECT_TYPES, AuditFilterForm
from .services import filter_audit_entries, visible_audit_entries

PAGE_SIZE = 50
#: The highest page number asked for that is looked up (far beyond any log).
MAX_PAGE = 100_000


def _page_number(request: HttpRequest) -> int | None:
    """The page asked for (1 when none is given); ``None`` when it is not a page number."""
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        return None
    return number if 1 <= number <= MAX_PAGE else None


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
    rows = list(entries[start:start + PAGE_SIZE + 1])
    return render(request, "core/audit_log.html", {
        "form": form,
        "entries": rows[:PAGE_SIZE],
        "page_number": number,
        "has_previous": number > 1,
        "has_next": len(rows) > PAGE_SIZE,
        "object_types": OBJECT_TYPES,
    }, status=status)
