"""URL routes: the language switch, the JSON API, and one include per app, each
mounted where its ``AppConfig`` says (``url_prefix``, :mod:`renkou.core.registry`).

Every view declares the capability it needs (``renkou.accounts.permissions.requires``)
or is marked public; ``renkou/core/tests/test_every_view_guarded.py`` walks these
routes and fails on any view that does neither. A failed request gets the pages of
:mod:`renkou.core.error_views` (``handler400`` … ``handler500``).
"""

from django.urls import path
from django.views.i18n import set_language

from renkou.accounts.views import public
from renkou.core import registry
from renkou.core.api import api

urlpatterns = [
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("api/", api.urls),
    *registry.url_patterns(),
]

handler400 = "renkou.core.error_views.bad_request"
handler403 = "renkou.core.error_views.permission_denied"
handler404 = "renkou.core.error_views.page_not_found"
handler500 = "renkou.core.error_views.server_error"
