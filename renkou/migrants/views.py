"""Pages of the migrant application."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from renkou.accounts.permissions import requires

from .permissions import REGISTER_MIGRANTS


@requires(REGISTER_MIGRANTS)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "migrants/index.html", {})
