"""Pages of duplicate detection: thin views over :mod:`renkou.dedupe.services`."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from renkou.accounts.permissions import Capability, requires


@requires(Capability.MERGE_DUPLICATES)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "dedupe/index.html", {})
