"""Pages of family benefits: thin views over the benefit functions
(:mod:`~renkou.benefits.screening`, :mod:`~renkou.benefits.workflow`,
:mod:`~renkou.benefits.rosters`, :mod:`~renkou.benefits.requalification`,
:mod:`~renkou.benefits.payment_figures`, :mod:`~renkou.benefits.history`,
:mod:`~renkou.benefits.programme_versions`).

Each view declares its capability; records outside the user's subtree answer 404 and
steps outside the user's role 403 (the functions decide, the views translate).
"""

from __future__ import annotations

import io
from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.accounts.permissions import Capability, has_capability, requires
from renkou.core import clock
from renkou.core.downloads import temporary_file_download
from renkou.core.job_views import start_and_follow
from renkou.register.identity import mask_id_number
from renkou.register.models import Person

from . import forms, payment_figures, printing, requalification
from .history import recipient_history
from .jobs import ROSTER, SCREENING
from .models import Application, ApplicationState, Decision, Notice, Objection, Roster
from .permissions import APPROVE_BENEFITS, MANAGE_BENEFITS
from .programme_versions import add_version
from .programmes import programme, programmes
from .rosters import (
    ROSTER_SIGNATURES,
    mark_roster_paid,
    roster_rows,
    roster_title_block,
    roster_total,
    write_bank_csv,
    write_roster_xlsx,
)
from .screening import (
    current_screening,
    log_screening_view,
    screens_in_background,
    store_screening,
    stored_rows,
    write_screening_csv,
)
from .workflow import (
    WorkflowError,
    may_take_step,
    open_applications,
    open_notice,
    open_walk_in,
    pending_step,
    record_objection,
    resolve_objection,
    review,
    scoped_applications,
    set_bank_account,
)

PAGE_SIZE = 100


def _fail(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, str(exc))


@requires(MANAGE_BENEFITS)
def index(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    # @requires lets in logged-in users only (the check narrows the type)
    org = request.user.org if request.user.is_authenticated else None
    progs = [(p, p.version_for(org.code if org else "", today)) for p in programmes().values()]
    counts = Counter(scoped_applications(request.user).values_list("state", flat=True))
    states = [(s, label, counts.get(s, 0)) for s, label in ApplicationState.choices]
    return render(request, "benefits/index.html", {"programmes": progs, "states": states})


@requires(MANAGE_BENEFITS)
def programme_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        prog = programme(code)
    except KeyError:
        raise Http404 from None
    versions = sorted(prog.versions, key=lambda v: (v.org_prefix, v.effective_from))
    return render(request, "benefits/programme.html",
                  {"prog": prog, "versions": versions, "form": forms.VersionForm()})


@requires(APPROVE_BENEFITS)
@require_POST
def version_add(request: HttpRequest, code: str) -> HttpResponse:
    form = forms.VersionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            add_version(request.user, code, effective_from=d["effective_from"],
                        amounts={d["rate"] or "default": d["amount"]},
                        org_prefix=d["org_prefix"], note=d["note"])
            messages.success(request, _("version added"))
        except (WorkflowError, KeyError) as exc:
            _fail(request, exc)
    else:
        messages.error(request, form.errors.as_text())
    return redirect("benefits:programme", code=code)


def _screen_query(request: HttpRequest):
    query = None
    if request.GET:  # a link naming only the programme screens the default year
        query = request.GET.copy()
        query.setdefault("year", str(forms.ScreenForm.base_fields["year"].initial()))
    return query


@requires(MANAGE_BENEFITS)
def screen(request: HttpRequest) -> HttpResponse:
    """The screening list, turned page by page through the stored screening
    (:mod:`renkou.benefits.screening`): computed here for a township or a village, by a
    background job for a county (the page offers to start it)."""
    form = forms.ScreenForm(_screen_query(request), user=request.user)
    context: dict = {"form": form}
    if form.is_valid():
        d = form.cleaned_data
        org = d["org"] or None
        try:
            prog = programme(d["programme"])
            run = current_screening(request.user, prog.code, d["year"], org)
            if run is None and screens_in_background(request.user, org):
                context.update(prog=prog, year=d["year"], org=org or "", start=True)
                return render(request, "benefits/screen.html", context)
            if run is None:
                run = store_screening(request.user, prog.code, d["year"], org)
        except WorkflowError as exc:
            _fail(request, exc)
            return render(request, "benefits/screen.html", context)
        if request.GET.get("format") == "csv":
            out = io.StringIO()
            write_screening_csv(prog, d["year"], stored_rows(run), out, org_code=org)
            response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="screening-{prog.code}-{d["year"]}.csv"')
            return response
        page = Paginator(run.rows.all(), PAGE_SIZE).get_page(request.GET.get("page"))
        log_screening_view(prog, d["year"], org, run.total)
        listed = [r.person_id for r in page]
        taken = set(Application.objects.filter(programme=prog.code, person_id__in=listed)
                    .exclude(state__in=["rejected", "stopped"]).values_list("person_id", flat=True))
        rows = [(r, r.masked_id_number, r.person_id in taken) for r in page]
        query = request.GET.copy()
        query.pop("page", None)
        context.update(prog=prog, page=page, rows=rows, total=run.total, amount=run.amount,
                       year=d["year"], run=run, query=query.urlencode())
    return render(request, "benefits/screen.html", context)


@requires(MANAGE_BENEFITS)
@require_POST
def screen_start(request: HttpRequest) -> HttpResponse:
    """Screen a county as a background job; its page leads back to the list."""
    form = forms.ScreenForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("benefits:screen")
    d = form.cleaned_data
    org = d["org"] or ""
    return start_and_follow(request, SCREENING, scope=org or None, options={
        "programme": d["programme"], "year": d["year"], "org": org})


@requires(MANAGE_BENEFITS)
@require_POST
def open_bulk(request: HttpRequest) -> HttpResponse:
    code, year = request.POST.get("programme", ""), request.POST.get("year", "")
    ids = [i for i in request.POST.getlist("person") if i.isdigit()]
    try:
        opened = open_applications(request.user, code, int(year), ids)
    except (WorkflowError, KeyError, ValueError) as exc:
        _fail(request, exc)
        return redirect("benefits:index")
    messages.success(request, _("%(n)s applications opened") % {"n": len(opened)})
    return redirect(f"{_url('benefits:applications')}?programme={code}")


def _url(name: str, **kwargs) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


@requires(MANAGE_BENEFITS)
def applications(request: HttpRequest) -> HttpResponse:
    qs = scoped_applications(request.user)
    state, code = request.GET.get("state", ""), request.GET.get("programme", "")
    if state:
        qs = qs.filter(state=state)
    if code:
        qs = qs.filter(programme=code)
    page = Paginator(qs.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(a, mask_id_number(a.person.id_number)) for a in page]
    return render(request, "benefits/applications.html", {
        "page": page, "rows": rows, "state": state, "programme": code,
        "states": ApplicationState.choices, "programmes": programmes(),
        "walk_in": forms.WalkInForm(user=request.user),
        "notice_form": forms.NoticeForm(initial={"programme": code}),
    })


@requires(MANAGE_BENEFITS)
@require_POST
def walk_in(request: HttpRequest) -> HttpResponse:
    form = forms.WalkInForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("benefits:applications")
    d = form.cleaned_data
    person = d["person_id"]  # a person the user may see (the form resolved it)
    try:
        app = open_walk_in(request.user, d["programme"], d["year"], person,
                           attestations=form.attestations(), rate=d["rate"] or "default",
                           comment=d["comment"])
    except (WorkflowError, KeyError) as exc:
        _fail(request, exc)
        return redirect("benefits:applications")
    return redirect("benefits:application", pk=app.pk)


def _application(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(scoped_applications(request.user), pk=pk)


@requires(MANAGE_BENEFITS)
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    decisions = app.decisions.select_related("user").defer("attachment")
    return render(request, "benefits/application.html", {
        "app": app, "prog": programme(app.programme), "decisions": decisions,
        "masked": mask_id_number(app.person.id_number), "step": pending_step(app),
        "may_decide": may_take_step(request.user, app),
        "decision_form": forms.DecisionForm(),
        "bank_form": forms.BankForm(initial={"payee_name": app.payee_name,
                                             "bank_name": app.bank_name}),
        "account_tail": app.bank_account[-4:] if app.bank_account else "",
        "objections": app.objections.all(), "payments": app.payments.select_related("roster"),
    })


@requires(MANAGE_BENEFITS)
@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    form = forms.DecisionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("benefits:application", pk=pk)
    d = form.cleaned_data
    try:
        review(request.user, app, approve=d["decision"] == "pass", comment=d["comment"],
               attachment=d.get("attachment"))
        messages.success(request, _("decision recorded"))
    except WorkflowError as exc:
        _fail(request, exc)
    return redirect("benefits:application", pk=pk)


@requires(MANAGE_BENEFITS)
@require_POST
def application_bank(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    form = forms.BankForm(request.POST)
    if form.is_valid():
        try:
            set_bank_account(request.user, app, **form.cleaned_data)
            messages.success(request, _("bank account recorded"))
        except WorkflowError as exc:
            _fail(request, exc)
    else:
        messages.error(request, form.errors.as_text())
    return redirect("benefits:application", pk=pk)


@requires(MANAGE_BENEFITS)
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(Decision, pk=pk, attachment_name__gt="")
    _application(request, decision.application_id)  # 404 outside the subtree
    from renkou.core import audit
    from renkou.core.models import AuditAction

    audit.record(AuditAction.VIEW, "benefit_attachment", decision.pk,
                 details={"application": decision.application_id})
    assert decision.attachment is not None  # saved with its attachment_name (record_decision)
    response = HttpResponse(bytes(decision.attachment),
                            content_type=decision.attachment_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{decision.attachment_name}"'
    return response


@requires(MANAGE_BENEFITS)
def notices(request: HttpRequest) -> HttpResponse:
    return render(request, "benefits/notices.html", {
        "notices": Notice.objects.visible_to(request.user).order_by("-starts_on", "-id")[:200],
        "today": clock.today()})


@requires(MANAGE_BENEFITS)
@require_POST
def notice_open(request: HttpRequest) -> HttpResponse:
    form = forms.NoticeForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("benefits:applications")
    d = form.cleaned_data
    apps = scoped_applications(request.user).filter(
        pk__in=[i for i in request.POST.getlist("application") if i.isdigit()])
    try:
        notice = open_notice(request.user, d["programme"], apps, starts_on=d["starts_on"],
                             days=d["days"])
    except (WorkflowError, KeyError) as exc:
        _fail(request, exc)
        return redirect("benefits:applications")
    except PermissionDenied:
        raise
    return redirect("benefits:notice", pk=notice.pk)


@requires(MANAGE_BENEFITS)
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.visible_to(request.user), pk=pk)
    apps = notice.applications.select_related("person", "org").order_by("org__code", "id")
    rows = [(a, mask_id_number(a.person.id_number)) for a in apps]
    return render(request, "benefits/notice.html", {
        "notice": notice, "prog": programme(notice.programme), "rows": rows,
        "objections": notice.objections.select_related("application__person"),
        "objection_form": forms.ObjectionForm(), "resolve_form": forms.ResolveForm(),
        "today": clock.today()})


@requires(MANAGE_BENEFITS)
def notice_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice laid out for the notice board (names and masked ID numbers only)."""
    notice = get_object_or_404(Notice.objects.visible_to(request.user).select_related("org"),
                               pk=pk)
    return render(request, "benefits/notice_print.html", {"sheet": printing.notice_sheet(notice)})


@requires(MANAGE_BENEFITS)
def notice_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The notice for the notice board as a PDF; the export is logged."""
    notice = get_object_or_404(Notice.objects.visible_to(request.user).select_related("org"),
                               pk=pk)
    sheet = printing.notice_sheet(notice)
    return temporary_file_download(
        lambda path: printing.write_notice_pdf(sheet, path, user=request.user),
        f"notice-{notice.programme}-{notice.pk}.pdf")


@requires(MANAGE_BENEFITS)
@require_POST
def objection_add(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.visible_to(request.user), pk=pk)
    form = forms.ObjectionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        app = get_object_or_404(notice.applications.all(), pk=d["application"])
        try:
            record_objection(request.user, notice, app, d["text"], d["received_on"])
            messages.success(request, _("objection recorded"))
        except WorkflowError as exc:
            _fail(request, exc)
    else:
        messages.error(request, form.errors.as_text())
    return redirect("benefits:notice", pk=pk)


@requires(MANAGE_BENEFITS)
@require_POST
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection, pk=pk)
    get_object_or_404(Notice.objects.visible_to(request.user), pk=objection.notice_id)
    form = forms.ResolveForm(request.POST)
    if form.is_valid():
        try:
            resolve_objection(request.user, objection,
                              upheld=form.cleaned_data["resolution"] == "upheld",
                              comment=form.cleaned_data["comment"])
            messages.success(request, _("objection resolved"))
        except WorkflowError as exc:
            _fail(request, exc)
    else:
        messages.error(request, form.errors.as_text())
    return redirect("benefits:notice", pk=objection.notice_id)


@requires(MANAGE_BENEFITS)
def rosters(request: HttpRequest, form: forms.RosterForm | None = None,
            status: int = 200) -> HttpResponse:
    """The rosters of the user's area; the county makes them (:func:`roster_new`)."""
    may_generate = has_capability(request.user, APPROVE_BENEFITS)
    return render(request, "benefits/rosters.html", {
        "form": (form or forms.RosterForm()) if may_generate else None,
        "rosters": Roster.objects.visible_to(request.user)[:200]}, status=status)


@requires(APPROVE_BENEFITS)
@require_POST
def roster_new(request: HttpRequest) -> HttpResponse:
    """Make the payment roster of a period: a county step, run as a background job."""
    form = forms.RosterForm(request.POST)
    if form.is_valid():
        return start_and_follow(request, ROSTER, options={
            "programme": form.cleaned_data["programme"], "period": form.cleaned_data["period"]})
    return rosters(request, form=form, status=400)


@requires(MANAGE_BENEFITS)
def roster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The roster, laid out to print: title block, lines, total, signature lines."""
    roster = get_object_or_404(Roster.objects.visible_to(request.user), pk=pk)
    rows = roster_rows(roster)
    return render(request, "benefits/roster.html", {
        "roster": roster, "prog": programme(roster.programme), "rows": rows,
        "head": roster_title_block(roster), "signatures": ROSTER_SIGNATURES,
        "total": roster_total(rows), "paid_form": forms.PaidForm()})


@requires(MANAGE_BENEFITS)
def roster_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The roster as a PDF (masked ID numbers and accounts); the export is logged."""
    roster = get_object_or_404(Roster.objects.visible_to(request.user), pk=pk)
    return temporary_file_download(
        lambda path: printing.write_roster_pdf(roster, path, user=request.user),
        f"roster-{roster.programme}-{roster.period}.pdf")


@requires(MANAGE_BENEFITS)
def roster_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    roster = get_object_or_404(Roster.objects.visible_to(request.user), pk=pk)
    out = io.BytesIO()
    write_roster_xlsx(roster, out)
    response = HttpResponse(out.getvalue(), content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = (
        f'attachment; filename="roster-{roster.programme}-{roster.period}.xlsx"')
    return response


@requires(APPROVE_BENEFITS)
def roster_bank(request: HttpRequest, pk: int) -> HttpResponse:
    roster = get_object_or_404(Roster.objects.visible_to(request.user), pk=pk)
    out = io.StringIO()
    write_bank_csv(roster, out)
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="bank-{roster.programme}-{roster.period}.csv"')
    return response


@requires(APPROVE_BENEFITS)
@require_POST
def roster_paid(request: HttpRequest, pk: int) -> HttpResponse:
    roster = get_object_or_404(Roster.objects.visible_to(request.user), pk=pk)
    form = forms.PaidForm(request.POST)
    if form.is_valid():
        n = mark_roster_paid(request.user, roster, form.cleaned_data["paid_on"])
        messages.success(request, _("%(n)s payments recorded as paid") % {"n": n})
    return redirect("benefits:roster", pk=pk)


@requires(APPROVE_BENEFITS)
def requalify(request: HttpRequest) -> HttpResponse:
    form = forms.RequalifyForm(request.POST or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = requalification.requalify(request.user, form.cleaned_data["programme"],
                                               form.cleaned_data["year"])
        except WorkflowError as exc:
            _fail(request, exc)
    return render(request, "benefits/requalify.html", {"form": form, "report": report})


@requires(Capability.VIEW_AGGREGATES)
def figures(request: HttpRequest) -> HttpResponse:
    form = forms.FiguresForm(request.GET or {"year": clock.today().year - 1}, user=request.user)
    rows = []
    if form.is_valid():
        try:
            rows = payment_figures.figures(form.cleaned_data["year"], user=request.user,
                                           org_code=form.cleaned_data["org"] or None)
        except WorkflowError as exc:
            _fail(request, exc)
    names = {code: p.label for code, p in programmes().items()}
    for row in rows:
        row["programme_name"] = names.get(row["programme"], row["programme"])
    return render(request, "benefits/figures.html", {"form": form, "rows": rows})


@requires(MANAGE_BENEFITS)
def person_history(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    history = recipient_history(request.user, person)
    return render(request, "benefits/person.html", {
        "person": person, "masked": mask_id_number(person.id_number), **history,
        "programmes": {code: p.label for code, p in programmes().items()}})
