"""The HTTP transport of the exchange: batches pushed to a counterpart office's renkou
server (``POST {peer.url}/api/migrants/exchange/batches``, :mod:`renkou.migrants.exchange_api`).

A push is tried ``attempts`` times, waiting ``backoff`` seconds, then twice that, … between
tries, when the server does not answer or answers with a server error (5xx); a refusal
(4xx, with its reason) is not tried again. Every attempt and the last error are kept on
the batch, which stays undelivered and is pushed again unchanged next time, so the
receiver (which recognises a batch it has seen) imports it once. The answer is the
receiver's signed receipts batch: its signature is checked like any batch's and its
receipts update what this office sent.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import requests
from django.db.models import Count, F
from django.utils import translation
from django.utils.translation import gettext as _

from .exchange import MAX_HTTP_MESSAGES, BatchRefused, batch_bytes, deliver, import_batch, make_batch
from .models import Batch, Box, Message, MessageState, Peer

__all__ = ["PATH", "TIMEOUT", "PushResult", "SendReport", "push", "send_all"]

PATH = "/api/migrants/exchange/batches"
#: seconds to connect, and to wait for the answer (the receiver applies the batch first)
TIMEOUT = (5, 120)
#: batches pushed to one office in one run at most (each carries up to MAX_HTTP_MESSAGES)
MAX_BATCHES_PER_RUN = 50


@dataclass
class PushResult:
    """How pushing one batch to one office went."""

    peer: str
    batch_id: str
    messages: int
    receipts: int
    delivered: bool = False
    #: the receiver refused it (4xx): trying again will not help until something changes
    refused: bool = False
    attempts: int = 0
    error: str = ""
    receipts_applied: int = 0

    @property
    def summary(self) -> str:
        if self.delivered:
            text = _("batch %(batch)s delivered to %(office)s: %(messages)s messages, %(receipts)s "
                     "receipts; %(applied)s of our messages confirmed by its receipts") % {
                "batch": self.batch_id, "office": self.peer, "messages": self.messages,
                "receipts": self.receipts, "applied": self.receipts_applied}
            return text + (f"（{self.error}）" if self.error else "")
        if self.refused:
            return _("batch %(batch)s refused by %(office)s: %(error)s") % {
                "batch": self.batch_id, "office": self.peer, "error": self.error}
        return _("batch %(batch)s not delivered to %(office)s after %(n)s attempts: %(error)s; it is "
                 "kept and sent again unchanged next time") % {
            "batch": self.batch_id, "office": self.peer, "n": self.attempts, "error": self.error}


@dataclass
class SendReport:
    """What :func:`send_all` did: one result per batch pushed, and the messages that wait
    for a file export (to offices without a server address)."""

    results: list[PushResult] = field(default_factory=list)
    #: receiver's code → drafts waiting for it (no server address, or not a counterpart)
    waiting: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> list[PushResult]:
        return [r for r in self.results if not r.delivered]

    @property
    def summary(self) -> str:
        lines = [r.summary for r in self.results]
        if not self.results:
            lines.append(_("nothing to send over HTTP"))
        for code, n in sorted(self.waiting.items()):
            lines.append(_("%(n)s messages to %(office)s wait for a file export (renkou migrants "
                           "exchange export --to %(office)s --out FILE): it has no server address")
                         % {"n": n, "office": code})
        return "\n".join(lines)


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body["detail"]
    return json.dumps(body, ensure_ascii=False)[:200]


def _record(batch: Batch, error: str) -> None:
    Batch.objects.filter(pk=batch.pk).update(last_error=error[:300])


def push(batch: Batch, peer: Peer, attempts: int = 3, backoff: float = 2.0,
         user=None) -> PushResult:
    """Push ``batch`` to ``peer``'s server (see the module): delivered, with the receipts of
    its answer applied; or not, with the reason kept on the batch."""
    url = peer.url.rstrip("/") + PATH
    body = batch_bytes(batch.content)
    headers = {"Content-Type": "application/json; charset=utf-8",
               "Accept-Language": translation.get_language() or "zh-hans"}
    result = PushResult(peer.code, str(batch.batch_id), batch.messages_count, batch.receipts_count)
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        result.attempts += 1
        Batch.objects.filter(pk=batch.pk).update(attempts=F("attempts") + 1)
        try:
            response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            result.error = _("no answer from %(url)s (%(error)s)") % {
                "url": url, "error": type(exc).__name__}
            _record(batch, result.error)
            continue
        if response.status_code >= 500:
            result.error = _("%(url)s answered %(status)s: %(detail)s") % {
                "url": url, "status": response.status_code, "detail": _detail(response)}
            _record(batch, result.error)
            continue
        if response.status_code != 200:
            result.refused, result.error = True, _detail(response)
            _record(batch, _("refused (%(status)s): %(detail)s") % {
                "status": response.status_code, "detail": result.error})
            return result
        try:
            answer = response.json()
        except ValueError:
            result.error = _("%(url)s answered with something that is not JSON") % {"url": url}
            _record(batch, result.error)
            continue
        deliver(batch, "http", user)
        result.delivered, result.error = True, ""
        try:
            applied = import_batch(answer, transport="http", user=user, expected_sender=peer.code)
        except BatchRefused as refused:
            result.error = _("its receipts were refused: %(reason)s") % {"reason": refused.reason}
            _record(batch, result.error)
        else:
            result.receipts_applied = applied.receipts_applied
        return result
    return result


def send_all(user=None, *, to: str | None = None, attempts: int = 3,
             backoff: float = 2.0) -> SendReport:
    """Make and push the batches for every counterpart office with a server address (or
    only ``to``); messages to offices without one wait for a file export."""
    report = SendReport()
    peers = Peer.objects.exclude(url="").order_by("code")
    if to:
        peers = peers.filter(code=to)
    for peer in peers:
        for _n in range(MAX_BATCHES_PER_RUN):
            batch = make_batch(peer.code, user, limit=MAX_HTTP_MESSAGES)
            if batch is None:
                break
            result = push(batch, peer, attempts, backoff, user)
            report.results.append(result)
            if not result.delivered:
                break
    by_http = set(Peer.objects.exclude(url="").values_list("code", flat=True))
    drafts = (Message.objects.filter(box=Box.OUTGOING, state=MessageState.DRAFT, batch=None)
              .exclude(receiver__in=by_http))
    if to:
        drafts = drafts.filter(receiver=to)
    report.waiting = dict(drafts.values_list("receiver").annotate(n=Count("id")).order_by())
    return report
