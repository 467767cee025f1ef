"""A user whose password an officer gave (a new account, a reset) picks its own first."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

__all__ = ["PasswordChangeRequiredMiddleware"]


class PasswordChangeRequiredMiddleware:
    """Send a logged-in user with ``must_change_password`` to the change-password page
    from every page but that one, logging out, the language switch and static files.

    The JSON API is left to its own authentication, which refuses such a user with a
    message of its own (:mod:`renkou.core.api`): a program gets no log-in page.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        """Exact paths that stay open (read once, when first needed: the URLconf is not
        loaded when middleware is built)."""
        if self._open is None:
            self._open = (reverse("accounts:password"), reverse("accounts:logout"),
                          reverse("accounts:login"), reverse("set_language"))
        return self._open

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and getattr(user, "must_change_password", False)
                and not self._exempt(request.path_info)):
            target = reverse("accounts:password")
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target  # htmx loads the whole page there
                return response
            return redirect(target)
        return self.get_response(request)

    def _exempt(self, path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path in self.open_paths() or path.startswith((static, "/api/"))
