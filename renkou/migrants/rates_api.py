"""The exchange rates in the JSON API (mounted at ``/api/migrants/rates``)."""

from __future__ import annotations

from ninja import Router

router = Router()
