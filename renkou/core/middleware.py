"""Request middleware: interface language and the acting user for the log."""

from __future__ import annotations

import time

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .audit import acting, client_address


class InterfaceLanguageMiddleware(LocaleMiddleware):
    """Like Django's ``LocaleMiddleware``, but ignores the browser's Accept-Language.

    Offices install whatever browser they have, often set to English; the interface
    stays Chinese (``LANGUAGE_CODE``) until the user picks English in the menu, which
    sets the language cookie through Django's ``set_language`` view.
    """

    def process_request(self, request) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SessionRenewalMiddleware:
    """Idle timeout without a database write on every page: an active session is saved
    again (which renews its expiry to ``SESSION_COOKIE_AGE`` from now) at most once every
    ``RENEW_SECONDS``, or every tenth of the idle limit when that is shorter (so that a
    two-minute limit still holds an active session open)."""

    RENEW_SECONDS = 300

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(time.time())
            every = min(self.RENEW_SECONDS, max(settings.SESSION_COOKIE_AGE // 10, 1))
            if now - session.get("_renewed_at", 0) >= every:
                session["_renewed_at"] = now  # marks the session modified: saved, expiry renewed
        return self.get_response(request)


class AuditActorMiddleware:
    """Attribute everything a request logs to its user and client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        with acting(getattr(request, "user", None), client_address(request), channel):
            return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Send ``Content-Security-Policy`` (``settings.RENKOU_CONTENT_SECURITY_POLICY``).

    Django 5.2 has no built-in CSP. Pages load only the package's own files, so the
    policy allows ``'self'`` and no inline script: behaviour lives in static files.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "RENKOU_CONTENT_SECURITY_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
