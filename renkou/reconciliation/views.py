"""Pages of reconciliation: thin views over :mod:`renkou.reconciliation.services`."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from renkou.accounts.permissions import Capability, requires


@requires(Capability.VIEW_REGISTER)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reconciliation/index.html", {})
