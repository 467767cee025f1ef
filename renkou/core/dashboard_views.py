"""The home page (工作台) of every role: the panels of :mod:`renkou.core.dashboard`.

Its URL is the site root, named ``register:home`` (the name every page links to; the
register's URLs route it here)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from renkou.accounts.permissions import requires

from .dashboard import VIEW_HOME, build_dashboard


@requires(VIEW_HOME)
def home(request: HttpRequest) -> HttpResponse:
    """The user's unit as it stands: key figures, open work, data freshness and links."""
    return render(request, "core/dashboard.html",
                  {"board": build_dashboard(request.user, request.GET)})
