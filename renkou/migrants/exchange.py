"""The exchange of messages between offices (流动人口信息交换): signed batches, their
receipts, by file or over HTTP (:mod:`renkou.migrants.transport`), one format.

A **batch** carries, from one office to another, every outgoing message not yet sent to
that office and the receipts it owes it (for messages received, or rejected since)::

    {"format": FORMAT, "batch_id", "sender", "receiver", "created_at",
     "manifest": {"messages": n, "receipts": n, "by_type": {type: n}, "sender_key"},
     "messages": [envelope + "signature"], "receipts": [{"message_id", "state", "reason", "at"}],
     "signature"}

Each message is signed by its sender (:func:`renkou.migrants.envelope.envelope_of`) and
the batch as a whole too (everything but ``signature``). A batch is made once
(:func:`make_batch`) and sent again unchanged until it is delivered (:func:`deliver`).

The receiver (:func:`import_batch`) checks, in this order, and refuses the **whole**
batch with the reason at the first failure (nothing is written but the log of the
refusal): JSON of this format; addressed to this office; from a registered counterpart
office (:class:`~renkou.migrants.models.Peer`); the batch's signature with that office's
key; each message's signature; each message written by the batch's sender; each payload
by its type's schema — types and fields out of scope are refused citing DESIGN.md §2.
Then it applies everything in one transaction (:mod:`renkou.migrants.receiving` says
what each type does here) and answers with a signed receipts batch, which it keeps:
importing the same batch again changes nothing and gives the same answer; a message
already received in another batch is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.text import reasons

from . import receiving, services, signing
from .deadlines import answer_deadline
from .envelope import (
    ENVELOPE_FIELDS,
    FORMAT,
    canonical_bytes,
    check_payload,
    envelope_of,
    normalise_code,
)
from .models import (
    REQUEST_TYPES,
    Batch,
    Box,
    MatchStatus,
    Message,
    MessageState,
    Peer,
    Urgency,
)

__all__ = ["BatchRefused", "ExportResult", "ImportResult", "make_batch", "deliver",
           "export_batch", "import_batch", "batch_bytes", "sign_batch", "MAX_HTTP_MESSAGES"]

#: Messages in one batch pushed over HTTP (a batch stays well under the 2.5 MB a request
#: body may hold); a file batch carries every message waiting.
MAX_HTTP_MESSAGES = 1000
#: The keys of a batch and of one message in it.
BATCH_KEYS = frozenset({"format", "batch_id", "sender", "receiver", "created_at", "manifest",
                        "messages", "receipts", "signature"})
MESSAGE_KEYS = frozenset({*ENVELOPE_FIELDS, "signature"})
RECEIPT_KEYS = frozenset({"message_id", "state", "reason", "at"})
RECEIPT_STATES = ("received", "rejected")


class BatchRefused(Exception):  # noqa: N818 (a refusal, read as a sentence)
    """A batch refused whole: ``reason`` for the sender, ``status`` for HTTP (400 a
    malformed or out-of-scope batch, 403 one not addressed to us, from an office we do
    not know, or whose signatures fail)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass
class ExportResult:
    """What :func:`export_batch` wrote."""

    receiver: str
    path: Path | None
    batch: Batch | None = None
    #: the batch had been made before (an HTTP push failed) and was written unchanged
    reused: bool = False

    @property
    def summary(self) -> str:
        if self.batch is None:
            return _("nothing to send to %(office)s: no message or receipt is waiting") % {
                "office": self.receiver}
        text = _("batch %(batch)s written to %(file)s: %(messages)s messages and %(receipts)s "
                 "receipts for %(office)s") % {
            "batch": self.batch.batch_id, "file": self.path, "messages": self.batch.messages_count,
            "receipts": self.batch.receipts_count, "office": self.receiver}
        if self.reused:
            text += _(" (a batch made earlier and not yet delivered, sent again unchanged)")
        return text


@dataclass
class ImportResult:
    """What :func:`import_batch` did, and the signed receipts batch it answers with."""

    batch_id: str
    sender: str
    transport: str
    answer: dict[str, Any]
    received: int = 0
    duplicates: int = 0
    not_found: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    receipts_applied: int = 0
    receipts_unknown: int = 0
    #: when the same batch had been imported before (then nothing changed)
    already_imported_at: dt.datetime | None = None

    @property
    def summary(self) -> str:
        if self.already_imported_at is not None:
            when = date_format(timezone.localtime(self.already_imported_at), "Y-m-d H:i")
            return _("batch %(batch)s from %(sender)s was already imported on %(date)s: nothing "
                     "changed") % {"batch": self.batch_id, "sender": self.sender, "date": when}
        text = _("batch %(batch)s from %(sender)s imported: %(received)s messages received, "
                 "%(receipts)s receipts applied") % {
            "batch": self.batch_id, "sender": self.sender, "received": self.received,
            "receipts": self.receipts_applied}
        extras = []
        if self.duplicates:
            extras.append(_("%(n)s messages already received before, skipped") % {"n": self.duplicates})
        if self.not_found:
            extras.append(_("%(n)s about persons not found in the register") % {"n": self.not_found})
        if self.receipts_unknown:
            extras.append(_("%(n)s receipts for messages this office did not send")
                          % {"n": self.receipts_unknown})
        return text + ("（" + "；".join(extras) + "）" if extras else "")


# ---------------------------------------------------------------- making and sending

def batch_bytes(content: dict[str, Any]) -> bytes:
    """A batch as written to a file or sent over HTTP (UTF-8 JSON)."""
    return json.dumps(content, ensure_ascii=False, indent=1).encode("utf-8")


def _sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def sign_batch(content: dict[str, Any], key=None) -> dict[str, Any]:
    """``content`` with its ``signature``: over the canonical bytes of everything else."""
    unsigned = {k: v for k, v in content.items() if k != "signature"}
    return {**unsigned, "signature": signing.sign(canonical_bytes(unsigned), key)}


def _receipt(message: Message) -> dict[str, Any]:
    rejected = message.state == MessageState.REJECTED
    at = message.state_changed_at if rejected else message.created_at
    return {"message_id": str(message.message_id), "state": "rejected" if rejected else "received",
            "reason": message.reason if rejected else "", "at": at.isoformat()}


def _peer(code: str) -> Peer:
    peer = Peer.objects.filter(code=code).first()
    if peer is None:
        raise ValidationError({"to": _(
            "%(code)s is not a registered counterpart office: register it first with renkou "
            "migrants peers add --code %(code)s --key PUBLIC_KEY_FILE, so that its receipts can "
            "be checked") % {"code": code}})
    return peer


def _normalised(code: str) -> str:
    try:
        return normalise_code(code)
    except ValidationError:
        raise ValidationError({"to": _("“%(code)s” is not a division code (6, 9 or 12 digits)")
                               % {"code": code}}) from None


@transaction.atomic
def _make_or_reuse(receiver_code: str, user=None, *,
                   limit: int | None = None) -> tuple[Batch | None, bool]:
    receiver = _normalised(receiver_code)
    _peer(receiver)
    services.draft_life_notices(user)
    pending = (Batch.objects.select_for_update()
               .filter(box=Box.OUTGOING, receiver=receiver, delivered_at=None)
               .order_by("created_at", "id").first())
    if pending is not None:
        return pending, True
    key = signing.current_key()
    sign = signing.signer(key)
    drafts = list(Message.objects.select_for_update()
                  .filter(box=Box.OUTGOING, receiver=receiver, state=MessageState.DRAFT, batch=None)
                  .order_by("created_at", "id")[:limit])
    owed = list(Message.objects.select_for_update()
                .filter(box=Box.INCOMING, sender=receiver, receipt_pending=True)
                .order_by("created_at", "id"))
    if not drafts and not owed:
        return None, False
    now = clock.now()
    sent_on = timezone.localtime(now).date()
    sender = services.office_code()
    batch = Batch.objects.create(box=Box.OUTGOING, sender=sender, receiver=receiver, created_at=now,
                                 messages_count=len(drafts), receipts_count=len(owed))
    envelopes = []
    for message in drafts:
        message.sent_at, message.batch = now, batch
        message.deadline = (answer_deadline(sent_on, message.urgency)
                            if message.type in REQUEST_TYPES else None)
        envelope = envelope_of(message)
        message.signature = sign(canonical_bytes(envelope))
        message.save(update_fields=["sent_at", "batch", "deadline", "signature"])
        envelopes.append({**envelope, "signature": message.signature})
    content = sign_batch({
        "format": FORMAT, "batch_id": str(batch.batch_id), "sender": sender, "receiver": receiver,
        "created_at": now.isoformat(),
        "manifest": {"messages": len(drafts), "receipts": len(owed),
                     "by_type": dict(sorted(Counter(m.type for m in drafts).items())),
                     "sender_key": key.public_key},
        "messages": envelopes, "receipts": [_receipt(m) for m in owed],
    }, key)
    batch.content, batch.sha256 = content, _sha256(content)
    batch.save(update_fields=["content", "sha256"])
    audit.record(AuditAction.CREATE, "migrant_batch", batch.batch_id,
                 details={"receiver": receiver, "messages": len(drafts), "receipts": len(owed)},
                 user=user)
    return batch, False


def make_batch(receiver_code: str, user=None, *, limit: int | None = None) -> Batch | None:
    """The batch to send to the office ``receiver_code`` next, or ``None`` when nothing
    waits: a batch made earlier and not yet delivered, sent again unchanged; else a new
    one with every outgoing draft to that office (at most ``limit``) and the receipts owed
    to it. Writes the birth and death notices due first
    (:func:`~renkou.migrants.services.draft_life_notices`). Each message gets its
    ``sent_at``, its deadline (requests: 15 or 30 days) and its signature."""
    return _make_or_reuse(receiver_code, user, limit=limit)[0]


@transaction.atomic
def deliver(batch: Batch, transport: str, user=None) -> Batch:
    """The batch reached its receiver (written to a file, or accepted over HTTP): its
    messages are sent, the receipts it carried are no longer owed, and the log says so."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.delivered_at is not None:
        return batch
    now = clock.now()
    Message.objects.filter(batch=batch, box=Box.OUTGOING, state=MessageState.DRAFT).update(
        state=MessageState.SENT, state_changed_at=now)
    told: dict[str, list[str]] = {"received": [], "rejected": []}
    for receipt in batch.content.get("receipts", []):
        told[receipt["state"]].append(receipt["message_id"])
    owed = Message.objects.filter(box=Box.INCOMING, sender=batch.receiver, receipt_pending=True)
    # a message rejected after its "received" receipt was packed still owes that rejection
    owed.filter(message_id__in=told["received"]).exclude(state=MessageState.REJECTED).update(
        receipt_pending=False)
    owed.filter(message_id__in=told["rejected"], state=MessageState.REJECTED).update(
        receipt_pending=False)
    batch.delivered_at, batch.transport, batch.last_error = now, transport, ""
    batch.save(update_fields=["delivered_at", "transport", "last_error"])
    if transport == "http":
        Peer.objects.filter(code=batch.receiver).update(last_contact_at=now)
    audit.record(AuditAction.EXPORT, "migrant_batch", batch.batch_id,
                 details={"receiver": batch.receiver, "transport": transport,
                          "messages": batch.messages_count, "receipts": batch.receipts_count},
                 user=user)
    return batch


def export_batch(receiver_code: str, out_path: str | Path, user=None) -> ExportResult:
    """Write the batch for ``receiver_code`` to ``out_path`` (the file transport, for
    offline intranets) and mark it delivered; nothing is written when nothing waits."""
    path = Path(out_path)
    batch, reused = _make_or_reuse(receiver_code, user)
    if batch is None:
        return ExportResult(_normalised(receiver_code), None)
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(batch_bytes(batch.content))
    os.replace(temporary, path)
    batch = deliver(batch, "file", user)
    return ExportResult(batch.receiver, path, batch, reused)


# ---------------------------------------------------------------- checking a batch

def _refuse(reason: str, status: int = 400) -> NoReturn:
    raise BatchRefused(reason, status)


def _uuid(value: Any, what: str) -> uuid.UUID:
    try:
        if isinstance(value, str):
            return uuid.UUID(value)
    except ValueError:
        pass
    _refuse(_("%(what)s is not a UUID: %(value)s") % {"what": what, "value": str(value)[:60]})


def _code(value: Any, what: str) -> str:
    try:
        if isinstance(value, str):
            return normalise_code(value)
    except ValidationError:
        pass
    _refuse(_("%(what)s is not a division code (6, 9 or 12 digits): %(value)s")
            % {"what": what, "value": str(value)[:20]})


def _moment(value: Any, what: str) -> dt.datetime:
    try:
        if isinstance(value, str):
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                return moment
    except ValueError:
        pass
    _refuse(_("%(what)s is not a date and time with its time zone (ISO 8601): %(value)s")
            % {"what": what, "value": str(value)[:40]})


def _day(value: Any, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        if isinstance(value, str) and len(value) == 10:
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    _refuse(_("%(what)s is not a date (YYYY-MM-DD): %(value)s")
            % {"what": what, "value": str(value)[:40]})


def _parsed(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, (bytes, bytearray, str)):
        try:
            batch = json.loads(data)
        except (ValueError, RecursionError):
            _refuse(_("this is not a batch of the migrant exchange: it is not JSON"))
    else:
        batch = data
    if not isinstance(batch, dict) or batch.get("format") != FORMAT:
        _refuse(_("this is not a batch of the migrant exchange (format %(format)s)")
                % {"format": FORMAT})
    missing = sorted(BATCH_KEYS - set(batch))
    if missing:
        _refuse(_("the batch lacks %(fields)s") % {"fields": ", ".join(missing)})
    extra = sorted(set(batch) - BATCH_KEYS)
    if extra:
        _refuse(_("the batch has fields the format does not know: %(fields)s")
                % {"fields": ", ".join(str(e)[:40] for e in extra[:5])})
    if not isinstance(batch["messages"], list) or not isinstance(batch["receipts"], list) \
            or not isinstance(batch["manifest"], dict):
        _refuse(_("the batch's messages and receipts must be lists, its manifest an object"))
    try:
        if b"\\u0000" in canonical_bytes(batch):
            _refuse(_("the batch holds a NUL character"))
    except RecursionError:
        _refuse(_("the batch is nested too deeply"))
    return batch


@dataclass
class _Checked:
    """A batch that passed every check, with what applying it needs."""

    batch: dict[str, Any]
    batch_id: uuid.UUID
    sender: str
    peer: Peer
    created_at: dt.datetime
    messages: list[dict[str, Any]]
    receipts: list[dict[str, Any]]


def _message_label(n: int, message: dict[str, Any]) -> str:
    return _("message %(n)s (%(id)s)") % {"n": n, "id": str(message.get("message_id"))[:40]}


def _check(data: bytes | str | dict[str, Any], expected_sender: str | None = None) -> _Checked:
    """Every check of the module's list, in its order; :class:`BatchRefused` at the first
    that fails."""
    batch = _parsed(data)
    batch_id = _uuid(batch["batch_id"], _("the batch ID"))
    here = services.office_code()
    receiver = _code(batch["receiver"], _("the batch's receiver"))
    if receiver != here:
        _refuse(_("this batch is addressed to %(receiver)s, not to this office (%(here)s)")
                % {"receiver": receiver, "here": here}, 403)
    sender = _code(batch["sender"], _("the batch's sender"))
    if expected_sender and sender != expected_sender:
        _refuse(_("the answer comes from %(sender)s, not from %(expected)s")
                % {"sender": sender, "expected": expected_sender}, 403)
    peer = Peer.objects.filter(code=sender).first()
    if peer is None:
        _refuse(_("the sender %(sender)s is not a registered counterpart office: the batch is "
                  "refused (register the office with renkou migrants peers add if it is one)")
                % {"sender": sender}, 403)
    signed = {k: v for k, v in batch.items() if k != "signature"}
    if not signing.verify(peer.public_key, canonical_bytes(signed), batch["signature"]):
        reason = _("the batch's signature is not valid for the key of %(sender)s: the batch was "
                   "altered after it was signed, or not signed by that office") % {"sender": sender}
        if batch["manifest"].get("sender_key") not in (None, peer.public_key):
            reason += _(" (it names another key: if that office made a new key, register it again "
                        "with peers add)")
        _refuse(reason, 403)
    messages, receipts = batch["messages"], batch["receipts"]
    manifest = batch["manifest"]
    if manifest.get("messages") != len(messages) or manifest.get("receipts") != len(receipts):
        _refuse(_("the manifest counts %(m)s messages and %(r)s receipts, the batch holds "
                  "%(mm)s and %(rr)s") % {"m": manifest.get("messages"), "r": manifest.get("receipts"),
                                          "mm": len(messages), "rr": len(receipts)})
    return _Checked(batch, batch_id, sender, peer, _moment(batch["created_at"], _("the batch's time")),
                    messages, receipts)


def _check_contents(checked: _Checked) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The messages' signatures, their senders, their envelopes and payloads, and the
    receipts; the messages with their checked payloads."""
    peer, sender = checked.peer, checked.sender
    for n, message in enumerate(checked.messages, 1):
        if not isinstance(message, dict) or set(message) != MESSAGE_KEYS:
            _refuse(_("%(message)s is not an exchange message: its fields must be %(fields)s")
                    % {"message": _("message %(n)s") % {"n": n},
                       "fields": ", ".join(sorted(MESSAGE_KEYS))})
        envelope = {k: message[k] for k in ENVELOPE_FIELDS}
        if not signing.verify(peer.public_key, canonical_bytes(envelope), message["signature"]):
            _refuse(_("the signature of %(message)s is not valid for the key of %(sender)s: the "
                      "message was altered after it was signed")
                    % {"message": _message_label(n, message), "sender": sender}, 403)
    for n, message in enumerate(checked.messages, 1):
        if message["sender"] != sender:
            _refuse(_("%(message)s was written by %(writer)s, not by the batch's sender %(sender)s")
                    % {"message": _message_label(n, message), "writer": str(message["sender"])[:20],
                       "sender": sender}, 403)
        if message["receiver"] != checked.batch["receiver"]:
            _refuse(_("%(message)s is addressed to %(receiver)s, not to this office")
                    % {"message": _message_label(n, message),
                       "receiver": str(message["receiver"])[:20]}, 403)
    out, seen = [], set()
    for n, message in enumerate(checked.messages, 1):
        label = _message_label(n, message)
        message_id = _uuid(message["message_id"], label)
        if message_id in seen:
            _refuse(_("%(message)s appears twice in the batch") % {"message": label})
        seen.add(message_id)
        if message["correlation_id"] is not None:
            _uuid(message["correlation_id"], _("the correlation ID of %(message)s") % {"message": label})
        if message["urgency"] not in Urgency.values:
            _refuse(_("the urgency of %(message)s is not one of %(values)s")
                    % {"message": label, "values": ", ".join(Urgency.values)})
        _moment(message["sent_at"], _("the time %(message)s was sent") % {"message": label})
        _day(message["deadline"], _("the deadline of %(message)s") % {"message": label})
        kind = message["type"] if isinstance(message["type"], str) else str(message["type"])
        try:
            payload = check_payload(kind, message["payload"])
        except ValidationError as invalid:
            problems = "; ".join(f"{key}: {reason}" for key, reason in reasons(invalid))
            _refuse(_("%(message)s, of type %(type)s, is refused: %(problems)s")
                    % {"message": label, "type": kind[:40], "problems": problems})
        out.append((message, payload))
    for n, receipt in enumerate(checked.receipts, 1):
        what = _("receipt %(n)s") % {"n": n}
        if not isinstance(receipt, dict) or set(receipt) != RECEIPT_KEYS:
            _refuse(_("%(receipt)s is not a receipt: its fields must be %(fields)s")
                    % {"receipt": what, "fields": ", ".join(sorted(RECEIPT_KEYS))})
        _uuid(receipt["message_id"], what)
        if receipt["state"] not in RECEIPT_STATES:
            _refuse(_("the state of %(receipt)s must be received or rejected") % {"receipt": what})
        if not isinstance(receipt["reason"], str) or len(receipt["reason"]) > 300:
            _refuse(_("the reason of %(receipt)s must be a text of at most 300 characters")
                    % {"receipt": what})
        _moment(receipt["at"], what)
    return out


# ---------------------------------------------------------------- importing

def _already(stored: Batch, sender: str, transport: str) -> ImportResult:
    return ImportResult(str(stored.batch_id), sender, transport, stored.answer,
                        received=stored.messages_count,
                        already_imported_at=stored.delivered_at or stored.created_at)


def _log_refusal(data: Any, reason: str, transport: str, user) -> None:
    batch = data if isinstance(data, dict) else {}
    if not batch and isinstance(data, (bytes, str)):
        try:
            loaded = json.loads(data)
            batch = loaded if isinstance(loaded, dict) else {}
        except (ValueError, RecursionError):
            pass
    audit.record(AuditAction.IMPORT, "migrant_batch", str(batch.get("batch_id", ""))[:64],
                 details={"refused": reason, "sender": str(batch.get("sender", ""))[:20],
                          "transport": transport}, user=user)


def import_batch(data: bytes | str | dict[str, Any], transport: str = "file", user=None, *,
                 expected_sender: str | None = None) -> ImportResult:
    """Check a batch received (see the module's list; :class:`BatchRefused` refuses it
    whole, nothing written but the log of the refusal) and apply it in one transaction:
    the new messages are received (:mod:`~renkou.migrants.receiving`), the receipts
    update what this office sent, and the answer — a signed batch of receipts for every
    message of the batch — is kept and returned. The same batch again changes nothing."""
    try:
        checked = _check(data, expected_sender)
        stored = Batch.objects.filter(box=Box.INCOMING, batch_id=checked.batch_id).first()
        if stored is not None:
            if stored.sha256 != _sha256(checked.batch):
                _refuse(_("another batch with the same ID %(batch)s was imported on %(date)s: this "
                          "one is refused") % {"batch": checked.batch_id,
                                               "date": stored.delivered_at.date().isoformat()
                                               if stored.delivered_at else "—"})
            return _already(stored, checked.sender, transport)
        contents = _check_contents(checked)
        signing.current_key()  # the answer is signed: refuse before applying anything
    except BatchRefused as refused:
        _log_refusal(data, refused.reason, transport, user)
        raise
    except ValidationError as invalid:  # no key, no org tree
        reason = "; ".join(invalid.messages)
        _log_refusal(data, reason, transport, user)
        raise BatchRefused(reason, 400) from None
    try:
        return _apply(checked, contents, transport, user)
    except IntegrityError:
        stored = Batch.objects.filter(box=Box.INCOMING, batch_id=checked.batch_id).first()
        if stored is not None:  # imported meanwhile by another request (a retry)
            return _already(stored, checked.sender, transport)
        raise BatchRefused(_("the batch could not be applied now (another import was writing the "
                             "same messages); send it again"), 503) from None


@transaction.atomic
def _apply(checked: _Checked, contents: list[tuple[dict[str, Any], dict[str, Any]]],
           transport: str, user) -> ImportResult:
    now = clock.now()
    sender, here = checked.sender, services.office_code()
    incoming = Batch.objects.create(
        box=Box.INCOMING, batch_id=checked.batch_id, sender=sender, receiver=here,
        created_at=checked.created_at, delivered_at=now, transport=transport,
        messages_count=len(checked.messages), receipts_count=len(checked.receipts),
        sha256=_sha256(checked.batch), content=checked.batch)
    result = ImportResult(str(checked.batch_id), sender, transport, {})
    ids = [uuid.UUID(m["message_id"]) for m, _payload in contents]
    held = set(Message.objects.filter(box=Box.INCOMING, message_id__in=ids)
               .values_list("message_id", flat=True))
    by_type: Counter[str] = Counter()
    for message, payload in contents:
        message_id = uuid.UUID(message["message_id"])
        if message_id in held:
            result.duplicates += 1
            continue
        correlation = uuid.UUID(message["correlation_id"]) if message["correlation_id"] else None
        found = receiving.find(message["type"], payload, correlation, sender)
        row = Message.objects.create(
            message_id=message_id, correlation_id=correlation, box=Box.INCOMING, sender=sender,
            receiver=here, type=message["type"], urgency=message["urgency"], created_at=now,
            sent_at=dt.datetime.fromisoformat(message["sent_at"]),
            deadline=_day(message["deadline"], ""), payload=message["payload"],
            signature=message["signature"], state=MessageState.RECEIVED, state_changed_at=now,
            receipt_pending=transport != "http", org=found.org, person=found.person,
            match=found.match, batch=incoming)
        receiving.apply(row, payload, user)
        audit.record(AuditAction.CREATE, "migrant_message", row.pk,
                     details={"type": row.type, "sender": sender, "batch": str(checked.batch_id),
                              "match": row.match}, user=user)
        held.add(message_id)
        by_type[row.type] += 1
        result.received += 1
        result.not_found += row.match == MatchStatus.NOT_FOUND
    result.by_type = dict(sorted(by_type.items()))
    result.receipts_applied, result.receipts_unknown = _apply_receipts(checked, user)
    answered = Message.objects.filter(box=Box.INCOMING, sender=sender, message_id__in=ids) \
        .order_by("created_at", "id")
    key = signing.current_key()
    answer = sign_batch({
        "format": FORMAT, "batch_id": str(uuid.uuid4()), "sender": here, "receiver": sender,
        "created_at": now.isoformat(),
        "manifest": {"messages": 0, "receipts": len(ids), "by_type": {}, "sender_key": key.public_key,
                     "answers": str(checked.batch_id)},
        "messages": [], "receipts": [_receipt(m) for m in answered],
    }, key)
    incoming.answer = answer
    incoming.save(update_fields=["answer"])
    result.answer = answer
    Peer.objects.filter(code=sender).update(last_contact_at=now)
    audit.record(AuditAction.IMPORT, "migrant_batch", checked.batch_id,
                 details={"sender": sender, "transport": transport, "received": result.received,
                          "duplicates": result.duplicates, "by_type": result.by_type,
                          "receipts": result.receipts_applied}, user=user)
    return result


def _apply_receipts(checked: _Checked, user) -> tuple[int, int]:
    """Our outgoing messages the receipts name: received, or rejected with the reason."""
    if not checked.receipts:
        return 0, 0
    ours = {m.message_id: m for m in Message.objects.select_for_update().filter(
        box=Box.OUTGOING, receiver=checked.sender,
        message_id__in=[uuid.UUID(r["message_id"]) for r in checked.receipts])}
    applied = unknown = 0
    now = clock.now()
    for receipt in checked.receipts:
        message = ours.get(uuid.UUID(receipt["message_id"]))
        if message is None:
            unknown += 1
            continue
        applied += 1
        if receipt["state"] == "rejected":
            if message.state in (MessageState.REJECTED, MessageState.CLOSED):
                continue
            message.state, message.reason = MessageState.REJECTED, receipt["reason"][:300]
        else:
            if message.state not in (MessageState.DRAFT, MessageState.SENT):
                continue
            message.state = MessageState.RECEIVED
        message.state_changed_at = now
        message.save(update_fields=["state", "reason", "state_changed_at"])
        audit.record(AuditAction.CHANGE, "migrant_message", message.pk,
                     details={"state": message.state, "receipt_from": checked.sender}, user=user)
    return applied, unknown
