"""The API docs (issue 14, item 8): the OpenAPI schema describes every operation,
parameter, schema and field, in Chinese or in English, and the docs page loads its
assets from this site only (the site has no internet)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.utils import translation

from renkou.core.api import api

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def _schema(language: str) -> dict[str, Any]:
    with translation.override(language):
        return json.loads(json.dumps(api.get_openapi_schema()))


def _descriptions(schema: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Every description of the schema by where it is, and the places without one:
    each operation (summary and description), parameter, component and property."""
    found: dict[str, str] = {}
    missing: list[str] = []

    def need(where: str, text: Any) -> None:
        if isinstance(text, str) and text.strip():
            found[where] = text
        else:
            missing.append(where)

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            need(f"{where} summary", operation.get("summary"))
            need(f"{where} description", operation.get("description"))
            for parameter in operation.get("parameters", []):
                need(f"{where} parameter {parameter['name']}", parameter.get("description"))
            for status, answer in operation.get("responses", {}).items():
                need(f"{where} answer {status}", answer.get("description"))
    for name, component in schema["components"]["schemas"].items():
        need(f"schema {name}", component.get("description"))
        for field, spec in component.get("properties", {}).items():
            need(f"field {name}.{field}", spec.get("description"))
    for name, scheme in schema["components"].get("securitySchemes", {}).items():
        need(f"security {name}", scheme.get("description"))
    need("the API", schema["info"].get("description"))
    return found, missing


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_operation_parameter_schema_and_field_is_described(language):
    found, missing = _descriptions(_schema(language))
    assert missing == []
    assert len(found) > 300  # 26 operations, about 60 schemas and 300 fields


def test_in_chinese_every_description_is_chinese():
    found, _ = _descriptions(_schema("zh-hans"))
    assert {where: text for where, text in found.items() if not CJK.search(text)} == {}
    schema = _schema("zh-hans")
    person = schema["components"]["schemas"]["PersonItem"]["properties"]
    assert person["id_number"]["description"].startswith("公民身份号码，已脱敏")
    assert schema["components"]["schemas"]["Sex"]["description"] == "M = 男; F = 女"
    assert schema["paths"]["/api/births"]["post"]["summary"] == "生育登记"
    assert schema["paths"]["/api/persons"]["get"]["responses"]["404"]["description"] == \
        "调用者管辖范围内没有该记录"


def test_in_english_every_description_is_english():
    found, _ = _descriptions(_schema("en"))
    assert {where: text for where, text in found.items() if not LATIN.search(text)} == {}
    schema = _schema("en")
    assert schema["paths"]["/api/persons"]["get"]["summary"] == "Search persons"
    assert schema["components"]["schemas"]["Sex"]["description"] == "M = male; F = female"
    assert "公民身份号码" not in json.dumps(schema["components"]["schemas"]["PersonPage"],
                                       ensure_ascii=False)


def test_the_schema_is_built_once_per_language():
    with translation.override("zh-hans"):
        first = api.get_openapi_schema()
        assert api.get_openapi_schema() is first
    with translation.override("en"):
        assert api.get_openapi_schema() is not first


@pytest.mark.django_db
def test_the_schema_url_takes_the_language_asked_for(client):
    summary = lambda response: response.json()["paths"]["/api/persons"]["get"]["summary"]  # noqa: E731
    assert summary(client.get("/api/openapi.json")) == "查找人员"
    assert summary(client.get("/api/openapi.json", {"lang": "en"})) == "Search persons"
    assert summary(client.get("/api/openapi.json", HTTP_ACCEPT_LANGUAGE="en")) == "Search persons"
    assert summary(client.get("/api/openapi.json", {"lang": "zh-hans"},
                              HTTP_ACCEPT_LANGUAGE="en")) == "查找人员"


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.settings = ""
        self._in_settings = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        self.urls += [values[key] for key in ("src", "href") if values.get(key)]
        self._in_settings = values.get("id") == "swagger-settings"

    def handle_data(self, data: str) -> None:
        if self._in_settings:
            self.settings += data


def _docs(client, **extra) -> _Assets:
    response = client.get("/api/docs", **extra)
    assert response.status_code == 200
    page = _Assets()
    page.feed(response.content.decode())
    return page


@pytest.mark.django_db
def test_the_docs_page_loads_its_assets_from_this_site_only(client, settings):
    page = _docs(client)
    assert page.urls
    assert [u for u in page.urls if not (u.startswith("/") or u.startswith("?"))
            or u.startswith("//")] == []
    static = [u.removeprefix(settings.STATIC_URL) for u in page.urls
              if u.startswith(settings.STATIC_URL)]
    assert {"ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css"} <= set(static)
    assert [path for path in static if finders.find(path) is None] == []
    swagger = json.loads(page.settings)
    assert swagger["validatorUrl"] is None  # no badge fetched from validator.swagger.io
    assert swagger["url"] == "/api/openapi.json?lang=zh-hans"


@pytest.mark.django_db
def test_the_docs_page_reads_the_schema_in_the_interface_language(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert json.loads(_docs(client).settings)["url"] == "/api/openapi.json?lang=en"
    assert json.loads(_docs(client, data={"lang": "zh-hans"}).settings)["url"] == \
        "/api/openapi.json?lang=zh-hans"


@pytest.mark.django_db
def test_the_access_log_page_links_the_docs(client, role_users):
    from renkou.accounts.roles import Role

    client.force_login(role_users[Role.AUDITOR])
    assert '<a href="/api/docs">接口文档</a>' in client.get("/audit/").content.decode()
