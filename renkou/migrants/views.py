"""Pages of the migrant application (流动人口): thin views over
:mod:`renkou.migrants.services` (registration, spells, messages), the exchange
(:mod:`renkou.migrants.exchange`) and the rates (:mod:`renkou.migrants.rates`).

Each view declares its capability (:mod:`renkou.migrants.permissions`); what it lists
starts from the user's org subtree (``visible_to``), so a record outside it answers 404.
Lists mask ID numbers; a page that shows a person's record or a message's full payload
is a logged view; the list's download is a logged export.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from renkou.accounts.permissions import has_capability, requires
from renkou.core import audit, clock
from renkou.core.downloads import RemovedOnClose, temporary_file_download
from renkou.core.job_views import start_and_follow
from renkou.core.models import AuditAction
from renkou.core.tables import TableWriter
from renkou.register.forms import attach_errors
from renkou.register.identity import mask_id_number
from renkou.register.search import name_match, scoped_persons

from . import forms, services
from .listing import LIST_COLUMNS, current_spells, list_rows
from .models import (
    Batch,
    Box,
    Direction,
    MatchStatus,
    Message,
    MessageQuerySet,
    MessageState,
    MessageType,
    MigrantSpell,
    Peer,
    SpellQuerySet,
)
from .permissions import EXCHANGE_MIGRANTS, MANAGE_PEERS, REGISTER_MIGRANTS, VIEW_MIGRANT_RATES
from .readable import payload_rows, subject_label

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations

    from .listing import LastMessage

PAGE_SIZE = 50
#: The URL slugs of the two lists.
DIRECTION_OF = {"inflow": Direction.INFLOW, "outflow": Direction.OUTFLOW}
SLUG_OF: dict[str, str] = {v: k for k, v in DIRECTION_OF.items()}


def _spells(request: HttpRequest) -> SpellQuerySet:
    return MigrantSpell.objects.visible_to(request.user)


def _messages(request: HttpRequest) -> MessageQuerySet:
    return Message.objects.visible_to(request.user)


def _peer_names() -> dict[str, str]:
    return dict(Peer.objects.values_list("code", "name"))


def _show_errors(request: HttpRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


# ---------------------------------------------------------------- index

@requires(REGISTER_MIGRANTS)
def index(request: HttpRequest) -> HttpResponse:
    """流动人口: the current migrants of the subtree, the messages waiting, the links."""
    today = clock.today()
    current = _spells(request).current()
    counts = dict.fromkeys(Direction.values, 0)
    for direction in current.values_list("direction", flat=True):
        counts[direction] += 1
    from .file_imports import FILE_IMPORTS

    context: dict = {"inflow": counts[Direction.INFLOW], "outflow": counts[Direction.OUTFLOW],
                     "may_exchange": has_capability(request.user, EXCHANGE_MIGRANTS),
                     "imports": [(reverse(spec.url_name), spec.title) for spec in FILE_IMPORTS]}
    if context["may_exchange"]:
        msgs = _messages(request)
        context.update(
            received=msgs.filter(box=Box.INCOMING, state=MessageState.RECEIVED).count(),
            requests_open=msgs.filter(box=Box.INCOMING).open_requests().count(),
            overdue_in=msgs.filter(box=Box.INCOMING).overdue(today).count(),
            overdue_out=msgs.filter(box=Box.OUTGOING).overdue(today).count(),
            drafts=msgs.filter(box=Box.OUTGOING, state=MessageState.DRAFT).count())
    return render(request, "migrants/index.html", context)


# ---------------------------------------------------------------- lists of spells

def _filtered(request: HttpRequest, direction: str,
              ) -> tuple[QuerySet[WithAnnotations[MigrantSpell, LastMessage]], forms.SpellFilterForm]:
    """The current spells of one direction the filters name (unit, reason, name), with
    their latest message (:func:`renkou.migrants.listing.current_spells`); a unit outside
    the user's subtree is not found."""
    form = forms.SpellFilterForm(request.GET or None, user=request.user)
    d = form.cleaned_data if form.is_valid() else {}
    try:
        spells = current_spells(request.user, direction, d.get("org") or None)
    except ValidationError:
        raise Http404 from None
    if d.get("reason"):
        spells = spells.filter(reason=d["reason"])
    if (d.get("q") or "").strip():
        spells = spells.filter(person__in=scoped_persons(request.user)
                               .filter(name_match(d["q"])).values("pk"))
    return spells, form


@requires(REGISTER_MIGRANTS)
def spell_list(request: HttpRequest, direction: str) -> HttpResponse:
    """流入人员 / 流出人员: the current spells, filtered, paginated, ID numbers masked."""
    spells, form = _filtered(request, direction)
    page = Paginator(spells, PAGE_SIZE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "migrants/spells.html", {
        "direction": direction, "slug": SLUG_OF[direction], "form": form, "page": page,
        "rows": list(zip(listed, list_rows(listed), strict=True)),
        "total": page.paginator.count, "query": query.urlencode()})


@requires(REGISTER_MIGRANTS)
def spell_download(request: HttpRequest, direction: str) -> FileResponse:
    """The list as the page filters it, as an Excel file (the columns of
    :data:`~renkou.migrants.listing.LIST_COLUMNS`, ID numbers masked); logged as an
    export of object type ``migrants``."""
    spells, form = _filtered(request, direction)
    d = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filename = f"migrants-{SLUG_OF[direction]}-{clock.today().isoformat()}.xlsx"
    keys = [key for key, _header in LIST_COLUMNS]

    def write(path: str) -> None:
        n = 0
        with TableWriter(path, [header for _key, header in LIST_COLUMNS],
                         sheet_title="流入人口" if direction == Direction.INFLOW else "流出人口") as table:
            for row in list_rows(spells):
                table.writerow([row[k] for k in keys])
                n += 1
        audit.record(AuditAction.EXPORT, "migrants", details={
            "direction": direction, "org": d.get("org") or "", "reason": d.get("reason") or "",
            "q": (d.get("q") or "").strip(), "format": "xlsx", "rows": n, "file": filename})

    return temporary_file_download(write, filename)


# ---------------------------------------------------------------- registering

@requires(REGISTER_MIGRANTS)
@require_http_methods(["GET", "POST"])
def arrival(request: HttpRequest) -> HttpResponse:
    """流入登记: a form with the register's unit picker → :func:`services.register_arrival`."""
    form = forms.ArrivalForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        if form.save() is not None:  # recorded (save returns the spell, typed as a Person)
            spell = form.spell
            messages.success(request, _("The arrival of %(name)s has been registered.")
                             % {"name": spell.person.name})
            return redirect("migrants:spell", pk=spell.pk)
    return render(request, "migrants/form.html", {"form": form, "back": "migrants:inflow"},
                  status=400 if form.is_bound and form.errors else 200)


@requires(REGISTER_MIGRANTS)
@require_http_methods(["GET", "POST"])
def departure(request: HttpRequest) -> HttpResponse:
    """流出登记: a resident of the subtree, chosen with the person picker →
    :func:`services.register_departure`."""
    initial = {"person": request.GET["person"]} if request.GET.get("person") else None
    form = forms.DepartureForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.save() is not None:  # recorded (save returns the spell, typed as a Person)
            spell = form.spell
            messages.success(request, _("The departure of %(name)s has been registered.")
                             % {"name": spell.person.name})
            return redirect("migrants:spell", pk=spell.pk)
    return render(request, "migrants/form.html", {"form": form, "back": "migrants:outflow"},
                  status=400 if form.is_bound and form.errors else 200)


# ---------------------------------------------------------------- one spell

def _spell(request: HttpRequest, pk: int) -> MigrantSpell:
    return get_object_or_404(
        _spells(request).select_related("person", "person__registered_org", "residence_org",
                                        "manager_org", "recorded_by"), pk=pk)


def _spell_page(request: HttpRequest, spell: MigrantSpell, end_form=None,
                status: int = 200) -> HttpResponse:
    person = spell.person
    audit.record(AuditAction.VIEW, "person", person.pk, details={"migrant_spell": spell.pk})
    history = (_spells(request).filter(person=person)
               .select_related("residence_org", "manager_org").order_by("-start_date", "-id"))
    spell_messages = (Message.objects.filter(spell=spell).select_related("person")
                      .order_by("-created_at", "-id"))
    return render(request, "migrants/spell.html", {
        "spell": spell, "person": person, "masked": mask_id_number(person.id_number),
        "residence": spell.residence_label or "—", "history": history,
        "spell_messages": spell_messages, "today": clock.today(),
        "person_visible": scoped_persons(request.user).filter(pk=person.pk).exists(),
        "may_exchange": has_capability(request.user, EXCHANGE_MIGRANTS),
        "end_form": end_form or forms.EndSpellForm(),
    }, status=status)


@requires(REGISTER_MIGRANTS)
def spell_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A spell: the person (masked ID, a link to the person page), the three places, the
    dates, the person's spells, its messages and the form that ends it."""
    return _spell_page(request, _spell(request, pk))


@requires(REGISTER_MIGRANTS)
@require_POST
def spell_end(request: HttpRequest, pk: int) -> HttpResponse:
    spell = _spell(request, pk)
    form = forms.EndSpellForm(request.POST)
    if form.is_valid():
        try:
            services.end_spell(spell, end_date=form.cleaned_data["end_date"],
                               end_reason=form.cleaned_data["end_reason"], user=request.user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The spell has been ended."))
            return redirect("migrants:spell", pk=spell.pk)
    return _spell_page(request, spell, end_form=form, status=400)


# ---------------------------------------------------------------- messages

#: The state filter's choices besides the states: overdue is computed, never stored.
OVERDUE = "overdue"


def overdue_ids(messages_: list[Message], today: dt.date) -> set[int]:
    """Which of these messages are overdue now (open requests past their deadline)."""
    open_states = {MessageState.SENT, MessageState.RECEIVED}
    return {m.pk for m in messages_ if m.type == MessageType.VERIFICATION_REQUEST
            and m.state in open_states and m.deadline is not None and m.deadline < today}


@requires(EXCHANGE_MIGRANTS)
def message_list(request: HttpRequest, box: str) -> HttpResponse:
    """收件箱 / 发件箱: messages received or sent, by state (or overdue) and type."""
    today = clock.today()
    state, kind = request.GET.get("state", ""), request.GET.get("type", "")
    qs = _messages(request).filter(box=box).select_related("person")
    if state == OVERDUE:
        qs = qs.overdue(today)
    elif state in MessageState.values:
        qs = qs.filter(state=state)
    if kind in MessageType.values:
        qs = qs.filter(type=kind)
    # 比对: e.g. birth notices of children not in the register, for the cross-checks
    match = request.GET.get("match", "")
    if box == Box.INCOMING and match in MatchStatus.values and match:
        qs = qs.filter(match=match)
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    late = overdue_ids(listed, today)
    names = _peer_names()
    rows = [{"message": m, "overdue": m.pk in late,
             "counterparty": m.counterparty, "counterparty_name": names.get(m.counterparty, ""),
             "masked": mask_id_number(m.person.id_number) if m.person else "",
             "who": m.person.name if m.person else _payload_name(m.payload)} for m in listed]
    return render(request, "migrants/messages.html", {
        "box": box, "rows": rows, "page": page, "state": state, "kind": kind, "match": match,
        "matches": [(v, label) for v, label in MatchStatus.choices if v],
        "states": [*MessageState.choices, (OVERDUE, _("overdue"))],
        "types": MessageType.choices})


def _payload_name(payload: dict) -> str:
    for key in ("person", "child"):
        facts = payload.get(key)
        if isinstance(facts, dict) and facts.get("name"):
            return str(facts["name"])
    return ""


def _message(request: HttpRequest, pk: int) -> Message:
    return get_object_or_404(_messages(request).select_related("person", "spell", "batch"), pk=pk)


def _may_answer(message: Message) -> bool:
    return (message.box == Box.INCOMING and message.type == MessageType.VERIFICATION_REQUEST
            and message.state == MessageState.RECEIVED)


def _message_page(request: HttpRequest, message: Message, *, answer_form=None, reject_form=None,
                  status: int = 200) -> HttpResponse:
    today = clock.today()
    audit.record(AuditAction.VIEW, "migrant_message", message.pk,
                 details={"person_id": message.person_id} if message.person_id else None)
    visible = _messages(request)
    answers = list(visible.filter(correlation_id=message.message_id).order_by("created_at"))
    answered = (visible.filter(message_id=message.correlation_id).first()
                if message.correlation_id else None)
    subject = message.payload.get("subject", "") if isinstance(message.payload, dict) else ""
    names = _peer_names()
    return render(request, "migrants/message.html", {
        "message": message, "rows": payload_rows(message.payload),
        "overdue": bool(overdue_ids([message], today)), "answers": answers,
        "answered": answered, "subject_label": subject_label(subject) if subject else "",
        "sender_name": names.get(message.sender, ""),
        "receiver_name": names.get(message.receiver, ""),
        "may_answer": _may_answer(message),
        "may_reject": message.box == Box.INCOMING and message.state == MessageState.RECEIVED,
        "may_close": message.state not in (MessageState.DRAFT, MessageState.CLOSED),
        "answer_form": answer_form or forms.AnswerForm(subject=subject),
        "reject_form": reject_form or forms.RejectForm(),
        "person_visible": message.person_id is not None
        and scoped_persons(request.user).filter(pk=message.person_id).exists(),
    }, status=status)


@requires(EXCHANGE_MIGRANTS)
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A message: its envelope, its payload one row per field, and what may be done."""
    return _message_page(request, _message(request, pk))


@requires(EXCHANGE_MIGRANTS)
@require_POST
def message_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """协查反馈: answer a verification request received."""
    message = _message(request, pk)
    subject = message.payload.get("subject", "") if isinstance(message.payload, dict) else ""
    form = forms.AnswerForm(request.POST, subject=subject)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.answer_request(message, result=d["result"], found=d["found"],
                                    alive=d.get("alive"), user=request.user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The answer has been written; it goes out with the next "
                                        "batch."))
            return redirect("migrants:message", pk=message.pk)
    return _message_page(request, message, answer_form=form, status=400)


@requires(EXCHANGE_MIGRANTS)
@require_POST
def message_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse a message received, with the reason (the sender is told in a receipt)."""
    message = _message(request, pk)
    form = forms.RejectForm(request.POST)
    if form.is_valid():
        try:
            services.reject_message(message, reason=form.cleaned_data["reason"], user=request.user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The message has been rejected; the sender is told with "
                                        "the next batch."))
            return redirect("migrants:message", pk=message.pk)
    return _message_page(request, message, reject_form=form, status=400)


@requires(EXCHANGE_MIGRANTS)
@require_POST
def message_close(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    try:
        services.close_message(message, user=request.user)
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(request, _("The message has been closed."))
    return redirect("migrants:message", pk=message.pk)


@requires(EXCHANGE_MIGRANTS)
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """协查请求: a verification request to another office about a person here."""
    initial = {"person": request.GET["person"]} if request.GET.get("person") else None
    form = forms.RequestForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        message = form.save()
        if message is not None:
            messages.success(request, _("The verification request has been written; it goes out "
                                        "with the next batch."))
            return redirect("migrants:message", pk=message.pk)
    return render(request, "migrants/form.html", {
        "form": form, "back": "migrants:outbox", "peers": Peer.objects.all()},
        status=400 if form.is_bound and form.errors else 200)



# ---------------------------------------------------------------- exchange and rates

def _exchange_page(request: HttpRequest, *, peer_form=None, import_form=None,
                   imported=None, refused: str = "", status: int = 200) -> HttpResponse:
    from . import signing

    try:
        office = services.office_code()
    except ValidationError:
        office = ""
    try:
        key = signing.current_key()
    except ValidationError:
        key = None
    drafts = dict(Message.objects.filter(box=Box.OUTGOING, state=MessageState.DRAFT)
                  .values("receiver").annotate(n=Count("pk")).values_list("receiver", "n"))
    receipts = dict(Message.objects.filter(box=Box.INCOMING, receipt_pending=True)
                    .values("sender").annotate(n=Count("pk")).values_list("sender", "n"))
    peers = [{"peer": p, "drafts": drafts.get(p.code, 0), "receipts": receipts.get(p.code, 0)}
             for p in Peer.objects.order_by("code")]
    known = {p["peer"].code for p in peers}
    strangers = sorted((code, n) for code, n in drafts.items() if code not in known)
    return render(request, "migrants/exchange.html", {
        "office": office, "key": key, "public_key": signing.public_key_text(key) if key else "",
        "peers": peers, "strangers": strangers,
        "batches": Batch.objects.defer("content", "answer").order_by("-created_at", "-id")[:50],
        "peer_form": peer_form or forms.PeerForm(),
        "export_form": forms.ExportBatchForm(), "import_form": import_form or forms.ImportBatchForm(),
        "imported": imported, "refused": refused,
        "may_send": has_capability(request.user, EXCHANGE_MIGRANTS),
        "http_peers": sum(1 for p in peers if p["peer"].url),
    }, status=status)


@requires(MANAGE_PEERS)
def exchange(request: HttpRequest) -> HttpResponse:
    """信息交换: this office's code and public key, its counterpart offices (peers) with
    what waits for each, the batches sent and received, and the buttons of the two
    transports (a file for an office, a file imported, a push over HTTP)."""
    return _exchange_page(request)


@requires(MANAGE_PEERS)
@require_POST
def key_create(request: HttpRequest) -> HttpResponse:
    """This office's first key pair (a new one later is ``renkou migrants keys create``:
    every counterpart office must then register the new public key)."""
    from . import signing

    try:
        signing.current_key()
    except ValidationError:
        try:
            signing.create_office_key(services.office_code(), user=request.user)
        except ValidationError as error:
            _show_errors(request, error)
        else:
            messages.success(request, _("This office's exchange key has been made; give its public "
                                        "key to each counterpart office."))
    else:
        messages.warning(request, _("This office has a key already."))
    return redirect("migrants:exchange")


@requires(MANAGE_PEERS)
def public_key_file(request: HttpRequest) -> HttpResponse:
    """The office's public key as a file, for the counterpart offices (``peers add --key``)."""
    from . import signing

    try:
        key = signing.current_key()
    except ValidationError as error:
        _show_errors(request, error)
        return redirect("migrants:exchange")
    response = HttpResponse(signing.public_key_text(key) + "\n", content_type="text/plain")
    response["Content-Disposition"] = f'attachment; filename="renkou-{key.office_code}.pub"'
    return response


@requires(MANAGE_PEERS)
@require_POST
def peer_add(request: HttpRequest) -> HttpResponse:
    """Register a counterpart office, or update its name, key or address (the same code)."""
    code = (request.POST.get("code") or "").strip()
    instance = Peer.objects.filter(code=code.ljust(12, "0")).first() if code.isdigit() else None
    form = forms.PeerForm(request.POST, instance=instance)
    if form.is_valid():
        created = instance is None
        peer = form.save(commit=False)
        if created:
            peer.added_at, peer.added_by = clock.now(), request.user
        peer.save()
        audit.record(AuditAction.CREATE if created else AuditAction.CHANGE, "migrant_peer",
                     peer.pk, details={"code": peer.code, "url": peer.url,
                                       "public_key": peer.public_key})
        messages.success(request, (_("Counterpart office %(code)s registered.") if created
                                   else _("Counterpart office %(code)s updated."))
                         % {"code": peer.code})
        return redirect("migrants:exchange")
    return _exchange_page(request, peer_form=form, status=400)


@requires(MANAGE_PEERS)
@require_POST
def batch_export(request: HttpRequest) -> HttpResponseBase:
    """下载批次: every message waiting for one office (and the receipts owed to it) as one
    signed batch file (:func:`renkou.migrants.exchange.export_batch`); nothing waiting, no
    file."""
    from .exchange import export_batch

    form = forms.ExportBatchForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:  # an ErrorList yields its messages as str
                messages.error(request, str(text))
        return redirect("migrants:exchange")
    handle, name = tempfile.mkstemp(prefix="renkou-batch-", suffix=".json")
    os.close(handle)
    try:
        result = export_batch(form.cleaned_data["to"], name, request.user)
    except ValidationError as error:
        Path(name).unlink(missing_ok=True)
        _show_errors(request, error)
        return redirect("migrants:exchange")
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    if result.batch is None:
        Path(name).unlink(missing_ok=True)
        messages.info(request, result.summary)
        return redirect("migrants:exchange")
    batch = result.batch
    filename = f"batch-{batch.sender}-{batch.receiver}-{clock.today().isoformat()}.json"
    return FileResponse(RemovedOnClose(io.FileIO(name, "rb")), as_attachment=True,
                        filename=filename)


@requires(MANAGE_PEERS)
@require_POST
def batch_import(request: HttpRequest) -> HttpResponse:
    """导入批次: a batch file received from an office, checked and applied whole, once
    (:func:`renkou.migrants.exchange.import_batch`); the page says what it did, or why the
    batch was refused, and offers the receipts for the sender."""
    from .exchange import BatchRefused, import_batch

    form = forms.ImportBatchForm(request.POST, request.FILES)
    if not form.is_valid():
        return _exchange_page(request, import_form=form, status=400)
    data = form.cleaned_data["batch"].read()
    try:
        result = import_batch(data, transport="file", user=request.user)
    except BatchRefused as refused:
        return _exchange_page(request, refused=refused.reason, status=400)
    stored = Batch.objects.filter(box=Box.INCOMING, batch_id=result.batch_id).first()
    labels = dict(MessageType.choices)
    return _exchange_page(request, imported={
        "result": result, "batch": stored,
        "types": [(labels.get(kind, kind), n) for kind, n in result.by_type.items()]})


@requires(MANAGE_PEERS)
def batch_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A batch as a file again: an outgoing batch as sent (its receiver recognises a batch
    it has seen, so sending it twice changes nothing), an incoming one's signed receipts
    for its sender. Batches carry persons' facts: a logged export."""
    from .exchange import batch_bytes

    batch = get_object_or_404(Batch, pk=pk)
    content = batch.content if batch.box == Box.OUTGOING else batch.answer
    if not content:
        raise Http404
    kind = "batch" if batch.box == Box.OUTGOING else "receipts"
    filename = f"{kind}-{batch.sender}-{batch.receiver}-{batch.batch_id}.json"
    audit.record(AuditAction.EXPORT, "migrant_batch", batch.pk,
                 details={"file": filename, "box": batch.box})
    response = HttpResponse(batch_bytes(content), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@requires(MANAGE_PEERS)
@require_POST
def exchange_send(request: HttpRequest) -> HttpResponse:
    """Push the waiting batches over HTTP to every counterpart office with a server
    address, as a background job (:data:`renkou.migrants.jobs.SEND_BATCHES`)."""
    from .jobs import SEND_BATCHES

    return start_and_follow(request, SEND_BATCHES, options={"attempts": 3, "backoff": 2.0})


@requires(VIEW_MIGRANT_RATES)
def rates(request: HttpRequest) -> HttpResponseBase:
    """考核指标: 通报率, 反馈率, 及时反馈率, overdue now, median days to answer and 建档率 of a
    period (default the current half-year), per counterparty office and in total, both
    directions, each rate with its numerator and denominator
    (:func:`renkou.migrants.rates.exchange_rates`); also as an Excel or CSV file."""
    from .rates import exchange_rates, flat_header, flat_rows

    form = forms.RatesForm(request.GET or {"period": forms.current_half_year()})
    report = None
    if form.is_valid():
        d = form.cleaned_data
        report = exchange_rates(d["period"], request.user, counterparty=d["counterparty"] or None)
        fmt = request.GET.get("format", "")
        if fmt in ("xlsx", "csv"):
            def write(path: str) -> None:
                with TableWriter(path, flat_header(), sheet_title=report.period.label) as table:
                    table.writerows(flat_rows(report))

            return temporary_file_download(write, f"migrant-rates-{report.period.label}.{fmt}")
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "migrants/rates.html", {
        "form": form, "report": report, "peers": Peer.objects.all(),
        "rows": [*report.rows, report.total] if report and report.total else [],
        "query": query.urlencode() or f"period={forms.current_half_year()}"})
