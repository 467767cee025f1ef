"""``renkou migrants exchange|keys|peers …``: the exchange from the command line."""

from __future__ import annotations

from typing import Any

ACTIONS = ("exchange", "keys", "peers")


def add_parsers(sub: Any) -> None:
    """Add the subcommands ``exchange``, ``keys`` and ``peers`` to ``renkou migrants``."""


def handle(command: Any, action: str, options: dict[str, Any]) -> None:
    """Run one of :data:`ACTIONS` (``command`` is the management command: its stdout)."""
