"""The demo's migrant exchange with a neighbouring office (邻县, 341322 for the demo county).

``renkou demo`` generates the county with its migrants (:mod:`renkou.synthetic.migrants`:
outflow migrants living in the neighbouring county among others, inflow migrants
registered there); this step then plays some weeks of exchange with that office through
the real exchange path, offline: this office gets its signing key, the neighbour a key
pair made in memory and registered as a counterpart office (a peer without a server
address), and every batch of the neighbour is signed with its key and imported with
:func:`~renkou.migrants.exchange.import_batch`, every batch of ours made and delivered by
file with :func:`~renkou.migrants.exchange.export_batch`. The neighbour's batches are
built as its office would have made them, with their dates in the past where the story
needs it (two requests received more than 30 days ago, still unanswered: overdue).

What it leaves, for the pages and the rates:

- received from the neighbour: arrival notices about our residents living there (some we
  knew, some we learn of: they now show as living in 341322), verification requests
  (three answered, one rejected with its reason, one open, two overdue), a birth notice
  (a child not in our register: the cross-checks show it), a death notice and a service
  referral (closed once dealt with), then the neighbour's answers and receipts;
- sent by us: arrival notices about inflow migrants registered there (received by the
  neighbour, one rejected) and about someone from there whose arrival is registered
  today (enrolled here: the demo's one write to the register), verification requests
  (three answered, one of them closed, one still open), a service referral and a
  correction notice (sent, no receipt yet) and one request still a draft.

Idempotent: does nothing when the exchange already holds messages. Quick: a few dozen
messages, whatever the size of the county.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.audit import acting
from renkou.core.models import AuditAction
from renkou.register.models import Person, PersonStatus

from . import exchange, services, signing
from .deadlines import answer_deadline
from .envelope import FORMAT, canonical_bytes, envelope_of
from .models import (
    Box,
    Direction,
    MatchStatus,
    Message,
    MessageState,
    MessageType,
    MigrantSpell,
    OfficeKey,
    Peer,
    Urgency,
)

__all__ = ["prepare_demo", "neighbour"]


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def neighbour() -> tuple[str, str]:
    """The neighbouring office's code (12 digits) and name: the county whose hukou codes
    the generator gave many of the inflow migrants (:func:`renkou.synthetic.migrants.neighbour_of`)."""
    from renkou.synthetic.migrants import neighbour_of

    place = neighbour_of(services.office_code()[:6])
    return place.code + "000000", place.name


class _Neighbour:
    """The neighbouring office, as far as the demo needs it: its key (in memory) and the
    batches it sends, signed as its renkou would sign them."""

    def __init__(self, code: str, name: str, here: str) -> None:
        self.code, self.name, self.here = code, name, here
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
        self.key = OfficeKey(office_code=code, public_key=signing.public_key_text(
            private.public_key()), private_key=pem)

    def message(self, kind: str, payload: dict[str, Any], *, sent_at: dt.datetime,
                urgency: str = Urgency.ORDINARY, correlation_id: uuid.UUID | None = None
                ) -> dict[str, Any]:
        deadline = (answer_deadline(timezone.localtime(sent_at).date(), urgency).isoformat()
                    if kind == MessageType.VERIFICATION_REQUEST else None)
        envelope = {"message_id": str(uuid.uuid4()),
                    "correlation_id": str(correlation_id) if correlation_id else None,
                    "sender": self.code, "receiver": self.here, "type": kind, "urgency": urgency,
                    "sent_at": sent_at.isoformat(), "deadline": deadline, "payload": payload}
        return {**envelope, "signature": signing.sign(canonical_bytes(envelope), self.key)}

    def batch(self, messages: list[dict[str, Any]], *, created_at: dt.datetime,
              receipts: list[dict[str, Any]] | None = None) -> bytes:
        receipts = receipts or []
        content = exchange.sign_batch({
            "format": FORMAT, "batch_id": str(uuid.uuid4()), "sender": self.code,
            "receiver": self.here, "created_at": created_at.isoformat(),
            "manifest": {"messages": len(messages), "receipts": len(receipts),
                         "by_type": dict(sorted(Counter(m["type"] for m in messages).items())),
                         "sender_key": self.key.public_key},
            "messages": messages, "receipts": receipts}, self.key)
        return exchange.batch_bytes(content)


def _residents_registered_here(today: dt.date, low: int, high: int) -> list[Person]:
    """Residents aged ``low`` to ``high`` whose hukou is here, with an ID number, on no
    migrant spell (the first few hundred, by their number)."""
    return list(Person.objects.filter(
        status=PersonStatus.RESIDENT, current_org=None,
        birth_date__gt=today.replace(year=today.year - high, day=1),
        birth_date__lte=today.replace(year=today.year - low, day=1))
        .exclude(id_number=None).exclude(migrant_spells__isnull=False)
        .select_related("registered_org").order_by("pk")[:300])


def _outflow_to(code: str) -> list[MigrantSpell]:
    """Current outflow spells of persons with an ID number living in the office ``code``."""
    return list(MigrantSpell.objects.current()
                .filter(direction=Direction.OUTFLOW, residence_code__startswith=code[:6],
                        person__status=PersonStatus.RESIDENT)
                .exclude(person__id_number=None)
                .select_related("person", "manager_org").order_by("start_date", "pk"))


def _inflow_from(code: str) -> list[MigrantSpell]:
    """Current inflow spells of adults with an ID number registered in the office ``code``."""
    return list(MigrantSpell.objects.current()
                .filter(direction=Direction.INFLOW, hukou_code__startswith=code[:6],
                        person__status=PersonStatus.RESIDENT,
                        person__birth_date__lte=clock.today() - dt.timedelta(days=18 * 366))
                .exclude(person__id_number=None)
                .select_related("person", "residence_org").order_by("start_date", "pk"))


class _Pool:
    """Persons to write about, each once while they last: ``first`` (the story's own),
    then ``then``; when both are used up, ``first`` again from its start."""

    def __init__(self, first: list, then: list | None = None) -> None:
        self.items, self.all, self.used = list(first) + list(then or []), list(first), 0

    def take(self, n: int) -> list:
        out: list = []
        while len(out) < n and (self.used < len(self.items) or self.all):
            if self.used < len(self.items):
                out.append(self.items[self.used])
                self.used += 1
            else:
                out.append(self.all[(self.used - len(self.items)) % len(self.all)])
                self.used += 1
        return out


def prepare_demo(stdout) -> None:
    if Message.objects.exists():
        _say(stdout, _("migrants demo: exchange messages already present"))
        return
    start = time.perf_counter()
    from renkou.accounts.models import User
    from renkou.accounts.services import ensure_demo_users

    demo = {u for u, _r, _o in ensure_demo_users()}
    county = User.objects.filter(username="county").first() if "county" in demo else None
    here = services.office_code()
    code, name = neighbour()
    with acting(county, channel="cli"), transaction.atomic():
        summary = _play(county, here, code, name)
        past = _past_arrival_notices(here, county)
    _say(stdout, _("migrants demo: exchange with %(code)s %(name)s through signed batches: "
                   "%(messages)s messages, %(batches)s batches (%(seconds).1f s)")
         % {"code": code, "name": name, "messages": summary["messages"],
            "batches": summary["batches"], "seconds": time.perf_counter() - start})
    for box in (Box.INCOMING, Box.OUTGOING):
        states = Counter(Message.objects.filter(box=box).values_list("state", flat=True))
        text = "，".join(f"{MessageState(s).label} {states[s]}" for s in MessageState.values
                        if states.get(s))
        _say(stdout, _("migrants demo: messages %(box)s, by state: %(states)s")
             % {"box": box.label, "states": text})
    overdue = Message.objects.filter(box=Box.INCOMING).overdue(clock.today()).count()
    _say(stdout, _("migrants demo: %(n)s requests received are overdue") % {"n": overdue})
    _say(stdout, _("migrants demo: %(n)s arrival notices of the past year, as the office's "
                   "records hold them") % {"n": past})
    _say_rates(stdout)


def _say_rates(stdout) -> None:
    try:
        from .rates import exchange_rates
    except ImportError:  # the rates module is optional here
        return
    today = clock.today()
    period = f"{today.year}H{1 if today.month <= 6 else 2}"
    total = exchange_rates(period).total
    if total is None:
        return

    def pct(r) -> str:
        return "—" if r.value is None else f"{r.value * 100:.0f}%"

    _say(stdout, _("migrants demo: rates %(period)s: notified %(notified)s, answered %(answered)s "
                   "(in time %(in_time)s), their answers %(theirs)s, records opened %(records)s")
         % {"period": period, "notified": pct(total.notified),
            "answered": pct(total.received.answered), "in_time": pct(total.received.in_time),
            "theirs": pct(total.sent.answered), "records": pct(total.records)})


def _add_peer(code: str, name: str, public_key: str, user) -> Peer:
    peer = Peer.objects.create(code=code, name=name, public_key=public_key, url="",
                               added_at=clock.now(), added_by=user)
    audit.record(AuditAction.CREATE, "migrant_peer", peer.pk,
                 details={"code": code, "url": "", "public_key": public_key}, user=user)
    return peer


def _play(user, here: str, code: str, name: str) -> dict[str, int]:
    """The weeks of exchange (see the module); returns what was exchanged."""
    now = clock.now()
    today = clock.today()
    if not OfficeKey.objects.filter(office_code=here).exists():
        signing.create_office_key(here, user=user)
    other = _Neighbour(code, name, here)
    _add_peer(code, name, other.key.public_key, user)
    facts = services.person_facts
    community = {"code": code[:6] + "001001", "name": name}

    living_there = _outflow_to(code)  # our residents living there, as the generator made them
    known, living_there = living_there[:2], living_there[2:]
    residents = _residents_registered_here(today, 20, 59)
    newly_there, residents = residents[:4], residents[4:]  # living there, unknown to us yet
    ours_there = _Pool([s.person for s in living_there], residents)
    from_there = _Pool(_inflow_from(code))  # registered there, living here
    batches = 0

    # ---- more than 30 days ago: two ordinary requests, never answered (overdue now)
    long_ago = now - dt.timedelta(days=45)
    first = [other.message(MessageType.VERIFICATION_REQUEST, {
        "person": facts(person), "subject": subject, "question": question},
        sent_at=long_ago + dt.timedelta(minutes=i))
        for i, (person, (subject, question)) in enumerate(zip(ours_there.take(2), (
            ("household", "申请居住证，请核实其户籍及家庭成员"), ("identity", "核实身份信息")),
            strict=False))]
    if first:
        exchange.import_batch(other.batch(first, created_at=long_ago), "file", user)
        batches += 1

    # ---- twelve days ago: arrival notices, requests, a birth, a death, a referral
    recently = now - dt.timedelta(days=12)
    messages = [other.message(MessageType.ARRIVAL_NOTICE, {
        "person": facts(s.person), "hukou_code": s.manager_org.code,
        "residence": {"code": s.residence_code, "name": name},
        "arrival_date": s.start_date.isoformat(), "reason": s.reason}, sent_at=recently)
        for s in known]
    for i, person in enumerate(newly_there):
        messages.append(other.message(MessageType.ARRIVAL_NOTICE, {
            "person": facts(person), "hukou_code": person.registered_org.code,
            "residence": community,
            "arrival_date": (today - dt.timedelta(days=20 + 9 * i)).isoformat(),
            "reason": "work" if i % 3 else "family"}, sent_at=recently))
    requests = [(person, subject, question) for person, (subject, question) in zip(
        ours_there.take(2), (("identity", "办理就业登记，核实身份"),
                             ("household", "子女入学，核实户籍及家庭成员")), strict=False)]
    # the neighbour pays a pension to one of its people living here: is he or she alive?
    requests += [(s.person, "life", "养老金资格认证，请核实本人是否健在") for s in from_there.take(1)]
    to_answer = len(requests)
    requests += [(person, "residence", "核实其在户籍地的居住情况") for person in ours_there.take(1)]
    request_ids = []
    for person, subject, question in requests:
        message = other.message(MessageType.VERIFICATION_REQUEST, {
            "person": facts(person), "subject": subject, "question": question}, sent_at=recently)
        request_ids.append(message["message_id"])
        messages.append(message)
    unknown = other.message(MessageType.VERIFICATION_REQUEST, {
        "person": {"name": "查无此人", "sex": "M", "birth_date": "1988-08-08"},
        "subject": "identity", "question": "核实身份信息"}, sent_at=recently)
    messages.append(unknown)
    mother = next((p for p in [*(s.person for s in reversed(living_there)), *reversed(residents)]
                   if p.sex == "F" and 20 <= (today - p.birth_date).days // 365 <= 42), None)
    if mother is not None:  # a child born there to a mother registered here
        messages.append(other.message(MessageType.BIRTH_NOTICE, {
            "child": {"name": mother.name[:1] + "雨桐", "sex": "F",
                      "birth_date": (today - dt.timedelta(days=25)).isoformat()},
            "mother": facts(mother), "birth_place": {"code": code, "name": name + "人民医院"}},
            sent_at=recently))
    for s in from_there.take(1):  # equal services here for one of its people
        messages.append(other.message(MessageType.SERVICE_REFERRAL, {
            "person": facts(s.person), "services": ["基本公共卫生服务", "就业服务", "子女入学"],
            "note": "该人员户籍在我县，现居住你县，请按居住地提供同等服务"}, sent_at=recently))
    died = _Pool(_residents_registered_here(today, 70, 90)).take(1)
    for person in died:
        messages.append(other.message(MessageType.DEATH_NOTICE, {
            "person": facts(person), "death_date": (today - dt.timedelta(days=16)).isoformat(),
            "death_place": {"code": code, "name": name + "人民医院"}}, sent_at=recently))
    exchange.import_batch(other.batch(messages, created_at=recently), "file", user)
    batches += 1

    # ---- our work on what came in: answers, a rejection, notices and a referral closed
    received = {str(m.message_id): m for m in Message.objects.filter(box=Box.INCOMING)}
    results = ("经核实，该人户籍在我县，身份信息与户籍登记一致",
               "经核实，该户在我县登记，家庭成员信息见户籍登记",
               "经核实，本人健在，现居住在我县")
    for message_id, result in zip(request_ids[:to_answer], results, strict=False):
        request = received[message_id]
        alive = True if request.payload.get("subject") == "life" else None
        services.answer_request(request, result=result, alive=alive, user=user)
    services.reject_message(received[unknown["message_id"]],
                            reason="经核查，本县户籍登记中无此人，请核实姓名和出生日期", user=user)
    for message in Message.objects.filter(box=Box.INCOMING).filter(
            Q(type=MessageType.SERVICE_REFERRAL)
            | Q(type=MessageType.ARRIVAL_NOTICE, match=MatchStatus.ALREADY_KNOWN)).order_by("pk"):
        services.close_message(message, user=user)

    # ---- what we write: arrival notices and requests about people registered there, and
    # an arrival registered today (enrolled here; its notice goes with the next batch)
    notified = from_there.take(5)
    ours = [_arrival_notice(s, code, user) for s in notified]
    _arrival_today(code, today, user)
    subjects = (("identity", Urgency.URGENT, "办理居住证，核实身份信息"),
                ("household", Urgency.ORDINARY, "核实户籍及家庭成员"),
                ("identity", Urgency.ORDINARY, "就业登记，核实身份信息"),
                ("household", Urgency.ORDINARY, "子女入学，核实户籍"))
    our_requests = [services.request_verification(person=s.person, to=code, subject=subject,
                                                  urgency=urgency, question=question, user=user)
                    for s, (subject, urgency, question) in zip(from_there.take(4), subjects,
                                                               strict=False)]
    with tempfile.TemporaryDirectory() as folder:
        sent = exchange.export_batch(code, Path(folder) / "to-neighbour-1.json", user).batch
    batches += sent is not None

    # ---- the neighbour's answer: receipts for all (one arrival notice refused) and answers
    answered_at = now - dt.timedelta(hours=2)
    receipts = [{"message_id": str(m.message_id), "state": "received", "reason": "",
                 "at": answered_at.isoformat()}
                for m in Message.objects.filter(box=Box.OUTGOING, batch=sent).order_by("pk")
                ] if sent is not None else []
    if ours and receipts:
        refused = next(r for r in receipts if r["message_id"] == str(ours[-1].message_id))
        refused.update(state="rejected", reason="经核查，此人户籍已于去年迁出我县，请向其现户籍地通报")
    answers = [other.message(MessageType.VERIFICATION_ANSWER, {"found": True, "result": result},
                             sent_at=answered_at, urgency=request.urgency,
                             correlation_id=request.message_id)
               for request, result in zip(our_requests[:3], (
                   "经核实，身份信息与我县户籍登记一致", "经核实，该户在我县登记，户内三人",
                   "经核实，身份信息一致，该人现在你县务工"), strict=False)]
    if receipts or answers:
        exchange.import_batch(other.batch(answers, created_at=answered_at, receipts=receipts),
                              "file", user)
        batches += 1
    for request in our_requests[:1]:  # the urgent one: its answer read, the matter closed
        request.refresh_from_db()
        if request.state == MessageState.ANSWERED:
            services.close_message(request, user=user)

    # ---- later: a referral and a correction sent (no receipt yet), one request a draft
    for person in ours_there.take(1):
        services.write_message(MessageType.SERVICE_REFERRAL, code, {
            "person": facts(person), "services": ["基本公共卫生服务", "社会保险经办"],
            "note": "该人员户籍在我县，现居住你县，请按居住地提供同等服务"}, person=person, user=user)
    if ours:
        corrected = ours[0]
        day = dt.date.fromisoformat(corrected.payload["arrival_date"])
        services.write_message(MessageType.CORRECTION_NOTICE, code, {
            "person": corrected.payload["person"],
            "changes": {"arrival_date": {"old": day.isoformat(),
                                         "new": min(day + dt.timedelta(days=3), today).isoformat()}},
            "reason": "到达日期登记有误，以居住证申领材料为准"},
            org=corrected.org, person=corrected.person, spell=corrected.spell,
            correlation_id=corrected.message_id, user=user)
    with tempfile.TemporaryDirectory() as folder:
        later = exchange.export_batch(code, Path(folder) / "to-neighbour-2.json", user).batch
    batches += later is not None
    for s in from_there.take(1):
        services.request_verification(person=s.person, to=code, subject="residence",
                                      question="核实其在户籍地有无住房", user=user)
    return {"messages": Message.objects.count(), "batches": batches}


def _arrival_today(code: str, today: dt.date, user) -> MigrantSpell | None:
    """Someone registered at ``code`` comes to live in this county's first community today
    (流入登记, :func:`~renkou.migrants.services.register_arrival`): enrolled as a resident,
    with an ID number of the hukou county as of the birth year."""
    from stdnum.cn import ric

    from renkou.orgunits.models import OrgUnit
    from renkou.synthetic.areas import area_code_for

    unit = OrgUnit.objects.filter(kind="community").order_by("code").first() or \
        OrgUnit.objects.filter(level=3).order_by("code").first()
    if unit is None:
        return None
    birth = dt.date(1996, 5, 12)
    body = area_code_for(code[:6], birth.year) + birth.strftime("%Y%m%d")
    taken = set(Person.objects.filter(id_number__startswith=body).values_list("id_number", flat=True))
    id_number = next(n for n in (body + f"{seq:03d}" for seq in range(101, 999, 2))
                     if n + ric.calc_check_digit(n + "0") not in taken)
    id_number += ric.calc_check_digit(id_number + "0")
    return services.register_arrival(
        hukou_code=code, residence_org=unit, arrival_date=today, reason="work", phone="13905571234",
        id_number=id_number, name="周浩然", sex="M", birth_date=birth, user=user, via="demo")


#: How late the office notified the year's earlier arrivals to their hukou places (working
#: days after the arrival; None: never), in the proportions drawn from.
PAST_NOTICE_LAGS = ((1, 0.45), (2, 0.2), (3, 0.12), (5, 0.1), (9, 0.06), (None, 0.07))


def _past_arrival_notices(here: str, user) -> int:
    """The arrival notices (流入通报) of the inflow spells begun in the year before today
    and not yet notified, as sent and acknowledged in the office's earlier exchange:
    most within the 3 working days, some late, a few never — so that the notified rate
    (通报率) of the demo has something to measure. Written in bulk (the history, not the
    exchange path), deterministic by spell."""
    from .deadlines import add_working_days

    today = clock.today()
    notified = Message.objects.filter(type=MessageType.ARRIVAL_NOTICE).values("spell_id")
    spells = (MigrantSpell.objects.filter(direction=Direction.INFLOW,
                                          start_date__gt=today - dt.timedelta(days=365),
                                          start_date__lt=today - dt.timedelta(days=14))
              .exclude(pk__in=notified).select_related("person", "residence_org")
              .order_by("pk"))
    weights = [w for _lag, w in PAST_NOTICE_LAGS]
    bounds = [sum(weights[:i + 1]) for i in range(len(weights))]
    rows = []
    for spell in spells:
        draw = (spell.pk * 7919 % 1000) / 1000  # deterministic, spread over [0, 1)
        lag = next(lag for (lag, _w), b in zip(PAST_NOTICE_LAGS, bounds, strict=True) if draw < b)
        unit = spell.residence_org
        if lag is None or unit is None:
            continue
        sent = timezone.make_aware(dt.datetime.combine(add_working_days(spell.start_date, lag),
                                                       dt.time(10, 0)))
        rows.append(Message(
            box=Box.OUTGOING, sender=here, receiver=services.office_of(spell.hukou_code),
            type=MessageType.ARRIVAL_NOTICE, created_at=sent, sent_at=sent,
            state=MessageState.RECEIVED, state_changed_at=sent + dt.timedelta(days=1),
            payload={"person": services.person_facts(spell.person),
                     "hukou_code": spell.hukou_code,
                     "residence": {"code": unit.code, "name": unit.name},
                     "arrival_date": spell.start_date.isoformat(), "reason": spell.reason},
            org=unit, person=spell.person, spell=spell, created_by=user))
    sign = signing.signer()
    for message in rows:  # signed as they went out
        message.signature = sign(canonical_bytes(envelope_of(message)))
    Message.objects.bulk_create(rows, batch_size=1000)
    audit.record(AuditAction.IMPORT, "migrant_message", details={
        "operation": "demo history", "arrival_notices": len(rows)}, user=user)
    return len(rows)


def _arrival_notice(spell: MigrantSpell, code: str, user) -> Message:
    """Our arrival notice (流入通报) of an inflow spell to the hukou place ``code``."""
    unit = spell.residence_org
    assert unit is not None  # an inflow spell lives in a unit here
    return services.write_message(MessageType.ARRIVAL_NOTICE, code, {
        "person": services.person_facts(spell.person), "hukou_code": spell.hukou_code,
        "residence": {"code": unit.code, "name": unit.name},
        "arrival_date": spell.start_date.isoformat(), "reason": spell.reason,
    }, org=unit, person=spell.person, spell=spell, user=user)
