"""Recording the access and change log, from one place.

Who is acting is a context variable: the web middleware sets it for each request
(user, client address), the API sets it for each token-authenticated call, and
batch commands set it for their run. Services then call :func:`record` without
passing requests around, so the ledger, exports and imports log themselves
whichever way they are reached.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .models import AuditAction, AuditEntry

__all__ = ["Actor", "acting", "attribute_to", "current_actor", "record", "client_address",
           "AuditAction"]


@dataclass(frozen=True)
class Actor:
    user: Any = None
    address: str | None = None
    channel: str = "cli"


_NOBODY = Actor()
_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("renkou_actor", default=None)


def current_actor() -> Actor:
    return _actor.get() or _NOBODY


@contextmanager
def acting(user=None, address: str | None = None, channel: str = "cli") -> Iterator[Actor]:
    """Everything recorded inside is attributed to this user, address and channel."""
    actor = Actor(user=user, address=address, channel=channel)
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def attribute_to(user) -> None:
    """Name the user of the current request once it is known (API token auth runs after
    the middleware); the middleware's ``acting`` block still restores the context."""
    _actor.set(Actor(user=user, address=current_actor().address, channel=current_actor().channel))


def client_address(request) -> str | None:
    """The client's address: ``REMOTE_ADDR`` (a reverse proxy sets it; see README)."""
    return request.META.get("REMOTE_ADDR") or None


def record(action: str, object_type: str = "", object_id: Any = "", *,
           details: dict | None = None, user=None) -> AuditEntry:
    """Append one entry to the log, attributed to the current actor (or ``user``)."""
    actor = current_actor()
    who = user if user is not None else actor.user
    authenticated = who is not None and getattr(who, "is_authenticated", False)
    return AuditEntry.objects.create(
        user=who if authenticated else None,
        username=who.get_username() if authenticated else "",
        role=getattr(who, "role", "") if authenticated else "",
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        client_address=actor.address,
        channel=actor.channel,
        details=details or {},
    )
