"""The access log for people (issue 14, item 7): action, role and object type named in
Chinese, the filters' labels, the export of a filtered view to CSV and Excel (exactly
the filtered rows, every page, Chinese headers and labels, itself logged), and
decisions and checks logged as what they are."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from renkou.accounts.roles import Role
from renkou.core import audit, registry
from renkou.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

URL = "/audit/"
PACKAGE = Path(__file__).resolve().parents[2]
HEADER = ["时间", "用户", "角色", "操作", "对象类型", "对象编号", "客户端地址", "渠道", "详情"]


@pytest.fixture
def auditor(role_users):
    return role_users[Role.AUDITOR]


@pytest.fixture
def logged(role_users, small_register):
    """A clerk views a person 60 times and exports once; a county officer decides on a
    benefit application; someone fails to log in."""
    clerk, officer = role_users[Role.VILLAGE_CLERK], role_users[Role.COUNTY_OFFICER]
    with audit.acting(clerk, "10.0.0.1", "web"):
        for _ in range(60):
            audit.record(AuditAction.VIEW, "person", small_register.zxm.pk)
        audit.record(AuditAction.EXPORT, "persons", details={"rows": 3, "file": "人员.xlsx"})
    with audit.acting(officer, "10.0.0.2", "api"):
        audit.record(AuditAction.DECIDE, "benefit_application", 7,
                     details={"step": "county", "outcome": "approved", "role": Role.COUNTY_OFFICER})
    with audit.acting(None, "10.0.0.9", "web"):
        audit.record(AuditAction.LOGIN_FAILED, "user", "", details={"username": "clerk_x"})


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _xlsx_rows(response) -> list[list]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_page_names_actions_roles_and_object_types_in_chinese(client, auditor, logged):
    client.force_login(auditor)
    html = client.get(URL).content.decode()
    assert ">决定<" in html and ">县（区）人口家庭科<" in html and ">村（社区）计生专干<" in html
    assert ">奖励扶助申请<" in html and ">人员（导入或导出）<" in html and ">登录失败<" in html
    for code in ("county_officer", "village_clerk", "benefit_application", "decide"):
        assert f">{code}<" not in html  # codes only in data attributes, never as text
    assert ">网页<" in html and ">数据接口<" in html  # the channels
    # the details under their names, a role among them by its label
    assert "文件名: 人员.xlsx" in html and "审核环节: county" in html
    assert "角色: 县（区）人口家庭科" in html


def test_the_filters_are_labelled_in_chinese_and_offer_the_declared_object_types(
        client, auditor, logged):
    client.force_login(auditor)
    html = client.get(URL).content.decode()
    assert '<label for="id_date_from">起始日期</label>' in html
    assert '<label for="id_date_to">截止日期</label>' in html
    assert "迁出单位" not in html
    assert '<option value="duplicate_pair">疑似重复记录对</option>' in html
    assert '<option value="decide">决定</option>' in html


def test_every_object_type_the_code_logs_has_a_label():
    """Each literal object type passed to ``audit.record`` anywhere in renkou is declared
    by an app (``audit_object_types``) or is a background job's kind."""
    used: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name == "record" and isinstance(node.args[1], ast.Constant):
                used.setdefault(node.args[1].value, str(path.relative_to(PACKAGE)))
    from renkou.synthetic.demo_database import DEMO_MARK

    used.setdefault(DEMO_MARK, "synthetic/demo_database.py")
    labels = registry.audit_object_types()
    assert {code: where for code, where in used.items() if code not in labels} == {}
    assert len(used) > 30


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_holds_exactly_the_filtered_rows_of_every_page(client, auditor, logged,
                                                                  small_register, fmt):
    client.force_login(auditor)
    assert len(client.get(URL, {"action": "view"}).context["entries"]) == 50  # a page
    response = client.get(f"/audit/export.{fmt}", {"action": "view", "username": "t_village_clerk",
                                                   "page": "2"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
    assert rows[0] == HEADER
    body = rows[1:]
    assert len(body) == 60  # every page, not the page asked for; nothing else
    assert {tuple(r[1:8]) for r in body} == {
        ("t_village_clerk", "村（社区）计生专干", "查看", "人员", str(small_register.zxm.pk),
         "10.0.0.1", "网页")}
    exported = AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="audit").get()
    assert exported.username == auditor.username
    assert exported.details["rows"] == 60 and exported.details["format"] == fmt
    assert exported.details["filter"] == {"action": "view", "username": "t_village_clerk"}


def test_an_export_names_roles_actions_objects_and_details_in_chinese(client, auditor, logged):
    client.force_login(auditor)
    rows = _csv_rows(client.get("/audit/export.csv", {"action": "decide"}))
    assert len(rows) == 2
    row = dict(zip(HEADER, rows[1], strict=True))
    officer = "县（区）人口家庭科"
    assert (row["用户"], row["角色"], row["操作"], row["对象类型"], row["对象编号"]) == (
        "t_county_officer", officer, "决定", "奖励扶助申请", "7")
    assert row["渠道"] == "数据接口" and row["客户端地址"] == "10.0.0.2"
    assert "审核环节: county" in row["详情"] and f"角色: {officer}" in row["详情"]
    assert dt.datetime.strptime(row["时间"], "%Y-%m-%d %H:%M:%S")


def test_an_export_with_invalid_filters_exports_nothing(client, auditor, logged):
    client.force_login(auditor)
    response = client.get("/audit/export.xlsx", {"date_from": "yesterday"})
    assert response.status_code == 302 and response["Location"].startswith(URL)
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="audit").exists()
    assert client.get("/audit/export.pdf").status_code == 404


def test_an_export_too_large_is_refused_with_a_reason(client, auditor, logged, monkeypatch):
    from renkou.core import services

    monkeypatch.setattr(services, "MAX_EXPORT_ROWS", 10)
    client.force_login(auditor)
    response = client.get("/audit/export.csv", follow=True)
    assert "一次最多导出 10 条" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="audit").exists()


def test_only_auditors_export_the_log(client, role_users, logged):
    client.force_login(role_users[Role.COUNTY_OFFICER])
    assert client.get("/audit/export.csv").status_code == 403


def test_the_page_links_its_exports_with_its_filters(client, auditor, logged):
    client.force_login(auditor)
    html = client.get(URL, {"action": "view", "page": "2"}).content.decode()
    assert 'href="/audit/export.xlsx?action=view"' in html
    assert 'href="/audit/export.csv?action=view"' in html


def test_a_benefit_decision_is_logged_as_a_decision(small_register, role_users):
    from renkou.benefits.models import Application, Step
    from renkou.benefits.workflow import record_decision

    clerk = role_users[Role.VILLAGE_CLERK]
    app = Application.objects.create(programme="rural-reward", year=2025,
                                     person=small_register.zxm, org=small_register.village,
                                     source="walk_in")
    record_decision(app, Step.OPEN, "walk_in", clerk)
    record_decision(app, Step.VILLAGE, "passed", clerk)
    logged = AuditEntry.objects.filter(object_type="benefit_application").order_by("pk")
    assert list(logged.values_list("action", flat=True)) == [AuditAction.CREATE,
                                                             AuditAction.DECIDE]


def test_a_quality_check_is_logged_as_a_check(small_register):
    from renkou.quality.services import run_checks

    run_checks()
    entry = AuditEntry.objects.get(object_type="quality_check")
    assert entry.action == AuditAction.CHECK
