"""The JSON API's plumbing (django-ninja): one NinjaAPI, one router per app.

Each app's ``api.py`` defines a ``router`` and its ``AppConfig`` says where it is
mounted (``api_prefix``, :mod:`renkou.core.registry`); this module imports no app.
What every endpoint shares lives here, once:

- **authentication**: ``Authorization: Bearer TOKEN`` (``renkou token create``); for
  reading, a logged-in browser session also works, so ``/api/docs`` can be tried out
  from the site. Writing takes a token only, so no request can ride on a session
  cookie (no CSRF exposure). No or a bad token answers 401.
- **permission and scope**: each endpoint declares the capabilities it needs in its
  ``auth`` (:func:`reading`, :func:`writing`), which answers 403 when the role grants
  none of them, before the request's parameters are read; the endpoints read
  through ``Model.objects.visible_to(user)``, so a record outside the user's subtree
  answers 404, exactly like a record that does not exist.
- **language**: Chinese, or English when the request's ``Accept-Language`` prefers
  it (the web pages ignore that header; the API is read by programs that set it).
- **the access log**: ``GET /api/audit`` for auditors (their subtree's users),
  in :mod:`renkou.core.audit_api`.
- **errors**: a refusal by the register's services (``ValidationError`` keyed by
  field) and a malformed request both answer 422 ``{"errors": [{"field", "message"}]}``;
  401, 403 and 404 answer ``{"detail": message}``.
- **the docs** (``/api/docs``, Swagger UI from django-ninja's own static files, no CDN
  and no online validator): every operation, parameter, schema and field is described
  with a message (``Field(description=_(…))``, ``described(_(…))``), and the schema is
  built per language and kept: ``/api/openapi.json?lang=en`` (default: as the API's
  ``Accept-Language``); the docs page reads it in the interface language.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Choices, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, trans_real
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer, SessionAuth
from pydantic import ConfigDict

from renkou.accounts.permissions import has_capability
from renkou.accounts.services import user_for_token

from . import audit
from .text import reasons

__all__ = [
    "api", "Detail", "Errors", "FieldError", "READ_ERRORS", "WRITE_ERRORS", "READ_AUTH",
    "reading", "writing", "declared_capabilities", "MAX_ID", "MAX_PAGE", "NO_NUL", "require",
    "paginate", "api_language", "ApiRequest", "lazy_str", "described",
]

#: Largest id a path or query parameter accepts (a bigint), so that no database is
#: asked about a number it cannot hold.
MAX_ID = 2**63 - 1
MAX_PAGE = 100_000
#: Text parameters may hold anything but NUL (which PostgreSQL cannot store or compare).
NO_NUL = r"^[^\x00]*$"


def lazy_str(message: str) -> str:
    """``gettext_lazy(message)``, typed as the ``str`` that django-ninja and pydantic
    declare for a summary, a description or a title. It stays lazy until the schema is
    built for a language (:meth:`RenkouAPI.get_openapi_schema`). The API modules import
    it as ``_``, so that ``makemessages`` finds their messages."""
    return cast(str, gettext_lazy(message))


_ = lazy_str


def described(description: str, examples: list[Any] | None = None) -> ConfigDict:
    """``model_config`` of an API schema with its ``description`` (a :func:`lazy_str`) in
    the docs, and its request ``examples`` if any."""
    extra: dict[str, Any] = {"description": description}
    if examples:
        extra["examples"] = examples
    return ConfigDict(json_schema_extra=extra)


class ApiRequest(HttpRequest):
    """The request as django-ninja hands it to an endpoint, with the authenticated user
    (what the endpoint's ``auth`` returned) in ``auth``. For annotating endpoints only."""

    auth: Any


class Detail(Schema):
    """Why the request was refused (400, 401, 403, 404)."""

    model_config = described(_("Why the request was refused (400, 401, 403, 404)."))

    detail: str = Field(description=_("the reason, in the caller's language"))


class FieldError(Schema):
    model_config = described(_("One problem of a refused request."))

    field: str = Field(description=_("the request field concerned (empty: the request as "
                                     "a whole)"))
    message: str = Field(description=_("what is wrong, in the caller's language"))


class Errors(Schema):
    """A request the register refused (422): one entry per problem, keyed by the request field."""

    model_config = described(_("A request the register refused (422): one entry per problem, "
                               "keyed by the request field."))

    errors: list[FieldError] = Field(description=_("the problems found"))


READ_ERRORS: dict[int, Any] = {401: Detail, 403: Detail, 404: Detail, 422: Errors}
#: Writing also answers 400 when the body is not JSON at all.
WRITE_ERRORS: dict[int, Any] = {400: Detail, **READ_ERRORS}


def _require_of(user: Any, capabilities: tuple[str, ...]) -> None:
    if getattr(user, "must_change_password", False):
        raise HttpError(403, gettext("this account has a password given by an officer: log in "
                                     "to the site and choose your own password before using "
                                     "the API"))
    if capabilities and not any(has_capability(user, c) for c in capabilities):
        raise HttpError(403, gettext("your role does not allow this"))


class TokenAuth(HttpBearer):
    """``Authorization: Bearer TOKEN``; the log names the token's user from here on.

    With ``capabilities``, an authenticated caller whose role grants none of them is
    refused (403) before the request's parameters are read.
    """

    def __init__(self, capabilities: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.capabilities = capabilities

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token.strip())
        if user is not None:
            audit.attribute_to(user)
            _require_of(user, self.capabilities)
        return user


class BrowserSessionAuth(SessionAuth):
    """The logged-in browser session (for reading only), with the same capability check."""

    def __init__(self, capabilities: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.capabilities = capabilities

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            _require_of(user, self.capabilities)
        return user


def reading(*capabilities: str) -> list:
    """An endpoint's ``auth`` for reading: a token or the logged-in session, and a role
    that grants one of ``capabilities`` (403 otherwise). Every endpoint declares its
    capabilities this way, so the access matrix test can read them."""
    return [TokenAuth(capabilities), BrowserSessionAuth(capabilities)]


def writing(*capabilities: str) -> list:
    """An endpoint's ``auth`` for writing: a token only (no request rides on a session
    cookie), and a role that grants one of ``capabilities``."""
    return [TokenAuth(capabilities)]


def declared_capabilities(auth_callbacks: list) -> tuple[str, ...]:
    """The capabilities an endpoint's ``auth`` requires (empty: none declared)."""
    found = {tuple(getattr(cb, "capabilities", ())) for cb in auth_callbacks}
    return found.pop() if len(found) == 1 else ()


#: Reading with no capability of its own (the API's default, for the docs).
READ_AUTH = reading()


def require(request: HttpRequest, *capabilities: str) -> None:
    """403 unless the caller's role grants one of ``capabilities`` — for checks that
    depend on the request (endpoints declare their own with :func:`reading`/:func:`writing`)."""
    _require_of(getattr(request, "auth", None), capabilities)


def paginate(queryset: QuerySet, page: int, page_size: int,
             item: Callable[[Any], Any] = lambda row: row) -> dict[str, Any]:
    """``{count, page, page_size, items}`` for one page of ``queryset`` (pages from 1)."""
    start = (page - 1) * page_size
    return {
        "count": queryset.count(),
        "page": page,
        "page_size": page_size,
        "items": [item(row) for row in queryset[start:start + page_size]],
    }


def api_language(request: HttpRequest) -> str:
    """``en`` when ``Accept-Language`` prefers English over Chinese, else Chinese."""
    header = request.headers.get("Accept-Language", "")
    for code, _q in trans_real.parse_accept_lang_header(header):
        code = code.lower()
        if code.startswith("en"):
            return "en"
        if code.startswith("zh"):
            return "zh-hans"
    return "zh-hans"


def _in_request_language(run: Callable) -> Callable:
    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        translation.activate(api_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        return run(request, *args, **kwargs)

    return wrapper


#: What each answer means, in the docs (instead of the HTTP reason phrase in English).
RESPONSE_DESCRIPTIONS = {
    200: _("the answer"),
    201: _("recorded: the new record"),
    400: _("the body is not JSON"),
    401: _("no API token, or one that is not valid"),
    403: _("the caller's role does not allow this"),
    404: _("no such record in the caller's subtree"),
    422: _("refused: the reason for each field"),
}
#: The ways to authenticate (the ``auth`` classes above), in the docs.
SECURITY_DESCRIPTIONS = {
    "TokenAuth": _("Authorization: Bearer TOKEN, a token from renkou token create USERNAME "
                   "or the site's API token page"),
    "BrowserSessionAuth": _("the logged-in browser session of the site, for reading only"),
}


def _choice_labels(name: str, values: list[Any]) -> str:
    """``value = label; …`` of the Django choices class called ``name`` with exactly these
    values (how an enum schema of the API is documented), or "" when there is none."""
    classes: list[type] = [Choices]
    found: list[type] = []
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if cls.__name__ == name and set(getattr(cls, "values", ())) == set(values):
            found.append(cls)
    if not found:
        return ""
    labels = dict(getattr(found[0], "choices", ()))
    return "; ".join(f"{value} = {labels.get(value, value)}" for value in values)


def _as_text(value: Any) -> Any:
    """``value`` with every lazy message in it turned into text (in place, for containers)."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _as_text(item)
    elif isinstance(value, list):
        value[:] = [_as_text(item) for item in value]
    return value


def _localised(schema: OpenAPISchema) -> OpenAPISchema:
    """The schema in the active language: its own copy (django-ninja shares some parts with
    the auth classes), with the answers, the enums (each value with its label) and the
    ways to authenticate described, and every message as text."""
    for key in list(schema):
        schema[key] = copy.deepcopy(schema[key])
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for status, answer in operation.get("responses", {}).items():
                if int(status) in RESPONSE_DESCRIPTIONS:
                    answer["description"] = RESPONSE_DESCRIPTIONS[int(status)]
    components = schema.get("components", {})
    for name, component in components.get("schemas", {}).items():
        labels = _choice_labels(name, component["enum"]) if "enum" in component else ""
        if labels:  # what each value means, in the reader's language
            component["description"] = labels
    for name, scheme in components.get("securitySchemes", {}).items():
        if name in SECURITY_DESCRIPTIONS:
            scheme["description"] = SECURITY_DESCRIPTIONS[name]
    return cast(OpenAPISchema, _as_text(schema))


def _docs_language(view: Callable) -> Callable:
    """The docs page and the schema in one language: ``?lang=en`` or ``?lang=zh-hans`` if
    given; else the schema follows ``Accept-Language`` like the rest of the API, and the
    docs page the interface language."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        chosen = request.GET.get("lang", "")
        if chosen in dict(settings.LANGUAGES):
            language = chosen
        elif getattr(request.resolver_match, "url_name", "") == "openapi-json":
            language = api_language(request)
        else:
            language = translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            return view(request, *args, **kwargs)

    return wrapper


class ApiDocs(Swagger):
    """Swagger UI from django-ninja's own static files (no CDN), without the online
    validator's badge (``validatorUrl``: the site has no internet), reading the schema
    in the page's language, with a way back to the site."""

    template = "core/api_docs.html"

    def __init__(self) -> None:
        super().__init__(settings={"validatorUrl": None, "docExpansion": "list"})

    def get_openapi_url(self, api: NinjaAPI, path_params: dict[str, Any]) -> str:
        language = translation.get_language() or settings.LANGUAGE_CODE
        return f"{super().get_openapi_url(api, path_params)}?lang={language}"


class RenkouAPI(NinjaAPI):
    """Mounts the apps' routers on first use, so a router module may import this one;
    builds the OpenAPI schema once per language (:func:`_localised`)."""

    _mounted = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[tuple[str, str | None, str], OpenAPISchema] = {}

    def _mount(self) -> None:
        if self._mounted:
            return
        self._mounted = True
        from . import registry

        for prefix, router, tags in registry.api_routers():
            self.add_router(prefix, router, tags=tags)

    @property
    def urls(self) -> tuple:
        self._mount()
        return super().urls

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        """The schema in the active language, built on first use of each language."""
        self._mount()
        language = translation.get_language() or settings.LANGUAGE_CODE
        key = (language, path_prefix, repr(sorted((path_params or {}).items())))
        if key not in self._schemas:
            self._schemas[key] = _localised(super().get_openapi_schema(
                path_prefix=path_prefix, path_params=path_params))
        return self._schemas[key]


api = RenkouAPI(
    title="renkou 人口",
    version="1",
    urls_namespace="api",
    auth=READ_AUTH,
    docs=ApiDocs(),
    docs_decorator=_docs_language,
    description=_(
        "The population register's JSON API. Send `Authorization: Bearer TOKEN` "
        "(a token from `renkou token create USERNAME`). Every answer is limited to the "
        "org subtree of the token's user: a record outside it answers 404; a role that "
        "may not read person records (statistician, auditor) answers 403. ID numbers "
        "are masked in lists and shown in full only on a person's own record, and every "
        "such view is logged. Messages are in Chinese, or English with "
        "`Accept-Language: en`."
    ),
)
api.add_decorator(_in_request_language, mode="view")

#: Service error keys → the request field they concern.
_FIELD_NAMES = {"mother": "mother_id", "father": "father_id", "spouse": "spouse_id",
                "person": "person_id", "org": "org_code", "household": "household_no",
                "__all__": ""}


@api.exception_handler(DjangoValidationError)
def _refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    pairs = reasons(exc)
    errors = [{"field": _FIELD_NAMES.get(key, key), "message": str(message)}
              for key, message in pairs]
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(NinjaValidationError)
def _malformed(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", "<parameter>", "<field>", …) or ("query", "<field>")
        field = ".".join(loc[2:] if loc[:1] == ["body"] else loc[1:]) or ".".join(loc)
        errors.append({"field": field, "message": str(error.get("msg", ""))})
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = api.create_response(
        request, {"detail": gettext("too many requests from this address: wait %(n)s seconds")
                  % {"n": exc.wait or 60}}, status=429)
    if exc.wait:
        response["Retry-After"] = str(exc.wait)
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": gettext("not found")}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": gettext("a valid API token is required: Authorization: Bearer TOKEN")},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


