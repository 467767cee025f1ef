"""The home page of each role (工作台), on the small county with a hand-counted ledger.

The small county (:func:`renkou.testing.factories.build_small_register`): 东城县 with 和平镇
(village 东村: 张晓明 and his wife 李秀英) and 城关街道 (community 南门社区: 王芳, 赵强), all
enrolled on 2020-01-01. Added here, on the day 2026-11-16 (last complete quarter 2026Q3,
the same quarter a year before 2025Q3):

- 2025-08-10 李秀英 has a girl (东村);
- 2026-07-15 赵强 dies (南门社区); 2026-08-20 李秀英 has a boy (东村); 2026-09-05 王芳
  has a girl (南门社区).

Counted by hand (population at the end of the day before the quarter and at its end;
P̄ = their mean; rates per quarter, not annualised, DESIGN.md §4):

======  =====  ===  ======  ======  =====================  =======================
unit    qtr    P0   P1      births  CBR ‰                  RNI ‰
======  =====  ===  ======  ======  =====================  =======================
县      2025Q3  4    5       1       1/4.5 = 222.22         222.22 (no deaths)
县      2026Q3  5    6       2       2/5.5 = 363.64         363.64 − 1/5.5 = 181.82
东村    2025Q3  2    3       1       1/2.5 = 400.00         400.00
东村    2026Q3  3    4       1       1/3.5 = 285.71         285.71
======  =====  ===  ======  ======  =====================  =======================

so the county's CBR changed by 363.64 − 222.22 = +141.42 per-mille points (千分点) on the
same quarter a year before, its SRB from 0.0 (one girl) to 100.0 (a boy and a girl).
"""

from __future__ import annotations

import datetime as dt
import html as markup
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from renkou.accounts.roles import Role
from renkou.analytics import services as analytics
from renkou.benefits.models import Application
from renkou.core import audit
from renkou.core import clock as core_clock
from renkou.core.dashboard import build_dashboard
from renkou.core.models import AuditAction
from renkou.dedupe.models import CandidatePair
from renkou.quality.models import ScorecardRow, Violation
from renkou.reconciliation.crosschecks import create_crosscheck
from renkou.reconciliation.models import Discrepancy, DiscrepancyKind, WorkStatus
from renkou.register import services as register
from renkou.register.models import Sex
from renkou.testing.factories import make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 16)  # a Monday


@pytest.fixture
def county(clock, small_register, settings, tmp_path):
    """The small county with the ledger above, its statistics refreshed, open work in
    every app, and one user per role (the clerk in 东村, the officer of 和平镇)."""
    clock.move_to(TODAY)
    r = small_register
    register.record_birth(mother=r.mother, name="张小红", sex=Sex.FEMALE,
                          birth_date=dt.date(2025, 8, 10))
    r.zhao.refresh_from_db()
    register.record_death(r.zhao, event_date=dt.date(2026, 7, 15))
    r.mother.refresh_from_db()
    register.record_birth(mother=r.mother, name="张小军", sex=Sex.MALE,
                          birth_date=dt.date(2026, 8, 20))
    r.wang.refresh_from_db()
    register.record_birth(mother=r.wang, name="王小花", sex=Sex.FEMALE,
                          birth_date=dt.date(2026, 9, 5))
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "analytics"
    analytics.refresh()
    now = core_clock.now()
    # quality: two open findings in 东村, one fixed there, one open in 南门社区
    for n, (org, status) in enumerate([(r.village, "open"), (r.village, "open"),
                                       (r.village, "fixed"), (r.community, "open")]):
        Violation.objects.create(rule_code="R1", subject=f"p:{n}", org=org, fingerprint=str(n),
                                 status=status, found_at=now)
    ScorecardRow.objects.create(org=r.county, computed_at=now, values={
        "entry_rate": 50.0, "residents_with_id": 3, "residents": 6, "whipple": None})
    # dedupe: one pending pair in 东村, one in 南门社区, one already decided
    CandidatePair.objects.create(person_a=r.zxm, person_b=r.mother, probability=0.97,
                                 match_weight=7.0)
    CandidatePair.objects.create(person_a=r.wang, person_b=r.zhao, probability=0.96,
                                 match_weight=6.5)
    # benefits: one application waiting at each step of 东村's and one approved
    states = ("submitted", "village_passed", "township_passed", "on_notice", "approved", "rejected")
    for n, state in enumerate(states):
        Application.objects.create(
            programme=("rural-reward", "only-child-reward", "childcare-subsidy")[n % 3], year=2026,
            person=(r.zxm, r.mother)[n // 3], org=r.village, source="walk_in", state=state)
    # reconciliation: a cross-check of 东村 overdue, one not yet due, one answered late
    create_crosscheck(org=r.village, target_area_code="110102", subject="张某户籍",
                      sent_date=dt.date(2026, 9, 1), due_date=dt.date(2026, 10, 1))
    create_crosscheck(org=r.village, target_area_code="110102", subject="李某户籍",
                      sent_date=dt.date(2026, 11, 1), due_date=dt.date(2026, 12, 1))
    answered = create_crosscheck(org=r.village, target_area_code="110102", subject="王某户籍",
                                 sent_date=dt.date(2026, 8, 1), due_date=dt.date(2026, 9, 1))
    answered.feedback_date = dt.date(2026, 9, 20)
    answered.save()
    for status in (WorkStatus.OPEN, WorkStatus.CORRECTED):
        Discrepancy.objects.create(kind=DiscrepancyKind.NOT_FOUND, org=r.village, status=status)
    users = {role: make_user(f"d_{role}", role, {Role.VILLAGE_CLERK: r.village,
                                                 Role.TOWNSHIP_OFFICER: r.town}.get(role, r.county))
             for role in Role}
    return SimpleNamespace(**vars(r), users=users)


def _home(client, user):
    client.force_login(user)
    response = client.get(reverse("register:home"))
    assert response.status_code == 200
    return response.context["board"], response.content.decode()


def _figures(board, key: str) -> dict[str, tuple[str, str, str]]:
    """Figure label → (value, change, change unit) of one panel."""
    return {f.label: (f.value, f.change, f.change_unit) for f in board.panel(key).figures}


def _work(board) -> dict[str, int]:
    return {item.label: item.count for item in board.work}


def test_a_county_officer_sees_the_county_s_figures_against_a_year_before_and_all_open_work(
        client, county):
    board, html = _home(client, county.users[Role.COUNTY_OFFICER])
    assert [p.key for p in board.panels] == [
        "register-search", "register-residents", "analytics-key-figures", "analytics-units",
        "quality-findings", "quality-scorecard", "dedupe-pending", "benefits-applications",
        "migrants-current", "reconciliation-open"]
    key = board.panel("analytics-key-figures")
    assert key.subtitle == "2026年第3季度"
    assert _figures(board, "analytics-key-figures") == {
        "期末人口": ("6", "+1", ""),
        "出生人数": ("2", "+1", ""),
        "出生率": ("363.64", "+141.42", "千分点"),
        "出生人口性别比": ("100.0", "+100.0", ""),
        "自然增长率": ("181.82", "-40.40", "千分点"),
    }
    assert all(f.muted for f in key.figures if f.label == "出生人口性别比")  # 2 births < 1,000
    births = board.charts["analytics-key-figures"]["series"][0]
    assert board.charts["analytics-key-figures"]["categories"] == [
        "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert births["values"] == [0, 0, 0, 1, 0, 0, 0, 2]
    units = board.panel("analytics-units").data["rows"]
    assert [(u["name"], [c.display for c in u["cells"][:3]]) for u in units] == [
        ("和平镇", ["4", "1", "285.71"]),  # as 东村: 1 / 3.5
        ("城关街道", ["2", "1", "500.00"])]  # 王芳 and 赵强, who died, then a girl: 1 / 2
    assert {u.name: u.residents for u in board.panel("register-residents").data["units"]} == {
        "和平镇": 4, "城关街道": 2}
    assert _work(board) == {
        "协查函逾期未复": 1, "待处理的数据质量问题": 3, "待审核的疑似重复": 2,
        "公示中的申请（公示期满后审批）": 1, "待核实的差异": 1}
    assert _figures(board, "benefits-applications") == {
        "审核中的申请": ("4", "", ""), "已批准的申请": ("1", "", "")}
    assert _figures(board, "quality-scorecard")["录入率"][0] == "50.00"
    assert "主要指标" in html and "待办事项" in html and "千分点" in html
    assert 'data-chart="analytics-key-figures"' in html and 'id="dashboard-charts"' in html
    # freshness: computed today from the whole ledger, nothing recorded since
    assert "此后台帐没有变化。" in key.notes


def test_the_figures_follow_the_period_kind_chosen(client, county):
    client.force_login(county.users[Role.COUNTY_OFFICER])
    board = client.get(reverse("register:home"), {"period": "year"}).context["board"]
    key = board.panel("analytics-key-figures")
    # 2025 against 2024: one birth against none; P̄(2025) = (4 + 5) / 2
    assert key.subtitle == "2025年"
    assert _figures(board, "analytics-key-figures")["出生率"] == ("222.22", "+222.22", "千分点")
    assert [link.current for link in key.switch] == [False, False, False, True]
    month = client.get(reverse("register:home"), {"period": "month"}).context["board"]
    assert month.panel("analytics-key-figures").subtitle == "2026年10月"  # no birth that month
    assert _figures(month, "analytics-key-figures")["出生人数"] == ("0", "0", "")
    odd = client.get(reverse("register:home"), {"period": "decade"}).context["board"]
    assert odd.panel("analytics-key-figures").subtitle == "2026年第3季度"  # the quarter


def test_figures_older_than_the_last_complete_period_say_so(client, clock, county):
    """Refreshed on 15 September, the statistics hold 2026Q3 as a partial quarter: on
    16 November the home shows 2026Q2, says 2026Q3 ended after the refresh, and counts the
    ledger events recorded since."""
    clock.move_to(dt.date(2026, 9, 15))
    analytics.refresh()
    clock.move_to(TODAY)
    county.zxm.refresh_from_db()
    register.record_death(county.zxm, event_date=dt.date(2026, 10, 3))
    client.force_login(county.users[Role.COUNTY_OFFICER])
    key = client.get(reverse("register:home")).context["board"].panel("analytics-key-figures")
    assert key.subtitle == "2026年第2季度"
    assert "2026年第3季度在上次刷新统计之后才结束：刷新统计后即可查看。" in key.notes
    assert "此后台帐又登记了 1 条事件，下次刷新统计时计入。" in key.notes


def test_a_village_clerk_sees_her_village_and_the_work_of_her_step(client, county):
    board, html = _home(client, county.users[Role.VILLAGE_CLERK])
    assert "dedupe-pending" not in [p.key for p in board.panels]  # not a clerk's capability
    assert "analytics-units" not in [p.key for p in board.panels]  # nothing below a village
    figures = _figures(board, "analytics-key-figures")
    assert figures["出生率"] == ("285.71", "-114.29", "千分点")  # 1/3.5 against 1/2.5
    assert figures["期末人口"] == ("4", "+1", "")
    assert _work(board) == {"协查函逾期未复": 1, "待处理的数据质量问题": 2,
                            "待村级初审的申请": 1, "待核实的差异": 1}
    overdue = board.work[0]
    assert overdue.overdue and overdue.url == reverse("reconciliation:crosschecks")
    residents = board.panel("register-residents")
    assert residents.title == "在册人口" and residents.data["total"] == 4
    assert 'action="/persons/"' in html and "从文件导入人员" in html


def test_a_township_officer_reviews_and_posts_notices_for_its_villages(client, county):
    board, _html = _home(client, county.users[Role.TOWNSHIP_OFFICER])
    assert _work(board) == {"协查函逾期未复": 1, "待处理的数据质量问题": 2, "待审核的疑似重复": 1,
                            "待乡镇审核的申请": 1, "待公示的申请": 1, "待核实的差异": 1}
    assert board.panel("register-residents").title == "各村（社区）在册人口"
    assert [u["name"] for u in board.panel("analytics-units").data["rows"]] == ["东村"]


def test_a_statistician_sees_aggregates_and_never_a_person(client, county):
    board, html = _home(client, county.users[Role.STATISTICIAN])
    assert [p.key for p in board.panels] == [
        "register-residents", "analytics-key-figures", "analytics-units", "quality-scorecard"]
    assert board.work == [] and "待办事项" not in html
    assert _figures(board, "analytics-key-figures")["出生率"][1] == "+141.42"
    links = {markup.unescape(url) for url in re.findall(r'(?:href|action)="([^"]*)"', html)}
    assert not [url for url in links if url.startswith(("/persons", "/households", "/quality/v",
                                                        "/quality/worklist", "/dedupe",
                                                        "/benefits", "/reconciliation"))]
    assert {reverse("analytics:overview") + "?org=110101001000&period=2026Q3",
            reverse("orgunits:detail", args=["110101001000"])} <= links


def test_an_auditor_sees_the_latest_entries_and_today_s_and_this_week_s_counts(
        client, clock, county):
    auditor = county.users[Role.AUDITOR]
    clerk = county.users[Role.VILLAGE_CLERK]
    clock.move_to(TODAY - dt.timedelta(days=7))  # the Monday before: outside this week
    audit.record(AuditAction.EXPORT, "persons", details={"rows": 9}, user=clerk)
    clock.move_to(TODAY)
    audit.record(AuditAction.EXPORT, "persons", details={"rows": 4}, user=clerk)
    clock.move_to(TODAY + dt.timedelta(days=2))  # Wednesday
    audit.record(AuditAction.EXPORT, "persons", details={"rows": 3}, user=clerk)
    audit.record(AuditAction.LOGIN_FAILED, details={"username": "nobody"}, user=None)
    audit.record(AuditAction.VIEW, "person", county.zxm.pk, user=clerk)
    board, html = _home(client, auditor)
    assert [p.key for p in board.panels] == ["core-audit"]
    panel = board.panel("core-audit")
    counts = {f.label: (f.value, f.compared_with) for f in panel.figures}
    assert counts["今日导出"] == ("1", "本周：2")
    assert counts["今日登录失败"] == ("1", "本周：1")
    assert counts["今日查看记录"] == ("1", "本周：1")
    latest = panel.data["entries"]
    assert len(latest) == 10  # the latest ten of the log
    assert [(e.action, e.username) for e in latest[:3]] == [
        ("login", auditor.username), (AuditAction.VIEW, clerk.username),
        (AuditAction.LOGIN_FAILED, "")]
    chart = board.charts["core-audit"]
    assert chart["categories"][-1] == "11-18" and chart["series"][0]["values"][-10:] == [
        1, 0, 0, 0, 0, 0, 0, 1, 0, 1]  # exports on 11-09, 11-16 and 11-18
    assert "最新日志" in html and "访问与变更日志" in html
    assert reverse("register:search") not in html and "/persons/" not in html


def test_a_user_without_a_role_has_no_home_and_panels_need_their_capability(client, county):
    nobody = make_user("d_nobody", "", county.county)
    client.force_login(nobody)
    assert client.get(reverse("register:home")).status_code == 403
    assert build_dashboard(nobody).panels == []


def test_the_home_page_asks_the_database_a_few_questions(client, county,
                                                         django_assert_max_num_queries):
    client.force_login(county.users[Role.COUNTY_OFFICER])
    client.get(reverse("register:home"))
    # session, user, unit; residents; units below; events since; findings; scorecard;
    # pairs; applications; migrants; requests received; cross-checks; discrepancies;
    # background jobs
    with django_assert_max_num_queries(15):
        client.get(reverse("register:home"))


def test_before_any_refresh_the_figures_say_so(client, small_register, settings, tmp_path):
    settings.RENKOU_ANALYTICS_DIR = tmp_path / "none"
    user = make_user("d_stat", Role.STATISTICIAN, small_register.county)
    board, html = _home(client, user)
    panel = board.panel("analytics-key-figures")
    assert panel.figures == [] and panel.chart is None
    assert "尚未计算统计指标。" in " ".join(panel.notes)


def test_every_panel_is_declared_on_the_registry_with_a_capability():
    from renkou.core import registry
    from renkou.core.dashboard import PanelSpec

    specs = registry.dashboard_panel_specs()
    declared = registry.capability_specs()
    assert [label for label, _spec in specs] == [
        "register", "register", "analytics", "quality", "quality", "dedupe", "benefits",
        "migrants", "services", "services", "reconciliation", "core", "core"]
    assert all(isinstance(spec, PanelSpec) and spec.capability in declared for _l, spec in specs)


def test_the_platform_s_dashboard_imports_no_domain_app():
    import ast
    from pathlib import Path

    core = Path(__file__).resolve().parents[1]
    for name in ("dashboard.py", "dashboard_views.py", "dashboard_panels.py"):
        tree = ast.parse((core / name).read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert {m for m in imported if m.startswith("renkou.")
                and not m.startswith(("renkou.core", "renkou.accounts"))} == set(), name
