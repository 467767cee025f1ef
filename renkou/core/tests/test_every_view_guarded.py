"""Every page declares what it needs: walk all URL routes and fail on a view that names no
capability, so a new view cannot forget the permission layer. (The JSON API under
/api/ has its own guard and its own tests.)"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from renkou.accounts.permissions import PUBLIC, Capability
from renkou.core import registry
from renkou.core.dashboard import VIEW_HOME

#: The only pages anyone may open.
PUBLIC_ROUTES = {"accounts/login/", "accounts/logout/", "i18n/setlang/"}


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("api/"):
                continue  # the ninja API: token auth and scoping, tested with the API
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def test_every_view_declares_a_capability_or_is_public():
    routes = dict(_routes(get_resolver().url_patterns))
    assert {"", "persons/", "persons/<int:pk>/", "org/", "audit/", "persons/export/"} <= set(routes)
    valid = {PUBLIC, *registry.capability_specs()}
    unguarded = {route: view for route, view in routes.items()
                 if getattr(view, "required_capability", None) not in valid}
    assert unguarded == {}


def test_only_the_log_in_pages_and_the_language_switch_are_public():
    public = {route for route, view in _routes(get_resolver().url_patterns)
              if view.required_capability == PUBLIC}
    assert public == PUBLIC_ROUTES


def test_pages_declare_the_expected_capabilities():
    routes = dict(_routes(get_resolver().url_patterns))
    expected = {
        "": VIEW_HOME,
        "org/": Capability.VIEW_AGGREGATES,
        "org/<str:code>/": Capability.VIEW_AGGREGATES,
        "persons/": Capability.VIEW_REGISTER,
        "persons/<int:pk>/": Capability.VIEW_REGISTER,
        "households/<int:pk>/": Capability.VIEW_REGISTER,
        "persons/new/": Capability.EDIT_REGISTER,
        "persons/<int:pk>/events/<slug:kind>/": Capability.EDIT_REGISTER,
        "persons/export/": Capability.EXPORT_REGISTER,
        "audit/": Capability.VIEW_AUDIT,
    }
    assert {route: routes[route].required_capability for route in expected} == expected
