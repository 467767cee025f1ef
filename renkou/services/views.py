"""Pages of the service records (服务记录), for health workers: thin views over
:mod:`renkou.services.services` (the rules) and :mod:`renkou.services.identify` (finding
the person served).

Every page needs :data:`~renkou.services.permissions.RECORD_SERVICES` but the catalogue,
which anyone who reads the services' figures may read too. A person's service pages open
only for a person the health worker may serve (:func:`renkou.services.identify.may_serve`),
else 404. Reading a person's record is logged by :func:`services.service_record`; records
kept by other units are withheld until she writes a reason (a break-the-glass read the
auditors see); the printable summary a person asks for is a logged export.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from renkou.accounts.permissions import requires
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.register.forms import attach_errors
from renkou.register.identity import mask_id_number
from renkou.register.models import Person

from . import forms, services
from .catalogue import Service
from .catalogue import service as catalogue_service
from .catalogue import services as catalogue_services
from .identify import find_persons_to_serve, may_serve
from .models import Consent, Encounter, FollowUp, Purpose, RequestState, ServiceRequest
from .permissions import RECORD_SERVICES, VIEW_SERVICE_FIGURES

PAGE_SIZE = 50
#: How many rows each list of the index shows.
INDEX_ROWS = 20
#: The consent states a person may still withdraw.
WITHDRAWABLE = ("active", "pending")


def _service_name(code: str) -> str:
    found = catalogue_services().get(code)
    return found.name if found else code


def _follow_up_name(service_code: str, kind: str) -> str:
    found = catalogue_services().get(service_code)
    spec = found.follow_up(kind) if found else None
    return spec.name if spec else kind


def _person(request: HttpRequest, pk: int) -> Person:
    person = get_object_or_404(Person.objects.select_related("registered_org", "current_org"),
                               pk=pk)
    if not may_serve(request.user, person):
        raise Http404
    return person


def _identity(person: Person) -> dict[str, Any]:
    """What identifies the person on every page: name, sex, birth date, units, the ID
    number masked beside the birth date."""
    return {"person": person,
            "masked": mask_id_number(person.id_number, beside_birth_date=True)}


def _chosen_service(code: str) -> Service:
    try:
        return catalogue_service(code)
    except KeyError:
        raise Http404 from None


# ---------------------------------------------------------------- index

@requires(RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """服务记录: find the person to serve; the follow-ups due, the requests waiting and the
    latest encounters of the user's units. The search box posts (an ID number typed in it
    stays out of addresses, the browser's history and the server's access log); a
    ``?q=`` name search works too."""
    form = forms.SearchForm(request.POST if request.method == "POST" else (request.GET or None))
    query = form.cleaned_data["q"] if form.is_valid() else ""
    found = find_persons_to_serve(request.user, query) if query.strip() else None
    today = clock.today()
    due = list(services.follow_up_list(request.user).order_by("due_on", "id")[:INDEX_ROWS])
    waiting = list(ServiceRequest.objects.visible_to(request.user).filter(state=RequestState.OPEN)
                   .select_related("person", "org").order_by("requested_on", "id")[:INDEX_ROWS])
    recent = list(Encounter.objects.visible_to(request.user).select_related("person", "org")
                  .order_by("-date", "-id")[:INDEX_ROWS])
    return render(request, "services/index.html", {
        "form": form, "query": query, "found": found, "today": today,
        "due": [(f, _service_name(f.service_code), _follow_up_name(f.service_code, f.kind))
                for f in due],
        "waiting": [(r, _service_name(r.service_code)) for r in waiting],
        "recent": [(e, _service_name(e.service_code)) for e in recent]})


# ---------------------------------------------------------------- a person's record

def _record_page(request: HttpRequest, person: Person, record: services.ServiceRecord,
                 glass_form: forms.BreakGlassForm, status: int = 200) -> HttpResponse:
    today = clock.today()
    own = set(Encounter.objects.visible_to(request.user).filter(person=person)
              .values_list("pk", flat=True))
    consents = [{"consent": c, "status": c.status(today), "service": _service_name(c.service_code)
                 if c.service_code else _("every service"),
                 "may_withdraw": c.status(today) in WITHDRAWABLE} for c in record.consents]
    encounters = []
    for e in record.encounters:
        chosen = catalogue_services().get(e.service_code)
        encounters.append({
            "encounter": e, "service": _service_name(e.service_code), "own": e.pk in own,
            # another unit's encounter, shown with a sharing consent or a reason: its values
            # here (its own page is its unit's)
            "values": services.display_values(chosen, e.values) if chosen and e.pk not in own
            else []})
    open_requests = {r.pk for r in ServiceRequest.objects.visible_to(request.user)
                     .filter(person=person, state=RequestState.OPEN)}
    return render(request, "services/person.html", {
        **_identity(person), "record": record, "today": today, "consents": consents,
        "encounters": encounters,
        "requests": [{"request": r, "service": _service_name(r.service_code),
                      "may_close": r.pk in open_requests} for r in record.requests],
        "follow_ups": [(f, _service_name(f.service_code), _follow_up_name(f.service_code, f.kind))
                       for f in record.follow_ups],
        "glass_form": glass_form, "withdraw_form": forms.WithdrawForm(),
        "close_form": forms.CloseRequestForm(), "services": list(catalogue_services().values()),
    }, status=status)


@requires(RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's service record: consents, requests, encounters, follow-ups (a logged
    view). Records kept by other units are counted, not shown; the form below them reads
    them with a reason (POST), a break-the-glass read the auditors see."""
    served = _person(request, pk)
    glass_form = forms.BreakGlassForm(request.POST or None)
    status, reason = 200, ""
    if request.method == "POST":
        if glass_form.is_valid():
            reason = glass_form.cleaned_data["reason"]
        else:
            status = 400
    try:
        record = services.service_record(request.user, served, reason=reason)
    except ValidationError as error:
        attach_errors(glass_form, error)
        record = services.service_record(request.user, served)
        status = 400
    return _record_page(request, served, record, glass_form, status)


@requires(RECORD_SERVICES)
def summary(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's own record, printable (a person may ask for her own record): her
    consents and the encounters with their results; logged as an export."""
    served = _person(request, pk)
    record = services.service_record(request.user, served)
    today = clock.today()
    encounters = []
    for e in record.encounters:
        chosen = catalogue_services().get(e.service_code)
        encounters.append({"encounter": e, "service": _service_name(e.service_code),
                           "values": services.display_values(chosen, e.values) if chosen else []})
    audit.record(AuditAction.EXPORT, "service_summary", served.pk,
                 details={"encounters": len(encounters), "consents": len(record.consents),
                          "withheld": record.withheld, "format": "print"})
    return render(request, "services/summary.html", {
        **_identity(served), "record": record, "today": today, "encounters": encounters,
        "consents": [{"consent": c, "status": c.status(today),
                      "service": _service_name(c.service_code) if c.service_code
                      else _("every service")} for c in record.consents]})


# ---------------------------------------------------------------- consents and requests

def _form_page(request: HttpRequest, person: Person, form: forms.ServiceForm,
               **context: Any) -> HttpResponse:
    status = 400 if form.is_bound and (form.errors or form.consent_missing) else 200
    return render(request, "services/form.html", {**_identity(person), "form": form, **context},
                  status=status)


@requires(RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def consent_new(request: HttpRequest, pk: int) -> HttpResponse:
    """知情同意: record a consent the person gave (``?purpose=&service=`` fill the form)."""
    served = _person(request, pk)
    initial = {"purpose": request.GET.get("purpose", Purpose.SERVICE),
               "service_code": request.GET.get("service", "")}
    form = forms.ConsentForm(request.POST or None, user=request.user, person=served,
                             initial=initial)
    if request.method == "POST" and form.is_valid():
        consent = form.save()
        if consent is not None:
            messages.success(request, _("The consent of %(name)s has been recorded.")
                             % {"name": served.name})
            return redirect("services:person", pk=served.pk)
    versions = sorted({s.information_version for s in catalogue_services().values()
                       if s.information_version})
    return _form_page(request, served, form, versions=versions)


@requires(RECORD_SERVICES)
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """撤回同意: the person withdraws a consent (wherever she asks: a consent is hers)."""
    consent = get_object_or_404(Consent.objects.select_related("person"), pk=pk)
    if not may_serve(request.user, consent.person):
        raise Http404
    form = forms.WithdrawForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.withdraw_consent(consent, user=request.user, note=note)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        if consent.purpose == Purpose.FOLLOW_UP:
            messages.success(request, _("The follow-up consent has been withdrawn: the person "
                                        "is off every follow-up list."))
        else:
            messages.success(request, _("The consent has been withdrawn."))
    return redirect("services:person", pk=consent.person_id)


@requires(RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, pk: int) -> HttpResponse:
    """服务需求: record that the person asked for a service."""
    served = _person(request, pk)
    initial = {"service_code": request.GET.get("service", "")}
    form = forms.RequestForm(request.POST or None, user=request.user, person=served,
                             initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.save() is not None:
            messages.success(request, _("The request of %(name)s has been recorded.")
                             % {"name": served.name})
            return redirect("services:person", pk=served.pk)
    return _form_page(request, served, form)


@requires(RECORD_SERVICES)
@require_POST
def request_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a waiting request: the person withdrew it, or was referred elsewhere."""
    row = get_object_or_404(ServiceRequest.objects.visible_to(request.user), pk=pk)
    form = forms.CloseRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the request is closed."))
    else:
        try:
            services.close_request(row, state=form.cleaned_data["state"], user=request.user,
                                   note=form.cleaned_data["note"])
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("The request has been closed."))
    return redirect("services:person", pk=row.person_id)


# ---------------------------------------------------------------- encounters

@requires(RECORD_SERVICES)
def encounter_choose(request: HttpRequest, pk: int) -> HttpResponse:
    """Which service is given: the catalogue, each with whether the person has an active
    consent to receive it."""
    served = _person(request, pk)
    rows = [{"service": s,
             "consent": services.active_consent(served, Purpose.SERVICE, s.code),
             "follow_up": services.active_consent(served, Purpose.FOLLOW_UP, s.code)
             if s.follow_ups else None}
            for s in catalogue_services().values()]
    return render(request, "services/encounter_choose.html", {**_identity(served), "rows": rows})


@requires(RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def encounter_new(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """服务记录: record a service given, with the catalogue's items of the service. Refused
    without the person's active consent to receive it (the page links to record one)."""
    served = _person(request, pk)
    chosen = _chosen_service(code)
    form = forms.EncounterForm(request.POST or None, user=request.user, person=served,
                               service=chosen)
    if request.method == "POST" and form.is_valid():
        encounter = form.save()
        if encounter is not None:
            messages.success(request, _("The service has been recorded."))
            return redirect("services:encounter", pk=encounter.pk)
    return _form_page(request, served, form, service=chosen,
                      consent=services.active_consent(served, Purpose.SERVICE, chosen.code))


@requires(RECORD_SERVICES)
def encounter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One encounter of the user's units with its items as people read them (a logged
    view); another unit's encounter answers 404 (the person page shows it with a reason)."""
    encounter = get_object_or_404(Encounter.objects.visible_to(request.user)
                                  .select_related("person", "person__registered_org",
                                                  "person__current_org", "org", "consent",
                                                  "request", "recorded_by"), pk=pk)
    audit.record(AuditAction.VIEW, "service_encounter", encounter.pk,
                 details={"person_id": encounter.person_id})
    chosen = catalogue_services().get(encounter.service_code)
    follow_ups = FollowUp.objects.filter(encounter=encounter).order_by("due_on", "id")
    return render(request, "services/encounter.html", {
        **_identity(encounter.person), "encounter": encounter,
        "service": _service_name(encounter.service_code),
        "values": services.display_values(chosen, encounter.values) if chosen else [],
        "unknown_service": chosen is None,
        "follow_ups": [(f, _follow_up_name(f.service_code, f.kind)) for f in follow_ups]})


# ---------------------------------------------------------------- follow-ups

def _follow_up_page(request: HttpRequest, failed: FollowUp | None = None,
                    failed_form: forms.CloseFollowUpForm | None = None,
                    status: int = 200) -> HttpResponse:
    rows = services.follow_up_list(request.user).order_by("due_on", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    listed = []
    for f in page.object_list:
        form = failed_form if failed is not None and f.pk == failed.pk else None
        listed.append({"follow_up": f, "service": _service_name(f.service_code),
                       "kind": _follow_up_name(f.service_code, f.kind),
                       "form": form or forms.CloseFollowUpForm(auto_id=f"fu{f.pk}_%s")})
    return render(request, "services/follow_ups.html", {
        "rows": listed, "page": page, "today": clock.today()}, status=status)


@requires(RECORD_SERVICES)
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """随访: the follow-ups due in the user's units, of persons whose follow-up consent is
    active today (a withdrawal takes the person off at once)."""
    return _follow_up_page(request)


@requires(RECORD_SERVICES)
@require_POST
def follow_up_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a follow-up as done (with its outcome) or declined by the person."""
    row = get_object_or_404(services.follow_up_list(request.user), pk=pk)
    form = forms.CloseFollowUpForm(request.POST, auto_id=f"fu{row.pk}_%s")
    if form.is_valid():
        try:
            services.close_follow_up(row, state=form.cleaned_data["state"],
                                     outcome=form.cleaned_data["outcome"], user=request.user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The follow-up has been closed."))
            return redirect("services:follow_ups")
    return _follow_up_page(request, row, form, status=400)


# ---------------------------------------------------------------- catalogue

@requires(VIEW_SERVICE_FIGURES)
def catalogue(request: HttpRequest) -> HttpResponse:
    """服务项目目录: the services, who may ask, the items (sensitive ones marked) and the
    follow-ups. Health workers and everyone who reads the services' figures (health
    workers hold that capability too) may read it: it holds no person's data."""
    return render(request, "services/catalogue.html", {
        "services": list(catalogue_services().values()),
        "record": RECORD_SERVICES})


@requires(VIEW_SERVICE_FIGURES)
def figures(request: HttpRequest) -> HttpResponse:
    """服务统计: the services table of a unit of the user's subtree for a period (people
    served by service, coverage of the requests, waiting time, the pre-pregnancy check's
    shares), and the same headline figures for the units below — the catalogue indicators
    ``renkou analytics refresh`` computed, aggregates only."""
    from renkou.analytics import reports, store
    from renkou.analytics.periods import default_period

    try:
        con = store.connect()
    except store.NoIndicators:
        return render(request, "analytics/no_data.html", {"path": store.indicators_path()})
    try:
        periods = store.list_periods(con)
        if not periods:
            return render(request, "analytics/no_data.html", {"path": store.indicators_path()})
        units = forms.station_units(request.user)
        own = getattr(request.user, "org", None)
        code = request.GET.get("org") or (own.code if own is not None else "")
        unit = get_object_or_404(units, code=code) if code else units.first()
        if unit is None:
            raise Http404
        period = request.GET.get("period") or default_period(periods)
        if period not in {p.label for p in periods}:
            raise Http404(_("No statistics for this period."))
        report = reports.org_report(unit.code, period, con=con)
    finally:
        con.close()
    table = next((t for t in report.tables if t.key == "services"), None)
    below = units.filter(parent=unit).order_by("code")
    return render(request, "services/figures.html", {
        "unit": unit, "period": period, "periods": periods, "report": report, "table": table,
        "units": units.filter(level__lte=unit.level + 1) if unit else units, "below": below})
