"""``renkou migrants rates …``: the exchange rates from the command line."""

from __future__ import annotations

from typing import Any

ACTIONS = ("rates",)


def add_parsers(sub: Any) -> None:
    """Add the subcommand ``rates`` to ``renkou migrants``."""


def handle(command: Any, action: str, options: dict[str, Any]) -> None:
    """Run ``rates`` (``command`` is the management command: its stdout)."""
