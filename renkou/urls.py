"""URL routes: one include per app."""

from django.urls import include, path
from django.views.i18n import set_language

from renkou.api import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", api.urls),
    path("accounts/", include("renkou.accounts.urls")),
    path("org/", include("renkou.orgunits.urls")),
    path("", include("renkou.register.urls")),
]
