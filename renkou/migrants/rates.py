"""The exchange rates (考核指标) of a period, per counterparty office and in total.

Both places are assessed: the office here for what it owes the others (notifying its
arrivals, answering their requests, opening records of the people they announce) and
its counterparts for what they owe it (answering its requests). For a period (a label of
:mod:`renkou.analytics.periods`: ``2026H1``, ``2026Q3``, ``2026``, ``2026-05``, ``SY2026``)
from its first to its last day:

- **通报率 (notified rate)** = arrivals notified in time / arrivals. *Arrivals*: inflow
  spells (流入) begun in the period — not recorded in error (end reason ``corrected``),
  and not the continuation of the person's previous inflow spell here (a move between
  residences ends one spell "moved on" and opens the next the same day: no arrival). *In
  time*: the arrival notice (流入通报) of that spell was sent — its ``sent_at``, in the
  office's time zone — no later than :func:`renkou.migrants.deadlines.notice_deadline` of
  the arrival day (3 working days, China's holidays and 调休 days counted). The
  counterparty is the office of the hukou place (its county), to which the notice goes.
- **Requests received (they asked us)**: verification requests (协查) received in the period
  (the day their batch was imported here, ``created_at``). **反馈率 (answered rate)** =
  answered / received, *answered* meaning state answered or closed with ``answered_at``;
  **及时反馈率 (answered-in-time rate)** = answered on or before the request's deadline /
  received; **overdue** = still open (``sent`` or ``received``) with the deadline before
  today (computed now, never stored); **rejected** = refused with a reason; **median days
  to answer** = the median of (day answered − day received) over the answered ones. The
  counterparty is the sender.
- **Requests sent (we asked them)**: our verification requests sent in the period (their
  ``sent_at``), the same rates from the other side: answered by them (their answer
  received here, ``answered_at``), in time, overdue at their side, median days from the
  day sent to the day their answer came. The counterparty is the receiver.
- **建档率 (record-opened rate)** = arrivals known with a record opened / arrivals known.
  *Arrivals known*: (a) the arrivals above — each is an inflow record, so opened — and
  (b) the departure notices (流出通报) received in the period that announce someone coming
  to live here (the destination's code lies in this deployment, the hukou place does not:
  a person of ours coming home is no migrant) and that no arrival of the period answers.
  A notice is answered by an inflow spell here (any unit, not recorded in error) of the
  person it names — the register's person the exchange matched it to, or the person with
  the ID number it gives — that had not ended before the departure date it gives; an
  answer begun in the period makes it the same arrival as (a), counted once, and one
  begun before or after the period counts it as opened. The counterparty of (a) is the
  hukou place's office, of (b) the sender.

Every rate carries its numerator, denominator, value (a proportion, ``None`` when the
denominator is 0) and 95 % Wilson interval (:func:`renkou.reconciliation.common.rate`).

Set-based: each family is one grouped query (GROUP BY the counterparty, with conditional
counts) and one aggregate for the total; the deadline of each arrival is a CASE over the
distinct arrival days of the period (a few hundred at most), computed by the holiday
calendar once per day; the medians are window functions (ROW_NUMBER and COUNT over the
counterparty) that leave the one or two middle rows of each counterparty.

Scoping: a user sees the figures of the spells its subtree manages (``manager_org``) and of
the messages its subtree is concerned by (``Message.org``). The figures are counts only —
no person row leaves this module — so statisticians, who hold ``view_migrant_rates`` but
not ``exchange_migrants`` (and so see no message or spell through ``visible_to``), get the
same aggregates for their subtree; a role without ``view_migrant_rates`` is refused.
``user=None`` (the command line without ``--user``) is the whole deployment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Concat, RowNumber, Substr, TruncDate
from django.utils.translation import gettext as _

from renkou.accounts.permissions import has_capability
from renkou.analytics.labels import division_name
from renkou.analytics.periods import Period, parse_period
from renkou.core import clock
from renkou.core.scoping import subtree_q, user_org_path
from renkou.reconciliation.common import Rate, rate

from .deadlines import notice_deadline
from .envelope import normalise_code
from .models import (
    OPEN_STATES,
    Box,
    Direction,
    EndReason,
    Message,
    MessageState,
    MessageType,
    MigrantSpell,
    Peer,
)
from .permissions import VIEW_MIGRANT_RATES
from .services import deployment_counties

__all__ = ["RequestRates", "CounterpartyRates", "RatesReport", "exchange_rates", "arrivals",
           "office_name", "RATE_FIELDS", "flat_header", "flat_rows", "report_json"]

#: States in which a request counts as answered (with its ``answered_at``).
ANSWERED_STATES = (MessageState.ANSWERED, MessageState.CLOSED)


@dataclass(frozen=True)
class RequestRates:
    """Verification requests of one direction with one counterparty (or all)."""

    #: received (requests they sent us) or sent (ours to them) in the period
    count: int
    answered: Rate  # 反馈率
    in_time: Rate  # 及时反馈率
    rejected: int
    overdue: int  # open and past the deadline today
    median_days: float | None  # from received (or sent) to answered; None: none answered


@dataclass(frozen=True)
class CounterpartyRates:
    """The rates with one counterparty office (``code`` "" for the total)."""

    code: str
    name: str
    notified: Rate  # 通报率: arrivals notified in time / arrivals
    received: RequestRates  # their requests to us, answered by us
    sent: RequestRates  # our requests to them, answered by them
    records: Rate  # 建档率: arrivals known with a record opened / arrivals known

    @property
    def arrivals(self) -> int:
        return int(self.notified.denominator)


@dataclass
class RatesReport:
    period: Period
    today: dt.date
    #: the unit whose subtree the figures cover ("" / "": the whole deployment)
    scope_code: str
    scope_name: str
    rows: list[CounterpartyRates] = field(default_factory=list)
    total: CounterpartyRates | None = None


# ---------------------------------------------------------------- scope


def _scopes(user) -> tuple[Q, Q]:
    """The subtree conditions on spells and on messages for ``user``."""
    if user is None:
        return Q(), Q()
    if not has_capability(user, VIEW_MIGRANT_RATES):
        raise PermissionDenied(_("your role may not read the migrant exchange rates"))
    path = user_org_path(user)
    if path is None:
        return Q(), Q()
    if path == "":
        return Q(pk__in=[]), Q(pk__in=[])
    return subtree_q(path, "manager_org__path"), subtree_q(path, "org__path")


def _hukou_office() -> Concat:
    """The office of a spell's hukou place: its county's code, as 12 digits."""
    return Concat(Substr("hukou_code", 1, 6), Value("000000"))


# ---------------------------------------------------------------- the families


def arrivals(spells: QuerySet[MigrantSpell], start: dt.date, end: dt.date) -> QuerySet[MigrantSpell]:
    """Inflow spells begun from ``start`` to ``end`` that are arrivals (see the module)."""
    continued = MigrantSpell.objects.filter(
        person=OuterRef("person"), direction=Direction.INFLOW, end_reason=EndReason.MOVED_ON,
        end_date=OuterRef("start_date")).exclude(pk=OuterRef("pk"))
    return (spells.filter(direction=Direction.INFLOW, start_date__gte=start, start_date__lte=end)
            .exclude(end_reason=EndReason.CORRECTED).exclude(Exists(continued)))


def _notified(spells: QuerySet[MigrantSpell]) -> tuple[dict[str, dict], dict]:
    """Arrivals and those notified in time, by hukou office and in total."""
    days = sorted(spells.order_by().values_list("start_date", flat=True).distinct())
    deadline = Case(*(When(start_date=d, then=Value(notice_deadline(d))) for d in days),
                    default=Value(None), output_field=DateField())
    notice = Message.objects.filter(
        spell=OuterRef("pk"), box=Box.OUTGOING, type=MessageType.ARRIVAL_NOTICE,
        sent_at__isnull=False, sent_at__date__lte=OuterRef("deadline"))
    marked = spells.order_by().annotate(deadline=deadline, in_time=Exists(notice))
    counts = {"n": Count("pk"), "x": Count("pk", filter=Q(in_time=True))}
    by = {r["office"]: r for r in marked.annotate(office=_hukou_office())
          .values("office").annotate(**counts)}
    return by, marked.aggregate(**counts)


def _requests(messages: QuerySet[Message], box: str, start: dt.date, end: dt.date,
              today: dt.date) -> tuple[dict[str, dict], dict]:
    """Verification requests of one box from ``start`` to ``end``: counts and medians by
    counterparty and in total."""
    party, since = ("sender", "created_at") if box == Box.INCOMING else ("receiver", "sent_at")
    requests = messages.filter(box=box, type=MessageType.VERIFICATION_REQUEST, **{
        f"{since}__date__gte": start, f"{since}__date__lte": end}).order_by()
    answered = Q(state__in=ANSWERED_STATES, answered_at__isnull=False)
    counts = {
        "n": Count("pk"),
        "answered": Count("pk", filter=answered),
        "in_time": Count("pk", filter=answered & Q(answered_at__date__lte=F("deadline"))),
        "rejected": Count("pk", filter=Q(state=MessageState.REJECTED)),
        "overdue": Count("pk", filter=Q(state__in=OPEN_STATES, deadline__lt=today)),
    }
    by = {r[party]: r for r in requests.values(party).annotate(**counts)}
    total = requests.aggregate(**counts)
    medians = _medians(requests.filter(answered), party, since)
    for key, row in by.items():
        row["median"] = medians.get(key)
    total["median"] = _medians(requests.filter(answered), None, since).get(None)
    return by, total


def _medians(answered: QuerySet[Message], party: str | None, since: str) -> dict[Any, float]:
    """The median days from ``since`` to ``answered_at`` (whole days, office time) by
    ``party`` (``None``: over all): ROW_NUMBER and COUNT over the party keep the one or two
    middle rows of each, so at most two rows per party are read."""
    days = ExpressionWrapper(TruncDate("answered_at") - TruncDate(since), output_field=DurationField())
    partition = [F(party)] if party else None
    rows = (answered.annotate(days=days)
            .annotate(rn=Window(RowNumber(), partition_by=partition, order_by=[F("days").asc(),
                                                                               F("pk").asc()]),
                      total=Window(Count("pk"), partition_by=partition))
            .filter(Q(rn=(F("total") + 1) / 2) | Q(rn=(F("total") + 2) / 2))
            .values_list(party or "pk", "days"))
    middle: dict[Any, list[float]] = {}
    for key, days_taken in rows:
        middle.setdefault(key if party else None, []).append(days_taken.days)
    return {key: sum(v) / len(v) for key, v in middle.items()}


def _notices(messages: QuerySet[Message], start: dt.date, end: dt.date) -> tuple[dict, dict]:
    """建档率, part (b): the departure notices received from ``start`` to ``end`` that
    announce someone coming to live here and that no arrival of the period answers, and
    those answered by a record, by sender and in total (see the module)."""
    here_dest, here_hukou = Q(pk__in=[]), Q(pk__in=[])
    for county in sorted(deployment_counties()):
        here_dest |= Q(payload__destination__code__startswith=county)
        here_hukou |= Q(payload__hukou_code__startswith=county)
    notices = (messages.filter(box=Box.INCOMING, type=MessageType.DEPARTURE_NOTICE,
                               created_at__date__gte=start, created_at__date__lte=end)
               .filter(here_dest).exclude(here_hukou).order_by()
               .annotate(named_id=KeyTextTransform("id_number", KeyTransform("person", "payload")),
                         left_on=Cast(KeyTextTransform("departure_date", "payload"), DateField())))
    answer = (MigrantSpell.objects.filter(direction=Direction.INFLOW)
              .exclude(end_reason=EndReason.CORRECTED)
              .filter(Q(person=OuterRef("person")) | Q(person__id_number=OuterRef("named_id")))
              .filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("left_on"))))
    in_period = answer.filter(pk__in=arrivals(MigrantSpell.objects.all(), start, end).values("pk"))
    extra = notices.annotate(same=Exists(in_period), opened=Exists(answer)).filter(same=False)
    counts = {"n": Count("pk"), "x": Count("pk", filter=Q(opened=True))}
    return ({r["sender"]: r for r in extra.values("sender").annotate(**counts)},
            extra.aggregate(**counts))


# ---------------------------------------------------------------- the report


def office_name(code: str, peers: dict[str, str] | None = None) -> str:
    """The name of a counterpart office: as registered among the peers, else the name of
    its division (python-stdnum's table)."""
    if peers and peers.get(code):
        return peers[code]
    return division_name(code)


def _request_rates(row: dict | None) -> RequestRates:
    row = row or {}
    n = int(row.get("n") or 0)
    return RequestRates(count=n, answered=rate(row.get("answered") or 0, n),
                        in_time=rate(row.get("in_time") or 0, n),
                        rejected=int(row.get("rejected") or 0),
                        overdue=int(row.get("overdue") or 0), median_days=row.get("median"))


def exchange_rates(period: str | Period, user=None, *, counterparty: str | None = None,
                   today: dt.date | None = None) -> RatesReport:
    """The rates of ``period`` (a label or a :class:`Period`) per counterparty office and in
    total, as ``user`` may see them (see the module). ``counterparty`` (a division code of
    6, 9 or 12 digits: its county's office) keeps only that office and makes the total
    its figures. Raises :class:`renkou.analytics.periods.PeriodError` for a period that
    cannot be read and :class:`PermissionDenied` for a role without the rates."""
    period = parse_period(period)
    start, end = period.start, period.end
    assert start is not None and end is not None  # every parsed period has both
    today = today or clock.today()
    spell_scope, message_scope = _scopes(user)
    spells = MigrantSpell.objects.filter(spell_scope)
    messages = Message.objects.filter(message_scope)
    only = None
    if counterparty:
        only = normalise_code(counterparty)[:6] + "000000"
        spells = spells.filter(hukou_code__startswith=only[:6])
        messages = messages.filter(Q(box=Box.INCOMING, sender=only) |
                                   Q(box=Box.OUTGOING, receiver=only))

    period_arrivals = arrivals(spells, start, end)
    notified_by, notified_total = _notified(period_arrivals)
    received_by, received_total = _requests(messages, Box.INCOMING, start, end, today)
    sent_by, sent_total = _requests(messages, Box.OUTGOING, start, end, today)
    notices_by, notices_total = _notices(messages, start, end)

    codes = sorted(set(notified_by) | set(received_by) | set(sent_by) | set(notices_by))
    peers = dict(Peer.objects.filter(code__in=codes).values_list("code", "name"))

    def row(code: str, name: str, notified: dict | None, received: dict | None,
            sent: dict | None, notices: dict | None) -> CounterpartyRates:
        n_arrivals, n_in_time = (int((notified or {}).get(k) or 0) for k in ("n", "x"))
        extra_n, extra_x = (int((notices or {}).get(k) or 0) for k in ("n", "x"))
        # every arrival is a record opened (a); the notices no arrival answers add (b)
        return CounterpartyRates(
            code=code, name=name, notified=rate(n_in_time, n_arrivals),
            received=_request_rates(received), sent=_request_rates(sent),
            records=rate(n_arrivals + extra_x, n_arrivals + extra_n))

    rows = [row(code, office_name(code, peers), notified_by.get(code), received_by.get(code),
                sent_by.get(code), notices_by.get(code)) for code in codes]
    if only is None:
        total = row("", _("all counterpart offices"), notified_total, received_total,
                    sent_total, notices_total)
    else:
        total = row(only, office_name(only, peers), notified_total, received_total, sent_total,
                    notices_total)
    scope = None if user is None else getattr(user, "org", None)
    return RatesReport(period=period, today=today, scope_code=scope.code if scope else "",
                       scope_name=scope.name if scope else "", rows=rows, total=total)


# ---------------------------------------------------------------- as files

#: The rates of a row (attribute paths of :class:`CounterpartyRates`), in the order of the
#: files' columns.
RATE_FIELDS = ("notified", "received.answered", "received.in_time", "sent.answered",
               "sent.in_time", "records")


def _rate_json(r: Rate) -> dict[str, Any]:
    return {"numerator": int(r.numerator), "denominator": int(r.denominator), "value": r.value,
            "lower": r.lower, "upper": r.upper}


def _requests_json(r: RequestRates) -> dict[str, Any]:
    return {"count": r.count, "answered": _rate_json(r.answered), "in_time": _rate_json(r.in_time),
            "rejected": r.rejected, "overdue": r.overdue, "median_days": r.median_days}


def _row_json(r: CounterpartyRates) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "arrivals": r.arrivals,
            "notified": _rate_json(r.notified), "received": _requests_json(r.received),
            "sent": _requests_json(r.sent), "records": _rate_json(r.records)}


def report_json(report: RatesReport) -> dict[str, Any]:
    """The report as JSON types (what the CLI's ``--format json`` and the API give)."""
    p = report.period
    return {"period": p.label, "start": p.start.isoformat() if p.start else None,
            "end": p.end.isoformat() if p.end else None, "today": report.today.isoformat(),
            "scope": {"code": report.scope_code, "name": report.scope_name},
            "counterparties": [_row_json(r) for r in report.rows],
            "total": _row_json(report.total) if report.total else None}


def flat_header() -> list[str]:
    """The columns of the CSV and Excel files (in the active language)."""
    header = [_("counterpart office (code)"), _("counterpart office"), _("arrivals")]
    labels = {
        "notified": (_("notified in time"), _("arrivals"), _("notified rate (%)")),
        "received.answered": (_("requests received: answered"), _("requests received"),
                              _("answered rate (%)")),
        "received.in_time": (_("requests received: answered in time"), _("requests received"),
                             _("answered-in-time rate (%)")),
        "sent.answered": (_("requests sent: answered by them"), _("requests sent"),
                          _("their answered rate (%)")),
        "sent.in_time": (_("requests sent: answered by them in time"), _("requests sent"),
                         _("their answered-in-time rate (%)")),
        "records": (_("arrivals known with a record opened"), _("arrivals known"),
                    _("record-opened rate (%)")),
    }
    for key in RATE_FIELDS:
        numerator, denominator, value = labels[key]
        header += [numerator, denominator, value, _("%(rate)s 95%% CI") % {"rate": value}]
        if key == "received.in_time":
            header += [_("requests received: rejected"), _("requests received: overdue now"),
                       _("requests received: median days to answer")]
        if key == "sent.in_time":
            header += [_("requests sent: rejected"), _("requests sent: overdue at their side"),
                       _("requests sent: median days to their answer")]
    return header


def _percent(r: Rate) -> list[Any]:
    if r.value is None:
        return [int(r.numerator), int(r.denominator), "", ""]
    return [int(r.numerator), int(r.denominator), round(100 * r.value, 1),
            f"{100 * (r.lower or 0):.1f}–{100 * (r.upper or 0):.1f}"]


def flat_rows(report: RatesReport) -> list[list[Any]]:
    """One row per counterparty, then the total, in the columns of :func:`flat_header`."""
    out = []
    for r in [*report.rows, *([report.total] if report.total else [])]:
        line: list[Any] = [r.code, r.name, r.arrivals]
        for key in RATE_FIELDS:
            group, _dot, name = key.partition(".")
            value = getattr(r, group)
            line += _percent(getattr(value, name) if name else value)
            if name == "in_time":
                median = value.median_days
                line += [value.rejected, value.overdue, "" if median is None else median]
        out.append(line)
    return out
