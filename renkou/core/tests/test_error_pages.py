"""Friendly pages when a request fails (issue 14, item 5): 400, 403, 404, 500 and a refused
form (CSRF) in Chinese, inside the site's layout with the menu of a logged-in user and a
way back; the 500 page drawn without the database. Also: breadcrumbs above the user's
own unit are plain text, and dates follow the language.

Django's test client runs with ``DEBUG = False``, as a deployment does."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import formats, translation

from renkou.accounts.roles import Role
from renkou.core import error_views

pytestmark = pytest.mark.django_db

FAILING_URLS = "renkou.core.tests.failing_urls"


def _text(response) -> str:
    return response.content.decode()


def _menu(html: str) -> list[str]:
    nav = re.search(r'<div class="nav-menu" id="nav-menu">(.*?)<span class="spacer">', html, re.S)
    return re.findall(r">([^<>]+)</a>", nav.group(1)) if nav else []


def _assert_layout_and_way_back(html: str) -> None:
    assert 'href="/static/renkou/renkou.css"' in html
    assert '<nav class="nav"' in html
    assert "返回上一页" in html and re.search(r'<a href="/"[^>]*>首页</a>', html)


@pytest.fixture
def clerk_client(client, role_users):
    client.force_login(role_users[Role.VILLAGE_CLERK])
    return client


def test_a_missing_page_is_a_chinese_404_in_the_layout_with_the_menu_and_a_way_back(clerk_client):
    response = clerk_client.get("/no-such-page/")
    assert response.status_code == 404
    html = _text(response)
    assert "页面不存在" in html and "错误 404" in html
    assert "不在您可查看的单位范围内" in html
    _assert_layout_and_way_back(html)
    assert {"首页", "人员查询"} <= set(_menu(html))


def test_a_record_outside_the_users_units_is_the_same_404(clerk_client, small_register):
    response = clerk_client.get(f"/persons/{small_register.wang.pk}/")  # 王芳 is in the street
    assert response.status_code == 404
    html = _text(response)
    assert "页面不存在" in html and "matches the given query" not in html


def test_the_way_back_is_the_referring_page_of_this_site_only(clerk_client):
    came_from = "http://testserver/persons/?q=%E5%BC%A0"
    html = _text(clerk_client.get("/no-such-page/", HTTP_REFERER=came_from))
    assert f'<a href="{came_from.replace("&", "&amp;")}" data-back' in html
    html = _text(clerk_client.get("/no-such-page/", HTTP_REFERER="http://elsewhere.example/x"))
    assert '<a href="/" data-back' in html


def test_a_visitor_not_logged_in_gets_the_404_without_a_menu(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = _text(response)
    assert "页面不存在" in html and _menu(html) == []
    _assert_layout_and_way_back(html)


def test_a_page_the_role_may_not_open_is_a_chinese_403_with_the_menu(client, role_users):
    client.force_login(role_users[Role.STATISTICIAN])  # no person-level data
    response = client.get("/persons/")
    assert response.status_code == 403
    html = _text(response)
    assert "您无权打开此页面" in html and "错误 403" in html
    _assert_layout_and_way_back(html)
    menu = _menu(html)
    assert "统计" in menu and "人员查询" not in menu  # the menu is the role's own


def test_a_refused_form_is_a_chinese_page_not_djangos_csrf_page(role_users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(role_users[Role.VILLAGE_CLERK])
    response = client.post("/accounts/logout/", {})
    assert response.status_code == 403
    html = _text(response)
    assert "表单未能提交" in html and "请返回上一页，刷新后重新提交" in html
    assert "CSRF" not in html.replace("X-CSRFToken", "")
    _assert_layout_and_way_back(html)
    assert "人员查询" in _menu(html)


def test_a_request_for_a_host_the_site_does_not_serve_is_a_chinese_400(client):
    response = client.get("/", HTTP_HOST="not-our-host.example")
    assert response.status_code == 400
    html = _text(response)
    assert "无法识别的请求" in html
    _assert_layout_and_way_back(html)


def test_a_failing_page_is_a_chinese_500_in_the_layout_with_the_menu(settings, role_users):
    settings.ROOT_URLCONF = FAILING_URLS
    client = Client(raise_request_exception=False)
    client.force_login(role_users[Role.COUNTY_OFFICER])
    response = client.get("/test-broken/")
    assert response.status_code == 500
    html = _text(response)
    assert "系统出错了" in html and "错误已记录" in html and "a bug in a page" not in html
    _assert_layout_and_way_back(html)
    assert {"首页", "统计", "人员查询"} <= set(_menu(html))


def test_the_500_page_when_the_database_itself_failed(settings, role_users):
    settings.ROOT_URLCONF = FAILING_URLS
    client = Client(raise_request_exception=False)
    client.force_login(role_users[Role.VILLAGE_CLERK])
    response = client.get("/test-database-gone/")
    assert response.status_code == 500
    html = _text(response)
    assert "系统出错了" in html and "人员查询" in _menu(html)


def test_the_500_page_asks_nothing_of_the_database(role_users, monkeypatch):
    """Drawn while every query fails: the user already loaded keeps the menu; a request
    whose user was never loaded gets the page without one."""
    def refuse(*args, **kwargs):
        raise OperationalError("the database is gone")

    request = RequestFactory().get("/persons/")
    request._cached_user = role_users[Role.VILLAGE_CLERK]
    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    monkeypatch.setattr(CursorWrapper, "executemany", refuse)
    with translation.override("zh-hans"):
        response = error_views.server_error(request)
        html = _text(response)
        assert response.status_code == 500 and "系统出错了" in html and "人员查询" in _menu(html)
        _assert_layout_and_way_back(html)
        bare = RequestFactory().get("/persons/")
        response = error_views.server_error(bare)
    assert response.status_code == 500 and "系统出错了" in _text(response)
    assert _menu(_text(response)) == []


def test_the_500_page_falls_back_to_plain_html_when_even_the_layout_fails(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no templates")

    monkeypatch.setattr(error_views.loader, "get_template", broken)
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with translation.override("zh-hans"):
        response = error_views.server_error(request)
    assert response.status_code == 500
    assert "系统出错了" in _text(response) and '<a href="/">首页</a>' in _text(response)


def test_the_api_answers_its_errors_in_json(client):
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "页面不存在"}


def test_the_english_interface_gets_the_english_error_page(clerk_client, settings):
    clerk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _text(clerk_client.get("/no-such-page/"))
    assert "Page not found" in html and "Back to the previous page" in html
    assert "Person search" in _menu(html)


# breadcrumbs: no link to a page the user cannot open

def _crumbs(html: str) -> str:
    return re.search(r'<nav class="muted breadcrumbs"[^>]*>(.*?)</nav>', html, re.S).group(1)


def test_breadcrumbs_above_the_users_own_unit_are_plain_text(client, role_users, small_register):
    village, town, county = small_register.village, small_register.town, small_register.county
    client.force_login(role_users[Role.VILLAGE_CLERK])
    crumbs = _crumbs(_text(client.get(f"/org/{village.code}/")))
    assert '<a href="/org/">组织机构</a>' in crumbs
    assert "东城县" in crumbs and "和平镇" in crumbs
    assert f"/org/{county.code}/" not in crumbs and f"/org/{town.code}/" not in crumbs
    assert client.get(f"/org/{town.code}/").status_code == 404  # why: the clerk cannot open it

    client.force_login(role_users[Role.TOWNSHIP_OFFICER])
    crumbs = _crumbs(_text(client.get(f"/org/{village.code}/")))
    assert f'<a href="/org/{town.code}/">和平镇</a>' in crumbs
    assert "东城县" in crumbs and f"/org/{county.code}/" not in crumbs

    client.force_login(role_users[Role.COUNTY_OFFICER])
    crumbs = _crumbs(_text(client.get(f"/org/{village.code}/")))
    assert f'<a href="/org/{county.code}/">东城县</a>' in crumbs
    assert f'<a href="/org/{town.code}/">和平镇</a>' in crumbs


def test_quality_breadcrumbs_link_only_within_the_users_units(client, role_users, small_register):
    client.force_login(role_users[Role.TOWNSHIP_OFFICER])
    html = _text(client.get(f"/quality/worklist/{small_register.village.code}/"))
    crumbs = _crumbs(html)
    assert f'/quality/worklist/{small_register.town.code}/">和平镇</a>' in crumbs
    assert "东城县" in crumbs and small_register.county.code not in crumbs
    html = _text(client.get(f"/quality/scorecard/?org={small_register.village.code}"))
    crumbs = _crumbs(html)
    assert f'?org={small_register.town.code}">和平镇</a>' in crumbs
    assert "东城县" in crumbs and small_register.county.code not in crumbs


def test_a_person_living_outside_the_users_units_names_that_unit_without_a_link(
        client, role_users, small_register):
    from renkou.register.models import Person

    Person.objects.filter(pk=small_register.zxm.pk).update(current_org=small_register.community)
    client.force_login(role_users[Role.VILLAGE_CLERK])
    html = _text(client.get(f"/persons/{small_register.zxm.pk}/"))
    assert "南门社区" in html and f"/org/{small_register.community.code}/" not in html
    client.force_login(role_users[Role.COUNTY_OFFICER])
    html = _text(client.get(f"/persons/{small_register.zxm.pk}/"))
    assert f'<a href="/org/{small_register.community.code}/">南门社区</a>' in html


# dates follow the language

def test_dates_are_written_in_the_languages_own_way():
    day, moment = dt.date(2026, 12, 2), dt.datetime(2026, 12, 2, 14, 5)
    page = Template('{{ d|date }} · {{ t|date:"DATETIME_FORMAT" }} · {{ d|date:"Y-m-d" }}')
    context = Context({"d": day, "t": moment})
    with translation.override("zh-hans"):
        assert formats.date_format(day) == "2026年12月2日"
        assert page.render(context) == "2026年12月2日 · 2026年12月2日 14:05 · 2026-12-02"
    with translation.override("en"):
        assert formats.date_format(day) == "2 Dec 2026"
        assert page.render(context) == "2 Dec 2026 · 2 Dec 2026 14:05 · 2026-12-02"
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"  # forms still read ISO


def test_a_sentence_on_the_household_page_writes_its_date_in_chinese(client, role_users, small_register):
    client.force_login(role_users[Role.VILLAGE_CLERK])
    html = _text(client.get(f"/households/{small_register.household.pk}/?as_of=2024-03-01"))
    assert "2024年3月1日 的户成员" in html
    assert 'value="2024-03-01"' in html  # the date field keeps the ISO value
