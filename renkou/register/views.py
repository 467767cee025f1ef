"""Register pages: search, person, household, the life-event forms and the export.

Views are thin: they read the request, call :mod:`~renkou.register.search`,
:mod:`~renkou.register.history`, :mod:`~renkou.register.exporting` or a form (which
calls the services), and render. Each declares the capability it needs
(:func:`~renkou.accounts.permissions.requires`); the querysets it starts from are
limited to the user's org subtree. Every view of a person or household is logged.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renkou.accounts.permissions import Capability, requires
from renkou.core import audit, clock
from renkou.core.downloads import temporary_file_download
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit

from .exporting import export_persons
from .forms import EVENT_FORMS, EnrolForm, ExportForm
from .history import event_details, household_members_as_of, person_events, person_state_as_of
from .models import EventType, PersonStatus
from .printing import card_members, log_household_card_view
from .search import (
    find_household,
    scoped_households,
    scoped_persons,
    search_persons,
)
from .services import effective_merge_event
from .vocabulary import NOT_PERSONS

PAGE_SIZE = 50


def _as_of(request: HttpRequest) -> dt.date | None:
    """The ``as_of`` date from the query string; a bad value is reported and ignored."""
    raw = (request.GET.get("as_of") or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        messages.warning(
            request,
            _("%(value)s is not a date (YYYY-MM-DD); showing today's register") % {"value": raw},
        )
        return None


def _as_of_details(as_of: dt.date | None) -> dict | None:
    return {"as_of": as_of.isoformat()} if as_of else None


@requires(Capability.VIEW_REGISTER)
def person_search(request: HttpRequest) -> HttpResponse:
    """One box: name, pinyin initials or full pinyin, ID number, household number."""
    query = (request.GET.get("q") or "").strip()
    page = Paginator(search_persons(request.user, query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "query": query,
        "page": page,
        "household": find_household(request.user, query),
        "export_form": ExportForm(user=request.user),
    }
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render(request, "register/_search_results.html", context)
    return render(request, "register/search.html", context)


def _event_links(person) -> list[tuple[str, str]]:
    """The life-event forms that make sense for the person's current status."""
    links = []
    if person.status == PersonStatus.RESIDENT:
        links += [("birth", _("Record a birth")),
                  ("marriage", _("marriage")), ("divorce", _("divorce")),
                  ("move-out", _("move out")), ("move-within", _("move within the county")),
                  ("death", _("death"))]
    elif person.status == PersonStatus.MOVED_OUT:
        links.append(("move-in", _("move in")))
    links += [("void", _("correction: void an event")), ("fix", _("correction: fix fields"))]
    return links


@requires(Capability.VIEW_REGISTER)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    persons = scoped_persons(request.user)
    person = get_object_or_404(
        persons.select_related("household", "household__org", "household__head",
                               "registered_org", "current_org", "mother", "father"),
        pk=pk,
    )
    children = (
        persons.filter(Q(mother=person) | Q(father=person)).exclude(status__in=NOT_PERSONS)
        .select_related("registered_org").order_by("birth_date", "pk")
    )
    events = person_events(person)
    details = event_details(events, user=request.user)
    for event in events:
        event.details = details.get(event.pk, [])
    as_of = _as_of(request)
    state = person_state_as_of(person, as_of, events=events) if as_of else None
    audit.record(AuditAction.VIEW, "person", person.pk, details=_as_of_details(as_of))
    merge = effective_merge_event(person)
    kept = persons.filter(pk=merge.payload.get("kept_person_id")).first() if merge else None
    voided_by = None
    if person.status == PersonStatus.VOID:
        voided_by = next((e for e in reversed(events)
                          if e.event_type == EventType.CORRECTION and e.payload.get("void")), None)
    return render(request, "register/person.html", {
        "person": person,
        "merged_into": kept,
        "voided_by": voided_by,
        "children": children,
        "events": events,
        "as_of": as_of,
        "state": state,
        "event_links": _event_links(person),
        "today": clock.today(),
    })


@requires(Capability.VIEW_REGISTER)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        scoped_households(request.user).select_related("org", "head"), pk=pk
    )
    as_of = _as_of(request)
    audit.record(AuditAction.VIEW, "household", household.pk, details=_as_of_details(as_of))
    if as_of:
        members = []
        for person, state in household_members_as_of(household, as_of):
            # show the person as the ledger had them on that date (never saved)
            person.relationship, person.status = state["relationship"], state["status"]
            members.append(person)
    else:
        members = list(household.members.select_related("registered_org").order_by("pk"))
    return render(request, "register/household.html", {
        "household": household,
        "members": members,
        "as_of": as_of,
        "today": clock.today(),
    })


@requires(Capability.VIEW_REGISTER)
def household_card(request: HttpRequest, pk: int) -> HttpResponse:
    """户卡: the household and its members as they stand, laid out to print and sign.
    It shows each member's full ID number, so it is a logged view of each record."""
    household = get_object_or_404(
        scoped_households(request.user).select_related("org", "head"), pk=pk)
    members = card_members(household)
    log_household_card_view(household, members)
    return render(request, "register/household_card.html", {
        "household": household, "members": members,
        "units": [*household.org.ancestors(), household.org], "today": clock.today()})


@requires(Capability.EDIT_REGISTER)
@require_http_methods(["GET", "POST"])
def record_event(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """One page per life event (and correction) of the person."""
    if kind not in EVENT_FORMS:
        raise Http404
    form_class, _event_type = EVENT_FORMS[kind]
    person = get_object_or_404(scoped_persons(request.user).select_related("registered_org"),
                               pk=pk)
    initial = {"event": request.GET.get("event")} if kind == "void" else None
    form = form_class(request.POST or None, user=request.user, person=person, initial=initial)
    if request.method == "POST" and form.is_valid():
        shown = form.save()
        if shown is not None:
            messages.success(request, form.success_message())
            return redirect("register:person", pk=shown.pk)
    if form_class.shows_id_number:
        # the correction form holds the full ID number: a view of the record like its page
        audit.record(AuditAction.VIEW, "person", person.pk, details={"form": kind})
    return render(request, "register/event_form.html", {
        "form": form, "person": person, "kind": kind,
    })


@requires(Capability.EDIT_REGISTER)
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """建档: enter a new person into the register."""
    form = EnrolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        person = form.save()
        if person is not None:
            messages.success(request, form.success_message())
            return redirect("register:person", pk=person.pk)
    return render(request, "register/event_form.html", {"form": form, "person": None,
                                                         "kind": "enrol"})


@requires(Capability.EXPORT_REGISTER)
def export(request: HttpRequest) -> HttpResponse:
    """导出: the persons of an org subtree (default: the user's own unit), as they stand
    or as of a date, as a CSV or Excel download. The export logs itself with its filter
    and row count; an org code outside the user's subtree is not found."""
    form = ExportForm(request.GET, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("register:search")
    org, as_of, fmt = (form.cleaned_data[k] for k in ("org", "as_of", "format"))
    labels = form.cleaned_data.get("labels") or "zh"  # a page speaks Chinese unless asked
    scope = org or (request.user.org.code if request.user.org_id else "all")
    download = f"persons-{scope}-{(as_of or clock.today()).isoformat()}.{fmt}"
    try:
        return temporary_file_download(
            lambda path: export_persons(path, org=org or None, as_of=as_of, user=request.user,
                                        labels=labels),
            download)
    except OrgUnit.DoesNotExist:
        raise Http404 from None
