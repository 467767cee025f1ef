"""Pages of the service records (health workers only; see :mod:`renkou.services.services`)."""

from __future__ import annotations

from django.shortcuts import render

from renkou.accounts.permissions import requires

from .permissions import RECORD_SERVICES


@requires(RECORD_SERVICES)
def index(request):
    return render(request, "services/index.html", {})
