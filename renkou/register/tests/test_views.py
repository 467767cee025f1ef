"""Register pages: search, masking, person and household pages, the life-event forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from renkou.accounts.models import Role, User
from renkou.core import clock
from renkou.core.models import AuditAction, AuditEntry
from renkou.register import services
from renkou.register.identity import mask_id_number
from renkou.register.models import (
    EventType,
    Household,
    HukouType,
    LifeEvent,
    MaritalStatus,
    Person,
    PersonStatus,
    Sex,
)

from .conftest import PASSWORD, make_id_number

pytestmark = pytest.mark.django_db


def _search(client, q, **headers):
    return client.get(reverse("register:search"), {"q": q}, **headers)


def _event_url(person, kind):
    return reverse("register:event", args=[person.pk, kind])


def _tomorrow() -> str:
    return (clock.today() + dt.timedelta(days=1)).isoformat()


# --- access -------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [
    ("register:home", []), ("register:search", []), ("register:enrol", []),
    ("orgunits:tree", []),
])
def test_pages_require_login(client, small_register, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_login_page_is_chinese_and_logs_in(client, officer):
    page = client.get(reverse("accounts:login"))
    assert "登录" in page.content.decode()
    response = client.post(reverse("accounts:login"),
                           {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("register:home")).status_code == 200


def test_person_outside_the_users_subtree_is_not_found(client, small_register):
    street_clerk = User.objects.create_user(username="street", password=PASSWORD,
                                            role=Role.VILLAGE_CLERK, org=small_register.street)
    client.force_login(street_clerk)
    assert client.get(reverse("register:person", args=[small_register.zxm.pk])).status_code == 404
    assert client.get(reverse("register:person", args=[small_register.wang.pk])).status_code == 200
    assert list(_search(client, "zxm").context["page"].object_list) == []
    assert list(_search(client, "wf").context["page"].object_list) == [small_register.wang]


def _user(small_register, role, org=None) -> User:
    return User.objects.create_user(username=role, password=PASSWORD, role=role,
                                    org=org or small_register.county)


def test_a_statistician_sees_counts_but_no_person_or_household(client, small_register):
    client.force_login(_user(small_register, Role.STATISTICIAN))
    home = client.get(reverse("register:home"))
    assert home.status_code == 200
    assert home.context["board"].panel("register-residents").data["total"] == 4
    html = home.content.decode()
    assert reverse("register:search") not in html and reverse("register:enrol") not in html
    detail = client.get(reverse("orgunits:detail", args=[small_register.town.code]))
    assert detail.status_code == 200 and detail.context["residents"] == 2
    assert detail.context["page"] is None and "0010001" not in detail.content.decode()
    assert reverse("register:export") not in detail.content.decode()
    for url in (reverse("register:search"), reverse("register:person", args=[small_register.zxm.pk]),
                reverse("register:household", args=[small_register.household.pk]),
                reverse("register:enrol"), _event_url(small_register.zxm, "death"),
                reverse("register:export")):
        assert client.get(url).status_code == 403, url
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW).exists()


def test_an_auditor_reads_logs_only(client, small_register):
    client.force_login(_user(small_register, Role.AUDITOR))
    home = client.get(reverse("register:home"))  # its home: the latest log entries
    assert [p.key for p in home.context["board"].panels] == ["core-audit"]
    for url in (reverse("orgunits:tree"), reverse("register:search"),
                reverse("register:person", args=[small_register.zxm.pk])):
        assert client.get(url).status_code == 403, url


def test_a_user_without_a_role_may_open_nothing(client, small_register):
    client.force_login(User.objects.create_user(username="nobody", password=PASSWORD,
                                                org=small_register.county))
    assert client.get(reverse("register:home")).status_code == 403
    assert client.get(reverse("core:audit")).status_code == 403


def test_the_nav_shows_only_what_the_role_may_use(client, officer_client, small_register):
    links = {"search": reverse("register:search"), "enrol": reverse("register:enrol"),
             "tree": reverse("orgunits:tree"), "audit": reverse("core:audit")}
    html = officer_client.get(reverse("register:home")).content.decode()
    nav = html.split("</nav>")[0]
    assert {k for k, url in links.items() if f'href="{url}"' in nav} == {"search", "enrol", "tree"}
    client.force_login(_user(small_register, Role.STATISTICIAN))
    nav = client.get(reverse("register:home")).content.decode().split("</nav>")[0]
    assert {k for k, url in links.items() if f'href="{url}"' in nav} == {"tree"}


def test_viewing_a_person_or_household_is_logged(officer_client, officer, small_register):
    zxm, household = small_register.zxm, small_register.household
    officer_client.get(reverse("register:person", args=[zxm.pk]))
    officer_client.get(reverse("register:person", args=[zxm.pk]), {"as_of": "2021-01-01"})
    officer_client.get(reverse("register:household", args=[household.pk]), {"as_of": "2021-01-01"})
    views = AuditEntry.objects.filter(action=AuditAction.VIEW).order_by("id")
    assert [(e.object_type, e.object_id, e.details, e.user, e.client_address, e.channel)
            for e in views] == [
        ("person", str(zxm.pk), {}, officer, "127.0.0.1", "web"),
        ("person", str(zxm.pk), {"as_of": "2021-01-01"}, officer, "127.0.0.1", "web"),
        ("household", str(household.pk), {"as_of": "2021-01-01"}, officer, "127.0.0.1", "web"),
    ]


def test_the_correction_form_shows_the_full_id_number_and_logs_the_view(
        officer_client, officer, small_register):
    zxm = small_register.zxm
    page = officer_client.get(reverse("register:event", args=[zxm.pk, "fix"]))
    assert zxm.id_number in page.content.decode()
    officer_client.get(reverse("register:event", args=[zxm.pk, "death"]))  # no ID number shown
    views = AuditEntry.objects.filter(action=AuditAction.VIEW)
    assert [(e.object_type, e.object_id, e.details, e.user) for e in views] == [
        ("person", str(zxm.pk), {"form": "fix"}, officer)]


def test_a_record_out_of_scope_is_not_logged_as_viewed(client, small_register):
    client.force_login(_user(small_register, Role.VILLAGE_CLERK, small_register.street))
    assert client.get(reverse("register:person", args=[small_register.zxm.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW).exists()


def test_pages_send_security_headers(officer_client, small_register):
    response = officer_client.get(reverse("register:home"))
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src" not in response["Content-Security-Policy"]  # falls back to 'self'
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts():
    """The Content-Security-Policy forbids inline script: behaviour lives in static files
    (a JSON data block, never executed, is data for a static script: the API docs' settings)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offending = []
    for template in root.glob("**/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>|\son[a-z]+=|javascript:',
                     text):
            offending.append(template.name)
    assert offending == []


def test_local_assets_are_found():
    """The stylesheet and htmx ship with the package (no CDN on government intranets)."""
    from django.contrib.staticfiles import finders

    assert finders.find("renkou/renkou.css") is not None
    assert finders.find("renkou/vendor/htmx.min.js") is not None


def test_pages_use_only_local_assets(officer_client, small_register):
    html = officer_client.get(reverse("register:search")).content.decode()
    assert "/static/renkou/vendor/htmx.min.js" in html
    assert "http://" not in html and "https://" not in html


# --- home and org pages -------------------------------------------------------------


def test_home_counts_residents_by_township(officer, officer_client, small_register,
                                           django_assert_num_queries):
    from renkou.core.dashboard import DashboardRequest
    from renkou.register.dashboard import residents_panel

    with django_assert_num_queries(1):  # the unit and the units below it, one aggregate query
        (panel,) = residents_panel(DashboardRequest(officer))
    assert {u.name: u.residents for u in panel.data["units"]} == {"和平镇": 2, "城关街道": 2}
    assert panel.data["total"] == 4
    page = officer_client.get(reverse("register:home"))
    assert "各乡镇（街道）在册人口" in page.content.decode()


def test_org_tree_and_detail(officer_client, small_register):
    tree = officer_client.get(reverse("orgunits:tree")).content.decode()
    assert "南门社区" in tree and "和平镇" in tree
    detail = officer_client.get(reverse("orgunits:detail", args=[small_register.town.code]))
    assert [(c.name, c.residents) for c in detail.context["children"]] == [("东村", 2)]
    assert detail.context["residents"] == 2
    assert "0010001" in detail.content.decode()


# --- search -------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["zxm", "ZXM", "zhangxiaoming", "zhangx", "晓明", "张晓明"])
def test_search_by_name_and_pinyin(officer_client, small_register, query):
    found = list(_search(officer_client, query).context["page"].object_list)
    assert small_register.zxm in found
    assert small_register.mother not in found


def test_search_by_id_number_exact_and_prefix(officer_client, small_register):
    full = small_register.zxm.id_number
    assert list(_search(officer_client, full).context["page"].object_list) == [small_register.zxm]
    assert list(_search(officer_client, full[:12].lower()).context["page"].object_list) == [
        small_register.zxm
    ]


def test_search_by_household_number(officer_client, small_register):
    response = _search(officer_client, "0010001")
    assert set(response.context["page"].object_list) == {small_register.zxm, small_register.mother}
    assert response.context["household"] == small_register.household


def test_empty_search_finds_nothing(officer_client, small_register):
    assert list(_search(officer_client, "").context["page"].object_list) == []


def test_lists_mask_id_numbers(officer_client, small_register):
    full = small_register.zxm.id_number
    html = _search(officer_client, "zxm").content.decode()
    assert full not in html
    assert mask_id_number(full) in html
    household = officer_client.get(
        reverse("register:household", args=[small_register.household.pk])).content.decode()
    assert full not in household and mask_id_number(full) in household
    person = officer_client.get(reverse("register:person", args=[small_register.zxm.pk]))
    assert full in person.content.decode()  # the person page shows the full number


def test_htmx_search_returns_only_the_results(officer_client, small_register):
    html = _search(officer_client, "zxm", HTTP_HX_REQUEST="true").content.decode()
    assert "张晓明" in html
    assert "<html" not in html


def test_search_page_query_count_does_not_grow_with_results(officer_client, small_register,
                                                            django_assert_max_num_queries):
    for i in range(60):
        household = Household.objects.create(household_no=f"009{i:04d}",
                                             org=small_register.village)
        services.enrol_person(name=f"张小{'一二三四五六七八九十'[i % 10]}{i}", sex=Sex.MALE,
                              birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i),
                              org=small_register.village, hukou_type=HukouType.RURAL,
                              household=household, event_date=dt.date(2020, 1, 1))
    # one of them lists the units of the export form's unit picker
    with django_assert_max_num_queries(7):
        response = _search(officer_client, "zx")
    assert response.context["page"].paginator.count == 61
    assert len(response.context["page"].object_list) == 50


# --- person and household pages, as-of ------------------------------------------------


def test_person_page_shows_parents_children_and_ledger(officer_client, small_register):
    child = services.record_birth(mother=small_register.mother, father=small_register.zxm,
                                  name="张小宝", sex=Sex.MALE, birth_date=dt.date(2024, 6, 1))
    html = officer_client.get(reverse("register:person", args=[child.pk])).content.decode()
    assert "李秀英" in html and "张晓明" in html and "出生" in html
    mother_page = officer_client.get(reverse("register:person", args=[small_register.mother.pk]))
    assert child in mother_page.context["children"]


def test_person_page_shows_what_superseded_what(officer_client, small_register):
    event = services.record_move_out(small_register.wang, event_date=dt.date(2024, 1, 1))
    correction = services.void_event(event, reason="录入错误")
    html = officer_client.get(reverse("register:person", args=[small_register.wang.pk]))
    html = html.content.decode()
    assert f"被 #{correction.pk} 更正" in html
    assert f"更正 #{event.pk}" in html
    assert "录入错误" in html


def test_as_of_picker_rebuilds_the_persons_state(officer_client, small_register):
    services.record_move_out(small_register.wang, event_date=dt.date(2024, 1, 1),
                             destination="广东省深圳市")
    url = reverse("register:person", args=[small_register.wang.pk])
    before = officer_client.get(url, {"as_of": "2023-12-31"}).context["state"]
    after = officer_client.get(url, {"as_of": "2024-01-02"}).context["state"]
    assert before.status == PersonStatus.RESIDENT
    assert after.status == PersonStatus.MOVED_OUT
    earliest = officer_client.get(url, {"as_of": "2019-12-31"})
    assert earliest.context["state"] is None
    assert "尚未登记在册" in earliest.content.decode()


def test_household_as_of_lists_members_on_that_date(officer_client, small_register):
    child = services.record_birth(mother=small_register.mother, name="张小宝", sex=Sex.MALE,
                                  birth_date=dt.date(2024, 6, 1))
    url = reverse("register:household", args=[small_register.household.pk])
    assert child not in officer_client.get(url, {"as_of": "2024-05-31"}).context["members"]
    assert child in officer_client.get(url, {"as_of": "2024-06-01"}).context["members"]
    assert child in officer_client.get(url).context["members"]


# --- the life-event forms -----------------------------------------------------------


def _assert_error(response, field: str, text: str) -> None:
    assert response.status_code == 200, response
    errors = response.context["form"].errors
    assert any(text in e for e in errors.get(field, [])), errors
    assert text in response.content.decode()


def test_birth_form_records_the_child(officer_client, small_register):
    mother = small_register.mother
    response = officer_client.post(_event_url(mother, "birth"), {
        "mother": mother.pk, "father": small_register.zxm.pk, "name": "张小宝",
        "sex": Sex.MALE, "birth_date": "2024-06-01", "id_number": "",
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("register:person", args=[mother.pk])
    child = Person.objects.get(name="张小宝")
    assert (child.mother, child.father, child.household) == (
        mother, small_register.zxm, small_register.household)
    assert child.events.get().event_type == EventType.BIRTH
    page = officer_client.get(response["Location"]).content.decode()
    assert "张小宝" in page and "已登记" in page


@pytest.mark.date_sensitive
def test_birth_form_refuses_a_future_date(officer_client, small_register):
    response = officer_client.post(_event_url(small_register.mother, "birth"), {
        "mother": small_register.mother.pk, "name": "张小宝", "sex": Sex.MALE,
        "birth_date": _tomorrow(),
    })
    _assert_error(response, "birth_date", "事件日期晚于今天")
    assert not Person.objects.filter(name="张小宝").exists()


def test_birth_form_refuses_a_mother_younger_than_12(officer_client, small_register):
    response = officer_client.post(_event_url(small_register.mother, "birth"), {
        "mother": small_register.mother.pk, "name": "张小宝", "sex": Sex.MALE,
        "birth_date": "2003-01-01",
    })
    _assert_error(response, "mother", "不满12周岁")


@pytest.mark.date_sensitive
def test_birth_form_field_max_is_today(officer_client, small_register):
    html = officer_client.get(_event_url(small_register.mother, "birth")).content.decode()
    assert f'max="{clock.today().isoformat()}"' in html


def test_death_form(officer_client, small_register):
    url = _event_url(small_register.wang, "death")
    _assert_error(officer_client.post(url, {"event_date": "1990-01-01"}),
                  "event_date", "早于本人出生日期")
    response = officer_client.post(url, {"event_date": "2024-03-01", "cause": "疾病"})
    assert response.status_code == 302
    small_register.wang.refresh_from_db()
    assert small_register.wang.status == PersonStatus.DEAD


def test_marriage_form(officer_client, small_register):
    _assert_error(
        officer_client.post(_event_url(small_register.zxm, "marriage"),
                            {"event_date": "2024-03-01", "spouse": small_register.wang.pk}),
        "__all__", "张晓明已婚")
    response = officer_client.post(_event_url(small_register.zhao, "marriage"),
                                   {"event_date": "2024-03-01", "spouse": small_register.wang.pk})
    assert response.status_code == 302
    small_register.wang.refresh_from_db()
    assert small_register.wang.marital_status == MaritalStatus.MARRIED


def test_marriage_form_unknown_spouse(officer_client, small_register):
    _assert_error(
        officer_client.post(_event_url(small_register.zhao, "marriage"),
                            {"event_date": "2024-03-01", "spouse": 999999}),
        "spouse", "没有编号为 999999 的人员")


def test_divorce_form(officer_client, small_register):
    _assert_error(officer_client.post(_event_url(small_register.wang, "divorce"),
                                      {"event_date": "2024-03-01"}),
                  "__all__", "王芳不是已婚状态")
    response = officer_client.post(_event_url(small_register.zxm, "divorce"),
                                   {"event_date": "2024-03-01",
                                    "spouse": small_register.mother.pk})
    assert response.status_code == 302
    small_register.mother.refresh_from_db()
    assert small_register.mother.marital_status == MaritalStatus.DIVORCED


@pytest.mark.date_sensitive
def test_move_out_form(officer_client, small_register):
    url = _event_url(small_register.wang, "move-out")
    _assert_error(officer_client.post(url, {"event_date": _tomorrow()}),
                  "event_date", "事件日期晚于今天")
    response = officer_client.post(url, {"event_date": "2024-01-01", "destination": "深圳"})
    assert response.status_code == 302
    small_register.wang.refresh_from_db()
    assert small_register.wang.status == PersonStatus.MOVED_OUT


def test_move_within_form(officer_client, small_register):
    url = _event_url(small_register.wang, "move-within")
    _assert_error(officer_client.post(url, {"event_date": "2024-01-01",
                                            "org_code": small_register.community.code}),
                  "org_code", "迁入地与现户籍地相同")
    _assert_error(officer_client.post(url, {"event_date": "2024-01-01", "org_code": "999"}),
                  "org_code", "没有区划代码为 999 的组织机构")
    response = officer_client.post(url, {"event_date": "2024-01-01",
                                         "org_code": small_register.village.code,
                                         "household_no": "0010001", "relationship": "other"})
    assert response.status_code == 302
    small_register.wang.refresh_from_db()
    assert small_register.wang.registered_org == small_register.village
    assert small_register.wang.household == small_register.household


def test_move_in_form(officer_client, small_register):
    _assert_error(officer_client.post(_event_url(small_register.zhao, "move-in"),
                                      {"event_date": "2024-01-01",
                                       "org_code": small_register.community.code}),
                  "__all__", "赵强已在册")
    services.record_move_out(small_register.wang, event_date=dt.date(2023, 1, 1))
    response = officer_client.post(_event_url(small_register.wang, "move-in"), {
        "event_date": "2024-01-01", "org_code": small_register.community.code,
        "origin": "深圳",
    })
    assert response.status_code == 302
    small_register.wang.refresh_from_db()
    assert small_register.wang.status == PersonStatus.RESIDENT


def test_enrol_form(officer_client, small_register):
    data = {
        "name": "孙丽", "sex": Sex.FEMALE, "birth_date": "1988-09-09",
        "id_number": make_id_number(dt.date(1988, 9, 9), Sex.FEMALE)[:-1] + "0",
        "ethnicity": "01", "hukou_type": HukouType.URBAN,
        "org_code": small_register.community.code, "household_no": "0020001",
        "address": "南门路3号", "relationship": "head", "marital_status": "single",
        "education": "college", "event_date": "2024-02-01",
    }
    if data["id_number"] == make_id_number(dt.date(1988, 9, 9), Sex.FEMALE):
        data["id_number"] = data["id_number"][:-1] + "1"
    _assert_error(officer_client.post(reverse("register:enrol"), data), "id_number", "校验码")
    assert not Household.objects.filter(household_no="0020001").exists()  # rolled back
    data["id_number"] = make_id_number(dt.date(1988, 9, 9), Sex.FEMALE)
    response = officer_client.post(reverse("register:enrol"), data)
    assert response.status_code == 302
    person = Person.objects.get(name="孙丽")
    assert person.household.household_no == "0020001"
    assert person.household.head == person
    assert person.events.get().event_type == EventType.ENROL


def test_void_form(officer_client, small_register):
    event = services.record_move_out(small_register.wang, event_date=dt.date(2024, 1, 1))
    url = _event_url(small_register.wang, "void")
    _assert_error(officer_client.post(url, {"event": event.pk, "reason": "  "}),
                  "reason", "这个字段是必填项")
    response = officer_client.post(url, {"event": event.pk, "reason": "误录迁出"})
    assert response.status_code == 302
    small_register.wang.refresh_from_db()
    assert small_register.wang.status == PersonStatus.RESIDENT
    assert LifeEvent.objects.get(supersedes=event).payload["void"] is True


def _fix_data(person, **changes):
    data = {
        "name": person.name, "id_number": person.id_number or "", "sex": person.sex,
        "birth_date": person.birth_date.isoformat(), "ethnicity": person.ethnicity,
        "education": person.education, "hukou_type": person.hukou_type,
        "relationship": person.relationship, "marital_status": person.marital_status,
        "reason": "户口簿核对",
    }
    data.update(changes)
    return data


def test_fix_fields_form(officer_client, small_register):
    url = _event_url(small_register.wang, "fix")
    _assert_error(officer_client.post(url, _fix_data(small_register.wang)),
                  "__all__", "没有修改任何内容")
    response = officer_client.post(url, _fix_data(small_register.wang, name="王芬"))
    assert response.status_code == 302
    small_register.wang.refresh_from_db()
    assert (small_register.wang.name, small_register.wang.name_initials) == ("王芬", "wf")
    correction = small_register.wang.events.get(event_type=EventType.CORRECTION)
    assert correction.payload["fields"]["name"] == {"old": "王芳", "new": "王芬"}


def test_english_is_available(officer_client, small_register):
    officer_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = officer_client.get(reverse("register:search")).content.decode()
    assert "Person search" in html


def test_birth_form_records_twins_together(officer_client, small_register):
    url = _event_url(small_register.mother, "birth")
    data = {"mother": small_register.mother.pk, "name": "张大宝", "sex": Sex.MALE,
            "birth_date": "2024-03-01", "name_2": "张小妹"}
    _assert_error(officer_client.post(url, data), "sex_2", "性别")
    response = officer_client.post(url, {**data, "sex_2": Sex.FEMALE})
    assert response.status_code == 302
    twins = small_register.mother.children_as_mother.order_by("birth_order")
    assert [(c.name, c.birth_order) for c in twins] == [("张大宝", 1), ("张小妹", 2)]
    again = officer_client.post(url, {"mother": small_register.mother.pk, "name": "张大宝",
                                      "sex": Sex.MALE, "birth_date": "2024-03-01"})
    _assert_error(again, "name", "张大宝")


def test_enrolling_a_person_already_in_the_unit_warns_and_asks_to_confirm(officer_client,
                                                                          small_register):
    zxm = small_register.zxm
    data = {"name": zxm.name, "sex": zxm.sex, "birth_date": zxm.birth_date.isoformat(),
            "ethnicity": "汉族", "hukou_type": HukouType.RURAL,
            "org_code": zxm.registered_org.code, "marital_status": "single",
            "event_date": "2024-02-01"}
    response = officer_client.post(reverse("register:enrol"), data)
    _assert_error(response, "confirm_new", "已")
    assert reverse("register:person", args=[zxm.pk]) in response.content.decode()
    assert Person.objects.filter(name=zxm.name).count() == 1
    response = officer_client.post(reverse("register:enrol"), {**data, "confirm_new": "on"})
    assert response.status_code == 302
    twin_namesake = Person.objects.filter(name=zxm.name).exclude(pk=zxm.pk).get()
    assert twin_namesake.ethnicity == "01"  # typed as a name, kept as the GB 3304 code


def test_a_voided_birth_is_no_child_on_the_mothers_page_and_its_own_page_says_why(
        officer_client, small_register, tmp_path):
    import csv

    from renkou.register.exporting import export_persons

    mother = small_register.mother
    child = services.record_birth(mother=mother, name="张小宝", sex=Sex.MALE,
                                  birth_date=dt.date(2024, 3, 1))
    services.void_event(child.events.get(event_type="birth"), reason="重复登记的出生")
    page = officer_client.get(reverse("register:person", args=[mother.pk]))
    assert child not in page.context["children"]
    page = officer_client.get(reverse("register:person", args=[child.pk])).content.decode()
    assert "登记作废" in page and "重复登记的出生" in page
    out = tmp_path / "persons.csv"
    export_persons(out)
    with open(out, encoding="utf-8-sig") as f:
        assert str(child.pk) not in {r["person_id"] for r in csv.DictReader(f)}


def test_lists_never_show_the_birth_date_beside_the_masked_id(officer_client, small_register,
                                                               client):
    from renkou.accounts.services import issue_token

    zxm = small_register.zxm
    hidden = zxm.id_number[6:14]  # the digits the mask hides: the birth date
    born = zxm.birth_date.isoformat()
    for url, params in ((reverse("register:search"), {"q": "zxm"}),
                        (reverse("register:household", args=[zxm.household_id]), {})):
        page = officer_client.get(url, params).content.decode()
        assert zxm.id_number[:6] + "********" + zxm.id_number[-4:] in page
        assert born not in page and hidden not in page, url
    token = issue_token(officer_client.get(reverse("register:home")).wsgi_request.user)
    listed = client.get("/api/persons", HTTP_AUTHORIZATION=f"Bearer {token}").json()["items"]
    item = next(i for i in listed if i["person_id"] == zxm.pk)
    assert item["birth_year"] == zxm.birth_date.year and "birth_date" not in item
