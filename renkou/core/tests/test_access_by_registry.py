"""A role × page matrix generated from what the apps register, so a new app gets it for
free: every page without parameters answers 403 to a role whose capabilities (from the
registry) do not include the page's, and opens for a role that does; every page of an
org unit (``<str:code>``) also answers 404 for a unit outside the user's subtree."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from renkou.accounts.permissions import PUBLIC
from renkou.accounts.roles import Role
from renkou.core import registry

pytestmark = pytest.mark.django_db

#: What a page may answer to a role that may use it: the page, a redirect, or "use POST".
OPENS = {200, 302, 405}
#: Pages that send a role elsewhere instead of answering it (none today: the auditor's home
#: is its own dashboard of the log).
LANDING_REDIRECTS: dict[tuple[str, str], str] = {}


def _routes(allowed_params: tuple[str, ...], patterns=None, prefix: str = ""):
    """Every page route outside the API with its declared capability, whose parameters
    are all among ``allowed_params``."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith("api/"):
                yield from _routes(allowed_params, pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            capability = getattr(pattern.callback, "required_capability", None)
            params = re.findall(r"<([^>]+)>", route)
            if capability not in (None, PUBLIC) and set(params) <= set(allowed_params):
                yield route, capability


PAGES = sorted(_routes(("str:code",)))


def _logged_in(client, role_users, role):
    """The role's user, logged in, and the capabilities the registry gives the role."""
    user = role_users[role]
    client.force_login(user)
    return user, registry.role_capabilities().get(role, frozenset())


def test_the_matrix_covers_every_app_with_pages():
    prefixes = {route.split("/")[0] + "/" for route, _c in PAGES}
    for app in registry.platform_apps():
        if app.url_prefix and app.label != "accounts":
            assert app.url_prefix.split("/")[0] + "/" in prefixes, app.label


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_exactly_the_pages_its_capabilities_allow(client, role_users, role):
    user, held = _logged_in(client, role_users, role)
    wrong = {}
    for route, capability in PAGES:
        url = "/" + route.replace("<str:code>", user.org.code)
        response = client.get(url)
        if (url, role) in LANDING_REDIRECTS:
            assert response.status_code == 302
            assert response["Location"] == LANDING_REDIRECTS[url, role]
            continue
        expected_open = capability in held
        status = response.status_code
        if (status in OPENS) != expected_open or (not expected_open and status != 403):
            wrong[url] = (capability, status)
    assert wrong == {}


@pytest.mark.parametrize("role", [Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER])
def test_a_unit_outside_the_subtree_answers_404_on_every_unit_page(client, small_register,
                                                                   role_users, role):
    client.force_login(role_users[role])
    held = registry.role_capabilities()[role]
    outside = small_register.community.code  # under the street, not under 和平镇
    answers = {}
    for route, capability in PAGES:
        if "<str:code>" in route and capability in held:
            url = "/" + route.replace("<str:code>", outside)
            status = client.get(url).status_code
            answers[route] = client.post(url).status_code if status == 405 else status
    assert answers and set(answers.values()) == {404}, answers


#: Parameters filled with a unit code or the number 1: the capability is checked before
#: any record is looked up.
POST_ROUTES = sorted(_routes(("str:code", "int:pk", "str:fmt")))


@pytest.mark.parametrize("role", list(Role))
def test_every_role_without_the_capability_is_refused_every_post(client, role_users, role):
    user, held = _logged_in(client, role_users, role)
    wrong = {}
    for route, capability in POST_ROUTES:
        if capability in held:
            continue
        url = "/" + route.replace("<str:code>", user.org.code).replace("<int:pk>", "1") \
            .replace("<str:fmt>", "xlsx")
        status = client.post(url, {}).status_code
        if (url, role) in LANDING_REDIRECTS:
            continue  # the auditor's home is the log
        if status != 403:
            wrong[url] = (capability, status)
    assert len(POST_ROUTES) > 40 and wrong == {}
