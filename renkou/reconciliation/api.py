"""JSON API of reconciliation (mounted by :mod:`renkou.api`)."""

from ninja import Router

router = Router()
