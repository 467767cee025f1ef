"""Template context every page shares: the menu, built from the apps' declarations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from . import registry


def menu(request: HttpRequest) -> dict[str, Any]:
    """``menu``: the links of every app the user's role may use, in their order
    (:class:`renkou.core.registry.MenuEntry`)."""
    return {"menu": menu_links(getattr(request, "user", None))}


def menu_links(user) -> list[dict[str, str]]:
    """The menu of ``user`` (none for a visitor not logged in). It reads only the user's
    role and the apps' declarations, never the database: the 500 page draws it too
    (:mod:`renkou.core.error_views`)."""
    from renkou.accounts.permissions import has_capability

    if user is None or not user.is_authenticated:
        return []
    return [{"label": entry.label, "url": reverse(entry.url_name)}
            for entry in registry.menu_entries() if has_capability(user, entry.capability)]
