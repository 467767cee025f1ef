"""The exchange's HTTP endpoint: a peer office pushes a signed batch and gets the signed
receipts back (mounted at ``/api/migrants/exchange``)."""

from __future__ import annotations

from ninja import Router

router = Router()
