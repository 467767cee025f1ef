"""The site's routes and error pages, plus pages that fail, for the error-page tests
(``settings.ROOT_URLCONF = "renkou.core.tests.failing_urls"``)."""

from django.db import OperationalError
from django.urls import path

from renkou.urls import handler400, handler403, handler404, handler500  # noqa: F401
from renkou.urls import urlpatterns as site_patterns


def broken_page(request):
    raise RuntimeError("a bug in a page")


def database_gone(request):
    request.user.get_username()  # the user is loaded, as every real page does
    raise OperationalError("database is locked")


urlpatterns = [
    path("test-broken/", broken_page),
    path("test-database-gone/", database_gone),
    *site_patterns,
]
