"""Request middleware: interface language and the acting user for the log."""

from __future__ import annotations

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


class AuditActorMiddleware:
    """Attribute everything a request logs to its user and client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        with acting(getattr(request, "user", None), client_address(request), channel):
            return self.get_response(request)
