"""A role × API route matrix generated from the routers the apps register, so a new
app's API gets it for free: every route declares the capabilities it needs in its
``auth`` (:func:`renkou.core.api.reading` / :func:`~renkou.core.api.writing`); a role
whose capabilities (from the registry) include none of them is refused 403 before the
request is read, a role that holds one gets through; a unit outside the caller's
subtree answers 404 on every route of a unit (``{code}``)."""

from __future__ import annotations

import re

import pytest

from renkou.accounts.roles import Role
from renkou.accounts.services import issue_token
from renkou.core import registry
from renkou.core.api import api, declared_capabilities

pytestmark = pytest.mark.django_db


def _routes():
    for prefix, router, _tags in registry.api_routers():
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    url = "/api/" + (prefix.strip("/") + "/" + path.lstrip("/")).strip("/")
                    yield url, method, declared_capabilities(operation.auth_callbacks)


ROUTES = sorted(_routes())


def _query(url: str, method: str) -> dict[str, str]:
    """Values for the route's required query parameters (their minimum, or 1)."""
    schema = api.get_openapi_schema()["paths"]
    template = url if url in schema else url + "/"
    params = schema.get(template, {}).get(method.lower(), {}).get("parameters", [])
    return {p["name"]: str(p["schema"].get("minimum", 1)) for p in params
            if p["in"] == "query" and p.get("required")}


def _call(client, token: str, url: str, method: str, code: str):
    concrete = re.sub(r"\{[a-z_]*id\}", "1", url.replace("{code}", code))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        return client.get(concrete, _query(url, method), **headers)
    return client.generic(method, concrete, "{}", content_type="application/json", **headers)


def test_every_api_route_declares_known_capabilities():
    known = set(registry.capability_specs())
    assert len(ROUTES) > 15
    undeclared = [(url, method) for url, method, caps in ROUTES if not caps]
    assert undeclared == []
    unknown = {(url, c) for url, _m, caps in ROUTES for c in caps if c not in known}
    assert unknown == set()


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_the_api_routes_its_capabilities_allow(client, role_users,
                                                                         role):
    user = role_users[role]
    token = issue_token(user)
    held = registry.role_capabilities().get(role, frozenset())
    wrong = {}
    for url, method, caps in ROUTES:
        status = _call(client, token, url, method, user.org.code).status_code
        allowed = bool(held & set(caps))
        if (allowed and status in (401, 403, 500)) or (not allowed and status != 403):
            wrong[f"{method} {url}"] = (caps, status)
    assert wrong == {}


@pytest.mark.parametrize("role", [Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER])
def test_a_unit_outside_the_subtree_answers_404_on_every_unit_route(client, small_register,
                                                                    role_users, role):
    user = role_users[role]
    token = issue_token(user)
    held = registry.role_capabilities()[role]
    outside = small_register.community.code  # under the street, not under 和平镇
    answers = {url: _call(client, token, url, method, outside).status_code
               for url, method, caps in ROUTES
               if "{code}" in url and method == "GET" and held & set(caps)}
    assert answers and set(answers.values()) == {404}, answers
