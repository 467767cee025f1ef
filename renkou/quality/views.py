"""Pages of data quality: thin views over :mod:`renkou.quality.services`."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from renkou.accounts.permissions import Capability, requires


@requires(Capability.VIEW_REGISTER)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "quality/index.html", {})
