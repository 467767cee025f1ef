"""User management (issue 14): a county officer manages the users of its subtree —
creates them (at its unit or below, with a role it may grant), disables and enables
them, gives them a temporary password, lifts their log-in lock — and every user changes
its own password and holds its own API tokens. Each change is in the log.

The small county 东城县 (和平镇 › 东村, 城关街道 › 南门社区) and a second county 西城县
whose users the officer of 东城县 never sees.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.urls import reverse

from renkou.accounts import services
from renkou.accounts.models import ApiToken, Role, User
from renkou.core import audit
from renkou.core.models import AuditAction, AuditEntry
from renkou.orgunits.models import OrgKind
from renkou.testing.factories import PASSWORD, make_unit, make_user

pytestmark = pytest.mark.django_db

NEW = "Hexie-renkou-2026"
TEMPORARY = "Linshi-mima-2026"


@pytest.fixture
def people(small_register):
    other = make_unit("110102000000", "西城县", OrgKind.COUNTY)
    return SimpleNamespace(
        register=small_register,
        officer=make_user("officer", Role.COUNTY_OFFICER, small_register.county),
        township=make_user("zhen", Role.TOWNSHIP_OFFICER, small_register.town),
        clerk=make_user("cun", Role.VILLAGE_CLERK, small_register.village),
        auditor=make_user("shenji", Role.AUDITOR, small_register.county),
        stranger=make_user("xicheng", Role.VILLAGE_CLERK, other),
        root=User.objects.create_superuser("root", password=PASSWORD, org=small_register.county),
        other_county=other,
    )


def _entries(operation: str):
    return AuditEntry.objects.filter(action=AuditAction.USER, details__operation=operation)


def _as(user):
    """Record as ``user`` does on a page (the log names it)."""
    return audit.acting(user, "127.0.0.1", "web")


# --- services -------------------------------------------------------------------------


def test_an_officer_sees_the_users_of_its_subtree_only(people):
    visible = set(User.objects.visible_to(people.officer).values_list("username", flat=True))
    assert visible == {"officer", "zhen", "cun", "shenji", "root"}
    # a township officer does not manage users at all
    assert not User.objects.visible_to(people.township).exists()


def test_a_user_created_by_an_officer_must_change_its_password_and_is_logged(people):
    with _as(people.officer):
        user = services.add_user("wangli", role=Role.VILLAGE_CLERK, org_code=people.register.village.code,
                                 password=TEMPORARY, full_name="王丽", by=people.officer, temporary=True)
    assert (user.role, user.org, user.full_name, user.must_change_password) == (
        Role.VILLAGE_CLERK, people.register.village, "王丽", True)
    assert user.get_full_name() == "王丽" and user.check_password(TEMPORARY)
    entry = _entries("create").get()
    assert (entry.username, entry.object_id, entry.channel) == ("officer", "wangli", "web")
    assert TEMPORARY not in str(entry.details)


def test_a_unit_outside_or_above_the_officers_own_is_refused(people):
    with pytest.raises(ValidationError) as outside:
        services.add_user("x1", role=Role.VILLAGE_CLERK, org_code=people.other_county.code,
                          password=NEW, by=people.officer)
    assert "在您本单位之上或之外" in outside.value.message_dict["org"][0]
    # a county officer placed at a township (unusual, but possible) cannot reach up
    at_town = make_user("xiangzhen", Role.COUNTY_OFFICER, people.register.town)
    with pytest.raises(ValidationError) as above:
        services.add_user("x2", role=Role.VILLAGE_CLERK, org_code=people.register.county.code,
                          password=NEW, by=at_town)
    assert "东城县（110101000000）" in above.value.message_dict["org"][0]
    assert not User.objects.filter(username__in=["x1", "x2"]).exists()
    assert not _entries("create").exists()


def test_an_officer_grants_only_roles_within_its_own(people):
    with pytest.raises(ValidationError) as refused:
        services.add_user("x3", role=Role.AUDITOR, org_code=people.register.county.code,
                          password=NEW, by=people.officer)
    message = refused.value.message_dict["role"][0]
    assert "不能授予“审计人员”角色" in message and "查看访问与变更日志" in message
    # every role whose capabilities the county officer holds may be granted
    for role in (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER, Role.STATISTICIAN):
        assert services.role_refusal(people.officer, role) is None
    # the command line (an administrator at the machine) is bound by nothing
    assert services.add_user("x4", role=Role.AUDITOR, org_code=people.register.county.code,
                             password=NEW).role == Role.AUDITOR


def test_disabling_and_enabling_lock_the_row_check_and_log(people):
    with _as(people.officer):
        services.set_user_active("cun", False, by=people.officer)
        assert not User.objects.get(username="cun").is_active
        services.set_user_active("cun", True, by=people.officer)
    assert User.objects.get(username="cun").is_active
    assert _entries("disable").count() == 1 and _entries("enable").count() == 1


@pytest.mark.parametrize(("target", "reason"), [
    ("xicheng", "没有名为"),      # outside the subtree: no such user for the officer
    ("shenji", "审计人员"),          # a role the officer may not grant: nor manage
    ("officer", "您本人的账户"),    # oneself
    ("root", "只有超级用户"),       # a superuser
])
def test_an_officer_manages_no_user_beyond_its_reach(people, target, reason):
    for change in (lambda: services.set_user_active(target, False, by=people.officer),
                   lambda: services.set_user_password(target, NEW, by=people.officer, temporary=True),
                   lambda: services.unlock_user(target, by=people.officer)):
        with pytest.raises(ValidationError) as refused:
            change()
        assert reason in " ".join(refused.value.messages)
    user = User.objects.get(username=target)
    assert user.is_active and user.check_password(PASSWORD) and not user.must_change_password
    assert not AuditEntry.objects.filter(action=AuditAction.USER).exists()


def test_a_reset_password_is_temporary_and_logged_without_it(people):
    with _as(people.officer):
        services.set_user_password("cun", TEMPORARY, by=people.officer, temporary=True)
    clerk = User.objects.get(username="cun")
    assert clerk.check_password(TEMPORARY) and clerk.must_change_password
    entry = _entries("reset_password").get()
    assert entry.object_id == "cun" and TEMPORARY not in str(entry.details)


def test_a_weak_temporary_password_is_refused_in_chinese(people):
    with pytest.raises(ValidationError) as refused:
        services.set_user_password("cun", "12345678", by=people.officer, temporary=True)
    assert "密码" in refused.value.message_dict["password"][0]
    assert User.objects.get(username="cun").check_password(PASSWORD)


def test_changing_ones_own_password_ends_the_temporary_one(people):
    services.set_user_password("cun", TEMPORARY, by=people.officer, temporary=True)
    clerk = User.objects.get(username="cun")
    with pytest.raises(ValidationError) as same:
        services.change_own_password(clerk, TEMPORARY)
    assert same.value.message_dict["password"] == ["新密码不能与原密码相同"]
    services.change_own_password(clerk, NEW)
    clerk.refresh_from_db()
    assert clerk.check_password(NEW) and not clerk.must_change_password
    assert _entries("change_own_password").count() == 1


def test_unlocking_forgets_the_failed_log_ins(client, people):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "cun", "password": "wrong-password"})
    assert services.locked_out_usernames(["cun", "zhen"]) == {"cun"}
    with _as(people.officer):
        assert services.unlock_user("cun", by=people.officer) >= 1
    assert services.locked_out_usernames(["cun"]) == set()
    assert not AccessAttempt.objects.filter(username="cun").exists()
    assert _entries("unlock").get().object_id == "cun"
    client.post(reverse("accounts:login"), {"username": "cun", "password": PASSWORD})
    assert client.get(reverse("accounts:account")).status_code == 200


def test_the_command_line_set_password_is_not_temporary(people):
    services.set_user_password("cun", NEW)
    assert not User.objects.get(username="cun").must_change_password


# --- pages ----------------------------------------------------------------------------


def test_the_user_list_shows_the_subtree_in_chinese(client, people):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "cun", "password": "wrong-password"})
    client.force_login(people.officer)
    page = client.get(reverse("accounts:users")).content.decode()
    assert "xicheng" not in page
    for text in ("officer", "zhen", "cun", "村（社区）计生专干", "东村", "已锁定", "用户管理"):
        assert text in page
    menu = client.get(reverse("accounts:account")).content.decode().split("</nav>")[0]
    assert '<a href="/accounts/users/">用户管理</a>' in menu
    client.force_login(people.township)
    assert "/accounts/users/" not in client.get(reverse("accounts:account")).content.decode()


def test_a_user_outside_the_subtree_answers_404_and_other_roles_403(client, people):
    client.force_login(people.officer)
    assert client.get(reverse("accounts:user", args=[people.stranger.pk])).status_code == 404
    assert client.post(reverse("accounts:user_active", args=[people.stranger.pk]),
                       {"active": "0"}).status_code == 404
    assert User.objects.get(username="xicheng").is_active
    client.force_login(people.township)
    assert client.get(reverse("accounts:users")).status_code == 403
    assert client.post(reverse("accounts:user_active", args=[people.clerk.pk]),
                       {"active": "0"}).status_code == 403


def test_the_new_user_form_says_why_a_role_is_refused(client, people):
    client.force_login(people.officer)
    response = client.post(reverse("accounts:user_create"), {
        "username": "x5", "full_name": "审计", "role": Role.AUDITOR,
        "org": people.register.county.code, "password": NEW})
    assert response.status_code == 200
    assert "不能授予“审计人员”角色" in response.content.decode()
    assert not User.objects.filter(username="x5").exists()


def test_a_user_with_a_temporary_password_is_sent_to_change_it(client, people):
    services.set_user_password("cun", TEMPORARY, by=people.officer, temporary=True)
    client.post(reverse("accounts:login"), {"username": "cun", "password": TEMPORARY})
    password_page = reverse("accounts:password")
    for url in (reverse("register:home"), reverse("register:search"), reverse("accounts:tokens")):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, password_page)
    assert "请先设置您自己的密码" in client.get(password_page).content.decode()
    assert client.get("/static/renkou/renkou.css").status_code == 200
    response = client.post(password_page, {"old_password": TEMPORARY, "new_password1": NEW,
                                           "new_password2": NEW})
    assert (response.status_code, response["Location"]) == (302, reverse("register:home"))
    assert client.get(reverse("accounts:account")).status_code == 200  # the session goes on


def test_a_user_with_a_temporary_password_may_still_log_out(client, people):
    services.set_user_password("cun", TEMPORARY, by=people.officer, temporary=True)
    client.post(reverse("accounts:login"), {"username": "cun", "password": TEMPORARY})
    response = client.post(reverse("accounts:logout"))
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:login"))


def test_the_password_page_refuses_a_wrong_old_password_and_a_weak_new_one(client, people):
    client.force_login(people.clerk)
    wrong = client.post(reverse("accounts:password"), {
        "old_password": "not-it", "new_password1": NEW, "new_password2": NEW}).content.decode()
    assert "你的旧密码不正确" in wrong
    weak = client.post(reverse("accounts:password"), {
        "old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"})
    assert "密码不能全是数字" in weak.content.decode()
    mismatch = client.post(reverse("accounts:password"), {
        "old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW + "x"})
    assert "输入的两个密码不一致" in mismatch.content.decode()
    assert User.objects.get(username="cun").check_password(PASSWORD)


def test_the_api_refuses_the_tokens_of_a_user_with_a_temporary_password(client, people):
    key = services.issue_token(people.clerk, "脚本")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/persons", **auth).status_code == 200
    services.set_user_password("cun", TEMPORARY, by=people.officer, temporary=True)
    refused = client.get("/api/persons", **auth)
    assert refused.status_code == 403
    assert "设置您自己的密码" in refused.json()["detail"]
    services.change_own_password(User.objects.get(username="cun"), NEW)
    assert client.get("/api/persons", **auth).status_code == 200


def test_tokens_page_shows_a_new_key_once_and_revokes_only_ones_own(client, people):
    client.force_login(people.clerk)
    created = client.post(reverse("accounts:token_create"), {"name": "月报脚本"})
    token = ApiToken.objects.get(user=people.clerk)
    key = created.content.decode().split('id="token-key" class="mono" readonly value="')[1].split('"')[0]
    assert key.startswith(token.prefix) and created["Cache-Control"] == "no-store"
    assert "只显示这一次" in created.content.decode()
    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert token.prefix in listing and "月报脚本" in listing and key not in listing
    others = ApiToken.objects.get(prefix=services.issue_token(people.township)[:8])
    assert client.post(reverse("accounts:token_revoke", args=[others.pk])).status_code == 404
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    others.refresh_from_db()
    assert token.revoked is not None and others.revoked is None
    client.logout()  # the API also reads with the browser's session
    assert client.get("/api/persons", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    operations = list(AuditEntry.objects.filter(action=AuditAction.TOKEN, username="cun")
                      .values_list("details__operation", flat=True))
    assert sorted(operations) == ["issue", "revoke"]


def test_every_role_opens_its_own_account_from_the_user_name(client, role_users):
    for user in role_users.values():
        client.force_login(user)
        assert client.get(reverse("accounts:account")).status_code == 200
        assert client.get(reverse("accounts:tokens")).status_code == 200
        assert client.get(reverse("accounts:password")).status_code == 200
    page = client.get(reverse("accounts:account")).content.decode()
    assert f'href="{reverse("accounts:account")}"' in page


def test_the_page_of_a_user_beyond_the_officers_role_offers_no_action(client, people):
    client.force_login(people.officer)
    page = client.get(reverse("accounts:user", args=[people.auditor.pk])).content.decode()
    assert 'id="refusal"' in page and "审计人员" in page
    assert reverse("accounts:user_active", args=[people.auditor.pk]) not in page
    clerk_page = client.get(reverse("accounts:user", args=[people.clerk.pk])).content.decode()
    assert reverse("accounts:user_active", args=[people.clerk.pk]) in clerk_page
