"""The register's printed forms as pages and PDF downloads: the person card (人员信息卡)
and the household card's PDF (the card's page is :func:`renkou.register.views.household_card`).

Thin views over :mod:`renkou.register.printing`: records outside the user's subtree
answer 404; the pages are logged views, the PDFs logged exports.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from renkou.accounts.permissions import Capability, has_capability, requires
from renkou.core import clock
from renkou.core.downloads import temporary_file_download

from .printing import log_person_card_view, person_card, write_household_card_pdf, write_person_card_pdf
from .search import scoped_households, scoped_persons


def _person(request: HttpRequest, pk: int):
    return get_object_or_404(
        scoped_persons(request.user).select_related(
            "household", "registered_org", "current_org", "mother", "father"), pk=pk)


@requires(Capability.VIEW_REGISTER)
def person_card_page(request: HttpRequest, pk: int) -> HttpResponse:
    """人员信息卡: the record and its effective ledger history, laid out to print; a
    logged view of the person."""
    card = person_card(_person(request, pk), request.user)
    log_person_card_view(card.person)
    return render(request, "register/person_card.html", {
        "card": card, "person": card.person, "today": clock.today(),
        "can_export": has_capability(request.user, Capability.EXPORT_REGISTER)})


@requires(Capability.EXPORT_REGISTER)
def person_card_pdf(request: HttpRequest, pk: int) -> FileResponse:
    card = person_card(_person(request, pk), request.user)
    return temporary_file_download(
        lambda path: write_person_card_pdf(card, path, user=request.user),
        f"person-card-{card.person.pk}.pdf")


@requires(Capability.EXPORT_REGISTER)
def household_card_pdf(request: HttpRequest, pk: int) -> FileResponse:
    household = get_object_or_404(
        scoped_households(request.user).select_related("org", "head"), pk=pk)
    return temporary_file_download(
        lambda path: write_household_card_pdf(household, path, user=request.user),
        f"household-card-{household.household_no}.pdf")
