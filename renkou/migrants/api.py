"""JSON API of the migrant application (mounted at ``/api/migrants``): migrant records and
registration, messages, the exchange endpoint for peer offices and the rates."""

from __future__ import annotations

from ninja import Router

from . import exchange_api, rates_api

router = Router()
router.add_router("/exchange", exchange_api.router)
router.add_router("/rates", rates_api.router)
