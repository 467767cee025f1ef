"""The pages a user sees when a request fails: 400, 403 (and a refused form, the CSRF
failure), 404 and 500, in the interface language and inside the site's layout, with
the menu and a way back (the previous page, and the home page).

``renkou/urls.py`` names them (``handler400`` …) and ``CSRF_FAILURE_VIEW`` the form
page. The 500 page is drawn without the database: the request may have failed because
of it (or inside a broken transaction), so the page uses only the user already loaded
for the request and the menu built from the apps' declarations, and falls back to a
plain page if even that cannot be drawn. Under ``/api/`` the answer is JSON
(``{"detail": …}``), as the API's own errors are.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .context_processors import menu_links

logger = logging.getLogger(__name__)

TEMPLATE = "errors/error.html"

#: The message of ``get_object_or_404``'s ``Http404``: English, and says nothing a user can use.
_DJANGO_NOT_FOUND = "matches the given query"


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, _("The request could not be understood"), _(
        "The system could not read what the browser sent. Go back, reload the page and try again."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, _("You may not open this page"), _(
        "Your role or your unit does not give access to this page. If your work needs it, ask "
        "the officer who manages user accounts at the county office."), reason=_reason(exception))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = _reason(exception)
    return _page(request, 404, _("Page not found"), _(
        "There is no such page, or what it shows lies outside the units you may see. Check the "
        "address, or go back and follow a link."),
        reason="" if _DJANGO_NOT_FOUND in reason else reason)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent from a page that is too old, or without the
    site's cookie (Django's own ``reason`` is English and technical: logged, not shown)."""
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    return _page(request, 403, _("The form could not be sent"), _(
        "The page the form came from is out of date: it was opened before you logged in or "
        "out, or it has been open too long. Go back, reload the page and send the form again. "
        "If it happens every time, the browser may be refusing this site's cookies."))


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, drawn without touching the database (see the module's docstring)."""
    title = _("Something went wrong")
    message = _(
        "The system could not finish this request; the error has been recorded. Check whether "
        "your change was saved before you do it again. If it happens again, tell the system "
        "administrator the time and the page.")
    if _is_api(request):
        return JsonResponse({"detail": title}, status=500)
    try:
        user = getattr(request, "_cached_user", None) or AnonymousUser()
        try:
            menu = menu_links(user)
        except Exception:  # a broken menu must not break the page that reports an error
            logger.exception("menu for the error page")
            menu = []
        context = {**_way_back(request), "status": 500, "title": title, "message": message,
                   "user": user, "menu": menu, "request": request, "csrf_token": get_token(request)}
        html = loader.get_template(TEMPLATE).render(context)  # no request: no context processors
    except Exception:
        logger.exception("drawing the error page")
        html = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
                f"</head><body><h1>{escape(title)}</h1><p>{escape(message)}</p>"
                f'<p><a href="/">{escape(_("Home"))}</a></p></body></html>')
    return HttpResponse(html, status=500)


def _page(request: HttpRequest, status: int, title: str, message: str,
          reason: str = "") -> HttpResponse:
    if _is_api(request):  # a program reading the JSON API gets JSON
        return JsonResponse({"detail": reason or title}, status=status)
    context = {**_way_back(request), "status": status, "title": title, "message": message,
               "reason": reason}
    return render(request, TEMPLATE, context, status=status)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _reason(exception: Exception | None) -> str:
    """The message the code raised with, when it is one written for people."""
    reason = exception.args[0] if exception is not None and exception.args else ""
    return str(reason) if isinstance(reason, str | Promise) else ""


def _way_back(request: HttpRequest) -> dict[str, Any]:
    """``home_url``, and ``back_url``: the page the user came from when it is one of this
    site's (else the home page)."""
    home = reverse("register:home")
    referer = request.META.get("HTTP_REFERER", "")
    try:
        ours = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure())
    except Exception:  # e.g. a 400 for a host name the site does not serve
        ours = False
    back = referer if ours and referer != request.build_absolute_uri() else home
    return {"home_url": home, "back_url": back}
