"""JSON API of duplicate detection (mounted by :mod:`renkou.api`)."""

from ninja import Router

router = Router()
