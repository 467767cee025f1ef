"""Template context every page shares: the menu, built from the apps' declarations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from . import registry


def menu(request: HttpRequest) -> dict[str, Any]:
    """``menu``: the links of every app the user's role may use, in their order
    (:class:`renkou.core.registry.MenuEntry`)."""
    from renkou.accounts.permissions import has_capability

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": [{"label": entry.label, "url": reverse(entry.url_name)}
                     for entry in registry.menu_entries() if has_capability(user, entry.capability)]}
