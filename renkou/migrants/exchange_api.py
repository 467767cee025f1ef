"""The exchange's HTTP endpoint: a peer office pushes a signed batch and gets the signed
receipts back (mounted at ``/api/migrants/exchange``).

The one operation takes no user authentication and no CSRF token: like the DCI registry
API, the batch's Ed25519 signature by a registered counterpart office is the
authentication (:func:`renkou.migrants.exchange.import_batch` checks it before anything
is read further). A refused batch answers 400 (malformed, out of scope) or 403 (not
addressed here, from an office not registered, a signature that fails) with the reason.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Status
from ninja.throttling import AnonRateThrottle

from renkou.core.api import Detail, lazy_str

from .exchange import BatchRefused, import_batch

_ = lazy_str

router = Router()

#: Pushes a caller may make per minute from one address: no token guards the endpoint, so
#: this bounds what junk posts cost (each refusal is checked and logged). A counterpart
#: office sends a handful of batches a day, in pieces of 1,000 messages.
PUSHES_PER_MINUTE = "60/m"

#: The JSON schema of a batch, for the docs (the checks are the import's own).
BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": _("A signed batch of the migrant exchange (format renkou-migrant-exchange/1): "
                     "messages with their envelopes and signatures, receipts, a manifest and the "
                     "batch's signature."),
    "required": ["format", "batch_id", "sender", "receiver", "created_at", "manifest", "messages",
                 "receipts", "signature"],
    "properties": {
        "format": {"type": "string", "description": _("renkou-migrant-exchange/1")},
        "batch_id": {"type": "string", "format": "uuid", "description": _("the batch's ID")},
        "sender": {"type": "string", "description": _("the sending office's division code")},
        "receiver": {"type": "string", "description": _("this office's division code")},
        "created_at": {"type": "string", "format": "date-time"},
        "manifest": {"type": "object", "description": _("counts of messages and receipts, by "
                                                        "type, and the sender's public key")},
        "messages": {"type": "array", "items": {"type": "object"},
                     "description": _("the messages: envelope, payload and signature")},
        "receipts": {"type": "array", "items": {"type": "object"},
                     "description": _("receipts for messages this office sent")},
        "signature": {"type": "string", "description": _("Ed25519 signature (base64)")},
    },
}


@router.post(
    "/batches", auth=None, url_name="migrants_exchange_batches",
    throttle=[AnonRateThrottle(PUSHES_PER_MINUTE)],
    response={200: dict[str, Any], 400: Detail, 403: Detail, 413: Detail, 429: Detail,
              503: Detail},
    summary=_("Receive a batch from a counterpart office"),
    description=_("A counterpart office pushes a signed batch. No API token: the batch's "
                  "signature by a registered counterpart office is the authentication. The "
                  "batch is checked and applied whole, once (the same batch again changes "
                  "nothing); the answer is the signed batch of receipts. A refused batch "
                  "answers 400 or 403 with the reason."),
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": BATCH_SCHEMA}}},
        "responses": {"413": {"description": _("the batch is too large: send it in smaller batches")},
                      "429": {"description": _("too many pushes from this address: wait a "
                                               "minute")},
                      "503": {"description": _("the batch could not be applied now: send it again")}},
    },
)
def receive_batch(request: HttpRequest):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return Status(413, {"detail": gettext("the batch is larger than %(n)s bytes: send it in "
                                              "smaller batches") % {"n": limit}})
    try:
        result = import_batch(request.body, transport="http")
    except BatchRefused as refused:
        return Status(refused.status, {"detail": refused.reason})
    return Status(200, result.answer)
