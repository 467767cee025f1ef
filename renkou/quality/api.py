"""JSON API of data quality (mounted by :mod:`renkou.api`)."""

from ninja import Router

router = Router()
