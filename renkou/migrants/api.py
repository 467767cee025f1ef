"""JSON API of the migrant application (mounted at ``/api/migrants``)."""

from __future__ import annotations

from ninja import Router

router = Router()
