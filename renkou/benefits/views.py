"""Pages of family benefits: thin views over :mod:`renkou.benefits.services`."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from renkou.accounts.permissions import Capability, requires


@requires(Capability.MANAGE_BENEFITS)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "benefits/index.html", {})
