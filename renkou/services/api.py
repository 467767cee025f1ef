"""JSON API of the service records (mounted at ``/api/services``): health workers only."""

from __future__ import annotations

from ninja import Router

router = Router()
