"""JSON API of family benefits (mounted by :mod:`renkou.api`)."""

from ninja import Router

router = Router()
