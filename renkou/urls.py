"""URL routes: one include per app.

Every view declares the capability it needs (``renkou.accounts.permissions.requires``)
or is marked public; ``renkou/core/tests/test_every_view_guarded.py`` walks these
routes and fails on any view that does neither.
"""

from django.urls import include, path
from django.views.i18n import set_language

from renkou.accounts.views import public
from renkou.api import api

urlpatterns = [
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("api/", api.urls),
    path("accounts/", include("renkou.accounts.urls")),
    path("audit/", include("renkou.core.urls")),
    path("org/", include("renkou.orgunits.urls")),
    path("stats/", include("renkou.analytics.urls")),
    path("quality/", include("renkou.quality.urls")),
    path("dedupe/", include("renkou.dedupe.urls")),
    path("reconciliation/", include("renkou.reconciliation.urls")),
    path("benefits/", include("renkou.benefits.urls")),
    path("", include("renkou.register.urls")),
]
