"""Pages of reconciliation: thin views over :mod:`renkou.reconciliation.services`.

Every view declares its capability; what it lists starts from the user's org subtree
(a record outside answers 404). Uploads and exports go through the services, which
log themselves.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.accounts.permissions import Capability, requires
from renkou.core import clock
from renkou.core.downloads import temporary_file_download
from renkou.orgunits.models import OrgUnit

from . import services
from .common import scope_root
from .forms import (
    CrossCheckForm,
    ReplyForm,
    WorkItemForm,
    WorklistFilterForm,
)
from .models import Survey, WorkStatus

PAGE_SIZE = 50


@requires(Capability.VIEW_REGISTER)
def index(request: HttpRequest) -> HttpResponse:
    """Surveys, department lists, open worklist items and the cross-check feedback rate."""
    user = request.user
    year = clock.today().year
    feedback = services.feedback_rates(user, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return render(request, "reconciliation/index.html", {
        "surveys": services.visible_surveys(user)[:20],
        "lists": services.visible_lists(user)[:20],
        "open_items": services.worklist(user, status=WorkStatus.OPEN).count(),
        "feedback": feedback[:1],
        "year": year,
    })


def _survey(request: HttpRequest, pk: int) -> Survey:
    survey = services.visible_surveys(request.user).filter(pk=pk).first()
    if survey is None:
        raise Http404
    return survey


@requires(Capability.VIEW_REGISTER)
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Accuracy, not-found and under-count rates by village, township and county, on the
    households visited (and how they are known), and the extrapolation to the villages
    not sampled."""
    survey = _survey(request, pk)
    return render(request, "reconciliation/survey.html", {
        "survey": survey,
        "frame_source": services.survey_frame_source(survey),
        "rows": services.survey_rates(survey, request.user),
        "extrapolated": services.extrapolate(survey, request.user),
    })


@requires(Capability.VIEW_REGISTER)
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dept_list = services.visible_lists(request.user).filter(pk=pk).first()
    if dept_list is None:
        raise Http404
    return render(request, "reconciliation/list.html", {
        "dept_list": dept_list,
        "rows": services.list_counts(dept_list, request.user),
        "records": dept_list.records.count(),
    })


def _worklist_filters(request: HttpRequest) -> tuple[dict, WorklistFilterForm]:
    user = request.user
    form = WorklistFilterForm(request.GET or None, user=user)
    filters: dict = {}
    if request.GET.get("survey"):
        try:
            filters["survey"] = _survey(request, int(request.GET["survey"]))
        except ValueError:
            raise Http404 from None
    if request.GET.get("list"):
        try:
            filters["dept_list"] = get_object_or_404(services.visible_lists(user),
                                                     pk=int(request.GET["list"]))
        except ValueError:
            raise Http404 from None
    if form.is_valid():
        data = form.cleaned_data
        if data["org"]:
            filters["org"] = get_object_or_404(OrgUnit.objects.visible_to(user), code=data["org"])
        filters["status"] = data["status"]
        filters["kind"] = data["kind"]
    return filters, form


@requires(Capability.VIEW_REGISTER)
def worklist(request: HttpRequest) -> HttpResponse:
    """The discrepancy worklist of the user's subtree (ID numbers masked)."""
    filters, form = _worklist_filters(request)
    items = services.worklist(request.user, **filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(item, services.item_subject(item)) for item in page.object_list]
    return render(request, "reconciliation/worklist.html", {
        "page": page, "rows": rows, "form": form, "filters": filters,
        "statuses": WorkStatus.choices,
    })


@requires(Capability.EDIT_REGISTER)
@require_POST
def work_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(services.worklist(request.user), pk=pk)
    form = WorkItemForm(request.POST)
    if form.is_valid():
        services.work_item(item, status=form.cleaned_data["status"],
                           comment=form.cleaned_data["comment"], user=request.user)
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose a status."))
    back = request.POST.get("next") or ""
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("reconciliation:worklist")


@requires(Capability.EXPORT_REGISTER)
def worklist_export(request: HttpRequest) -> FileResponse:
    """The filtered worklist as Excel (full ID numbers; the export is logged)."""
    filters, _form = _worklist_filters(request)
    return temporary_file_download(
        lambda path: services.export_worklist(path, request.user, **filters),
        f"worklist-{clock.today().isoformat()}.xlsx")


def _year(request: HttpRequest) -> int | None:
    """The year asked for (this year when none is given); ``None`` unless 1900–2100."""
    try:
        year = int(request.GET.get("year") or clock.today().year)
    except ValueError:
        return None
    return year if 1900 <= year <= 2100 else None


@requires(Capability.VIEW_REGISTER)
def crosschecks(request: HttpRequest) -> HttpResponse:
    """Cross-checks sent to other areas and the feedback rate (协查反馈率) by unit."""
    year, status = _year(request), 200
    if year is None:
        messages.warning(request, _("The year must be from 1900 to 2100; this year is shown."))
        year, status = clock.today().year, 400
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    checks = services.visible_crosschecks(request.user).filter(sent_date__gte=start,
                                                               sent_date__lte=end)
    page = Paginator(checks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reconciliation/crosschecks.html", {
        "year": year, "years": range(clock.today().year, clock.today().year - 5, -1),
        "rows": services.feedback_rates(request.user, start, end),
        "page": page, "form": CrossCheckForm(initial={"sent_date": clock.today()}, user=request.user),
        "today": clock.today(),
    }, status=status)


@requires(Capability.EDIT_REGISTER)
@require_POST
def crosscheck_new(request: HttpRequest) -> HttpResponse:
    form = CrossCheckForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.create_crosscheck(org=scope_root(request.user), user=request.user,
                                       **form.request_fields())
        except ValidationError as invalid:
            for message in invalid.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The cross-check request was recorded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("reconciliation:crosschecks")


@requires(Capability.EDIT_REGISTER)
@require_POST
def crosscheck_reply(request: HttpRequest, pk: int) -> HttpResponse:
    check = get_object_or_404(services.visible_crosschecks(request.user), pk=pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.record_feedback(check, user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as refused:
            messages.error(request, " ".join(getattr(refused, "messages", [str(refused)])))
        else:
            messages.success(request, _("The reply was recorded."))
    else:
        messages.error(request, _("Give the date and the result of the reply."))
    return redirect("reconciliation:crosschecks")

