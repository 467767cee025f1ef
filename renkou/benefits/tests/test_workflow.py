"""The review workflow: role and subtree enforcement, public notice, objections, approval;
rosters, the bank file, stopping on death, arrears, requalification and figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from renkou.benefits.models import ApplicationState, Decision, DecisionIsAppendOnly
from renkou.benefits.payment_figures import figures
from renkou.benefits.requalification import requalify
from renkou.benefits.rosters import (
    BANK_COLUMNS,
    generate_roster,
    mark_roster_paid,
    write_bank_csv,
    write_roster_xlsx,
)
from renkou.benefits.workflow import (
    WorkflowError,
    open_applications,
    open_notice,
    open_walk_in,
    record_objection,
    resolve_objection,
    review,
    set_bank_account,
)
from renkou.core import clock
from renkou.core.models import AuditAction, AuditEntry
from renkou.register import services as reg
from renkou.register.models import Sex

pytestmark = pytest.mark.django_db
S = ApplicationState


def _ended_notice(users, app):
    start = clock.today() - dt.timedelta(days=10)
    return open_notice(users.township, app.programme, [app], starts_on=start, days=7)


def approved(users, code, person, year=2025):
    [app] = open_applications(users.clerk, code, year, [person.pk])
    review(users.clerk, app, approve=True, comment="材料齐全")
    review(users.township, app, approve=True, comment="审核通过")
    _ended_notice(users, app)
    review(users.county, app, approve=True, comment="批准")
    app.refresh_from_db()
    return app


@pytest.mark.date_sensitive
def test_the_whole_path_with_decisions_and_log(users, elderly_couple):
    [app] = open_applications(users.clerk, "rural-reward", 2025, [elderly_couple.father.pk])
    assert app.state == S.SUBMITTED and app.facts["basis"] == "one_child"
    upload = SimpleUploadedFile("证明.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    review(users.clerk, app, approve=True, comment="入户核实", attachment=upload)
    app.refresh_from_db()
    assert app.state == S.VILLAGE_PASSED
    review(users.township, app, approve=True, comment="ok")
    notice = open_notice(users.township, "rural-reward", [app])
    app.refresh_from_db()
    assert app.state == S.ON_NOTICE
    assert notice.ends_on - notice.starts_on == dt.timedelta(days=6)  # 7 days by default
    with pytest.raises(WorkflowError):
        review(users.county, app, approve=True)  # the notice is still running
    review(users.county, app, approve=True, today=notice.ends_on + dt.timedelta(days=1))
    app.refresh_from_db()
    assert app.state == S.APPROVED
    steps = list(app.decisions.values_list("step", "outcome"))
    assert steps == [("open", "screening"), ("village", "passed"), ("township", "passed"),
                     ("notice", "posted"), ("county", "approved")]
    first_review = app.decisions.get(step="village")
    assert bytes(first_review.attachment) == b"%PDF-1.4 test"
    logged = AuditEntry.objects.filter(object_type="benefit_application", object_id=str(app.pk))
    # opening creates the application; every review and the notice are decisions (决定)
    assert list(logged.order_by("pk").values_list("action", flat=True)) == [
        AuditAction.CREATE, *[AuditAction.DECIDE] * 4]
    with pytest.raises(DecisionIsAppendOnly):
        first_review.comment = "changed"
        first_review.save()


def test_steps_must_match_role_and_subtree(users, elderly_couple):
    [app] = open_applications(users.clerk, "rural-reward", 2025, [elderly_couple.father.pk])
    with pytest.raises(PermissionDenied):
        review(users.township, app, approve=True)  # village step
    with pytest.raises(PermissionDenied):
        review(users.other_clerk, app, approve=True)  # another village
    review(users.clerk, app, approve=True)
    with pytest.raises(PermissionDenied):
        review(users.clerk, app, approve=True)  # township step
    review(users.township, app, approve=True)
    with pytest.raises(PermissionDenied):
        open_notice(users.clerk, "rural-reward", [app])
    _ended_notice(users, app)
    with pytest.raises(PermissionDenied):
        review(users.township, app, approve=True)  # county approval
    review(users.county, app, approve=True)


def test_a_rejection_needs_a_reason(users, elderly_couple):
    [app] = open_applications(users.clerk, "rural-reward", 2025, [elderly_couple.father.pk])
    with pytest.raises(WorkflowError):
        review(users.clerk, app, approve=False)
    review(users.clerk, app, approve=False, comment="不在本村居住")
    app.refresh_from_db()
    assert app.state == S.REJECTED


def test_an_unresolved_objection_blocks_approval(users, elderly_couple):
    [app] = open_applications(users.clerk, "rural-reward", 2025, [elderly_couple.father.pk])
    review(users.clerk, app, approve=True)
    review(users.township, app, approve=True)
    notice = _ended_notice(users, app)
    record_objection(users.clerk, notice, app, "另有一子在外地", notice.starts_on)
    with pytest.raises(WorkflowError):
        review(users.county, app, approve=True)
    objection = app.objections.get()
    resolve_objection(users.township, objection, upheld=False, comment="经核实为侄子")
    review(users.county, app, approve=True)
    app.refresh_from_db()
    assert app.state == S.APPROVED


def test_an_upheld_objection_rejects(users, elderly_couple):
    [app] = open_applications(users.clerk, "rural-reward", 2025, [elderly_couple.father.pk])
    review(users.clerk, app, approve=True)
    review(users.township, app, approve=True)
    notice = _ended_notice(users, app)
    objection = record_objection(users.clerk, notice, app, "有二子", notice.starts_on)
    resolve_objection(users.county, objection, upheld=True, comment="属实")
    app.refresh_from_db()
    assert app.state == S.REJECTED


def test_screening_skips_open_applications_and_the_ineligible(users, elderly_couple):
    first = open_applications(users.clerk, "rural-reward", 2025,
                              [elderly_couple.father.pk, elderly_couple.son.pk])
    assert [a.person_id for a in first] == [elderly_couple.father.pk]
    assert open_applications(users.clerk, "rural-reward", 2025,
                             [elderly_couple.father.pk]) == []


def test_walk_in_with_an_attested_disability(users, person):
    mother = person("残母", Sex.FEMALE, dt.date(1970, 1, 1))
    person("残子", Sex.MALE, dt.date(1995, 1, 1), mother=mother)
    with pytest.raises(WorkflowError):
        open_walk_in(users.clerk, "special-assistance", 2025, mother, attestations={})
    app = open_walk_in(users.clerk, "special-assistance", 2025, mother,
                       attestations={"disability_grade": "2"}, rate="disability")
    assert app.attestations["disability_grade"]["value"] == "2"
    assert app.attestations["disability_grade"]["by"] == "clerk"
    assert app.rate == "disability"


def test_roster_excel_and_bank_csv(users, elderly_couple):
    app = approved(users, "rural-reward", elderly_couple.father)
    set_bank_account(users.clerk, app, payee_name="王大山", bank_name="农商银行",
                     bank_account="6230 1234 5678 9012")
    roster = generate_roster(users.county, "rural-reward", "2025")
    [payment] = roster.payments.all()
    assert payment.amount == Decimal("960.00") and payment.months == list(range(1, 13))
    assert generate_roster(users.county, "rural-reward", "2025") is None  # nothing new
    out = io.StringIO()
    assert write_bank_csv(roster, out) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == BANK_COLUMNS
    assert rows[1][:4] == ["王大山", "农商银行", "6230123456789012", "960.00"]
    assert rows[1][4] == elderly_couple.father.id_number
    buf = io.BytesIO()
    write_roster_xlsx(roster, buf)
    sheet = load_workbook(io.BytesIO(buf.getvalue())).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    # the title block as printed: title, unit, period and payment date, then the header
    assert values[0][0] == "农村部分计划生育家庭奖励扶助发放花名册"
    assert values[1][0] == f"单位：{roster.org.name}（{roster.org.code}）"
    assert values[2][0] == f"期间：2025 · 应发放截止日期 {roster.due_on.isoformat()}"
    assert values[3][:3] == ["人员编号", "姓名", "公民身份号码"]
    assert values[4][0] == elderly_couple.father.pk
    assert "*" in values[4][2] and values[4][7].endswith("9012") and "*" in values[4][7]
    assert (values[5][0], values[5][11]) == ("合计", 960)  # the totals row
    assert [v for v in values[7] if v] == ["经办人：", "审核人：", "负责人："]  # signatures
    assert AuditEntry.objects.filter(action="export", object_type="benefit_bank_file").count() == 1


def test_a_death_stops_payments_with_arrears_before(users, person):
    mother = person("韩母", Sex.FEMALE, dt.date(1970, 1, 5))
    child = person("韩子", Sex.MALE, dt.date(1995, 1, 1), mother=mother)
    reg.record_death(child, event_date=dt.date(2024, 5, 20))
    app = approved(users, "special-assistance", mother)
    march = generate_roster(users.county, "special-assistance", "2025-03")
    [p] = march.payments.all()
    assert p.months == [1, 2, 3] and p.arrears_months == 2 and p.amount == Decimal("1770.00")
    reg.record_death(mother, event_date=dt.date(2025, 5, 15))
    june = generate_roster(users.county, "special-assistance", "2025-06")
    [p] = june.payments.all()
    assert p.months == [4, 5] and p.amount == Decimal("1180.00")
    app.refresh_from_db()
    assert app.state == S.STOPPED and app.ended_on == dt.date(2025, 5, 15)
    stop = app.decisions.get(step="stop")
    assert "2025-05" in stop.comment
    assert generate_roster(users.county, "special-assistance", "2025-07") is None


def test_requalification_suspends_with_reasons(users, person, elderly_couple):
    father = person("卫父", Sex.MALE, dt.date(1980, 1, 1))
    person("卫子", Sex.MALE, dt.date(2007, 6, 1), father=father)
    app = approved(users, "only-child-reward", father)
    generate_roster(users.county, "only-child-reward", "2025")
    ok = approved(users, "rural-reward", elderly_couple.father)
    report = requalify(users.county, "only-child-reward", 2026)
    app.refresh_from_db()
    assert app.state == S.SUSPENDED and "18" in app.end_reason
    assert report.confirmed == 0 and len(report.suspended) == 1
    reg.record_death(elderly_couple.father, event_date=dt.date(2026, 2, 3))
    report = requalify(users.county, "rural-reward", 2026)
    ok.refresh_from_db()
    assert ok.state == S.STOPPED and len(report.stopped) == 1
    assert Decision.objects.filter(step="requalify").count() == 2


def test_figures_roll_up_with_payment_rate_and_timeliness(users, person, county, elderly_couple):
    a = approved(users, "rural-reward", elderly_couple.father)
    b = approved(users, "rural-reward", elderly_couple.mother)
    assert a and b
    roster = generate_roster(users.county, "rural-reward", "2025")
    mark_roster_paid(users.county, roster, roster.due_on)
    other = person("西村老", Sex.MALE, dt.date(1950, 1, 1), org=county.other)
    person("西村子", Sex.MALE, dt.date(1980, 1, 1), father=other, org=county.other)
    open_applications(users.other_clerk, "rural-reward", 2025, [other.pk])
    rows = {r["org_code"]: r for r in figures(2025)}
    assert rows["340621000000"]["recipients"] == 2
    assert rows["340621000000"]["amount_due"] == Decimal("1920.00")
    assert rows["340621000000"]["payment_rate"] == 100.0
    assert rows["340621000000"]["timeliness"] == 100.0
    assert rows["340621100201"]["recipients"] == 2
    assert "340621100202" not in rows
    scoped = figures(2025, user=users.township)
    assert {r["org_code"] for r in scoped} == {"340621100000", "340621100201"}
