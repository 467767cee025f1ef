"""Pages: rendering in Chinese, scoping (a clerk sees only its village), the worklist,
uploads with row/column/reason errors, the logged Excel export, cross-checks."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from renkou.core import clock
from renkou.core.models import AuditEntry
from renkou.reconciliation import services
from renkou.reconciliation.models import CrossCheck, Discrepancy, Survey, WorkStatus
from renkou.testing.factories import write_xlsx

from .conftest import SURVEY_DATE, SURVEY_HEADER


@pytest.fixture
def survey(survey_file):
    return services.import_survey(survey_file, name="2024年抽查", survey_date=SURVEY_DATE)


def _login(client, user):
    client.force_login(user)
    return client


def test_pages_render_in_chinese(client, users, survey):
    c = _login(client, users.officer)
    for url in ("/reconciliation/", f"/reconciliation/surveys/{survey.pk}/",
                "/reconciliation/worklist/", "/reconciliation/crosschecks/",
                "/reconciliation/surveys/new/", "/reconciliation/lists/new/"):
        response = c.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-hans"' in response.content.decode()
    page = c.get(f"/reconciliation/surveys/{survey.pk}/").content.decode()
    assert "准确率" in page and "60.0%" in page and "比率估计" in page


def test_clerk_sees_only_its_village(client, users, county, survey):
    c = _login(client, users.clerk)
    page = c.get(f"/reconciliation/surveys/{survey.pk}/").content.decode()
    assert "东村" in page and "南村" not in page and "东城县" not in page
    work = c.get("/reconciliation/worklist/").content.decode()
    assert "孙明" in work and "刘小明" not in work and "刘晓明" not in work
    other = Discrepancy.objects.get(org=county.v3)
    response = c.post(f"/reconciliation/worklist/{other.pk}/", {"status": "corrected"})
    assert response.status_code == 404
    assert c.get(f"/reconciliation/worklist/?org={county.v3.code}").status_code == 404


def test_statistician_is_refused(client, users, survey):
    c = _login(client, users.statistician)
    assert c.get("/reconciliation/").status_code == 403
    assert c.get(f"/reconciliation/surveys/{survey.pk}/").status_code == 403


def test_clerk_works_an_item(client, users, county, survey):
    c = _login(client, users.clerk)
    item = Discrepancy.objects.filter(org=county.v1, kind="register_only").get()
    response = c.post(f"/reconciliation/worklist/{item.pk}/",
                      {"status": "corrected", "comment": "已迁出，补录", "next": "/reconciliation/"})
    assert response.status_code == 302 and response["Location"] == "/reconciliation/"
    item.refresh_from_db()
    assert (item.status, item.comment, item.updated_by) == (
        WorkStatus.CORRECTED, "已迁出，补录", users.clerk)
    assert AuditEntry.objects.filter(action="decide", object_type="discrepancy",
                                     object_id=str(item.pk)).exists()


def test_worklist_export_is_logged_and_scoped(client, users, county, survey):
    c = _login(client, users.clerk)
    response = c.get(f"/reconciliation/worklist/export/?survey={survey.pk}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("item_id", "org_code", "org_name", "kind")
    assert {r[1] for r in rows[1:]} == {"110101001201"} and len(rows) == 1 + 4
    full_id = [r for r in rows[1:] if r[5] == "李秀英"][0][8]
    assert full_id == county.lxy.id_number  # exports carry full ID numbers
    entry = AuditEntry.objects.get(action="export", object_type="discrepancies")
    assert entry.details["rows"] == 4 and entry.username == "clerk"


def test_export_to_file(tmp_path, users, survey):
    n = services.export_worklist(tmp_path / "w.xlsx", users.officer, survey=survey)
    assert n == 5


def _upload(c, url, data, path):
    """Upload a file with its settings; the preview page it leads to, and that URL."""
    with open(path, "rb") as fh:
        response = c.post(url, {**data, "file": fh})
    assert response.status_code == 302, response.content.decode()[:500]
    return c.get(response["Location"]), response["Location"]


def test_upload_page_shows_row_errors_and_writes_nothing(client, users, tmp_path):
    c = _login(client, users.officer)
    bad = write_xlsx(tmp_path / "bad.xlsx", SURVEY_HEADER, [
        ["110101001201", "H1", "", "男", "1990-03-07", "", "", ""]])
    page, url = _upload(c, "/reconciliation/surveys/new/",
                        {"name": "x", "survey_date": "2024-06-30"}, bad)
    assert [(row, column) for row, column, *_ in page.context["preview"].problems] == [(2, "name")]
    assert c.post(url).status_code == 200  # refused: shown again, nothing imported
    assert not Survey.objects.exists()


@pytest.mark.parametrize("content", [bytes(range(256)) * 40, b"PK\x03\x04" + bytes(200),
                                     "姓名,姓名\n张三,李四\n".encode("gbk")])
def test_upload_page_refuses_a_broken_file_with_a_reason_not_a_server_error(
        client, users, tmp_path, content):
    c = _login(client, users.officer)
    for url, data in (("/reconciliation/surveys/new/", {"name": "x", "survey_date": "2024-06-30"}),
                      ("/reconciliation/lists/new/", {"source": "police"})):
        path = tmp_path / "broken.xlsx"
        path.write_bytes(content)
        page, _url = _upload(c, url, data, path)
        assert page.status_code == 200
        assert page.context["preview"].problem_count >= 1
        assert "文件未导入" in page.content.decode() or "problem" in page.content.decode()
    assert not Survey.objects.exists()


def test_upload_page_imports(client, users, survey_file):
    c = _login(client, users.officer)
    page, url = _upload(c, "/reconciliation/surveys/new/",
                        {"name": "上传", "survey_date": "2024-06-30"}, survey_file)
    assert page.context["preview"].problem_count == 0
    response = c.post(url)
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{survey.pk}/")
    assert survey.name == "上传"


def test_list_upload_and_page(client, users, county, tmp_path):
    from renkou.reconciliation.departments import COLUMNS
    k = county
    req, opt = COLUMNS["police"]
    path = write_xlsx(tmp_path / "p.xlsx", list(req + opt), [
        [k.zh.id_number, "周华", "男", "1975-07-07", "注销", "2024-04-01", "", ""]])
    c = _login(client, users.officer)
    _page, url = _upload(c, "/reconciliation/lists/new/", {
        "source": "police", "period_start": "2024-01-01", "period_end": "2024-12-31"}, path)
    response = c.post(url)
    assert response.status_code == 302
    page = c.get(response["Location"]).content.decode()
    assert "南村" in page and "东村" in page
    clerk_page = _login(client, users.clerk).get(response["Location"]).content.decode()
    assert "东村" in clerk_page and "南村" not in clerk_page


@pytest.mark.date_sensitive
def test_crosscheck_pages_and_feedback_rate(client, users, county):
    c = _login(client, users.officer)
    this_year = clock.today().year
    for i, subject in enumerate(("甲", "乙", "丙")):
        response = c.post("/reconciliation/crosschecks/new/", {
            "target_area_code": "330122", "subject": subject,
            "sent_date": f"{this_year}-01-0{i + 1}", "due_date": f"{this_year}-01-31"})
        assert response.status_code == 302
    first, second, _third = CrossCheck.objects.order_by("sent_date")
    assert first.target_area_code == "330122000000"
    c.post(f"/reconciliation/crosschecks/{first.pk}/reply/",
           {"feedback_date": f"{this_year}-01-20", "result": "已核实"})
    c.post(f"/reconciliation/crosschecks/{second.pk}/reply/",
           {"feedback_date": f"{this_year}-02-20", "result": "迟复"})
    rows = {r.unit.code: r for r in services.feedback_rates(
        users.officer, dt.date(this_year, 1, 1), dt.date(this_year, 12, 31),
        today=dt.date(this_year, 6, 1))}
    county_row = rows["110101000000"]
    assert (county_row.sent, county_row.answered_in_time, county_row.answered_late,
            county_row.pending) == (3, 1, 1, 0)
    assert county_row.rate.value == pytest.approx(1 / 3)
    page = c.get("/reconciliation/crosschecks/").content.decode()
    assert "33.3%" in page
    # a village clerk sees no county request
    assert services.feedback_rates(users.clerk) == []
    assert _login(client, users.clerk).post(
        f"/reconciliation/crosschecks/{first.pk}/reply/",
        {"feedback_date": f"{this_year}-01-20", "result": "x"}).status_code == 404


@pytest.mark.date_sensitive
def test_feedback_rate_rolls_up_from_villages(users, county):
    d = dt.date(2024, 3, 1)
    services.create_crosscheck(org=county.v1, target_area_code="330122", subject="a",
                               sent_date=d, due_date=d + dt.timedelta(days=10))
    b = services.create_crosscheck(org=county.v3, target_area_code="330122", subject="b",
                                   sent_date=d, due_date=d + dt.timedelta(days=10))
    services.record_feedback(b, feedback_date=d + dt.timedelta(days=10), result="ok")
    rows = {r.unit.code: r for r in services.feedback_rates(
        None, dt.date(2024, 1, 1), dt.date(2024, 12, 31), today=dt.date(2024, 6, 1))}
    assert (rows["110101001201"].sent, rows["110101001201"].answered_in_time) == (1, 0)
    assert (rows["110101002000"].sent, rows["110101002000"].answered_in_time) == (1, 1)
    assert rows["110101000000"].rate.value == pytest.approx(0.5)
    assert services.feedback_rates(None, dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == []


def test_survey_outside_the_area_is_not_found(client, users, county, survey):
    from renkou.accounts.models import Role, User

    clerk4 = User.objects.create_user(username="clerk4", password="renkou-test-pass-2024",
                                      role=Role.VILLAGE_CLERK, org=county.v4)
    c = _login(client, clerk4)
    assert c.get(f"/reconciliation/surveys/{survey.pk}/").status_code == 404
    assert c.get(f"/reconciliation/worklist/?survey={survey.pk}").status_code == 404
    township = _login(client, users.township).get(
        f"/reconciliation/surveys/{survey.pk}/").content.decode()
    assert "和平镇" in township and "东村" in township and "南村" not in township
    # the township's unsampled village borrows its township's rate
    assert "西村" in township and "北村" not in township


def test_the_survey_template_filled_in_with_its_visited_sheet_imports_on_that_frame(
        client, users, county, tmp_path):
    c = _login(client, users.officer)
    answer = c.get("/reconciliation/surveys/new/template.xlsx")
    book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    assert book.sheetnames[0] == "入户核查" and "走访户" in book.sheetnames
    assert [cell.value for cell in book["入户核查"][1]] == [
        "村代码", "户号", "姓名", "性别", "出生日期", "公民身份号码", "与户主关系", "备注"]
    sheet, visited = book["入户核查"], book["走访户"]
    sheet.delete_rows(2)
    sheet.append(["110101001201", "H1", "张晓明", "男", "1990-03-07", county.zxm.id_number,
                  "户主", ""])
    visited.delete_rows(2)
    visited.append(["110101001201", "H1"])
    visited.append(["110101001201", "H2"])  # visited, nobody found
    path = tmp_path / "入户核查.xlsx"
    book.save(path)
    page, url = _upload(c, "/reconciliation/surveys/new/",
                        {"name": "模板", "survey_date": "2024-06-30"}, path)
    preview = page.context["preview"]
    assert preview.problem_count == 0, preview.problems
    assert "走访户" in preview.note and "2" in preview.note  # listed on the sheet: 2 households
    assert c.post(url).status_code == 302
    assert Survey.objects.get().name == "模板"


@pytest.mark.parametrize("source, first", [("hospital", "出生医学证明编号"),
                                           ("police", "公民身份号码"), ("civil", "业务类型")])
def test_each_department_has_its_own_list_template(client, users, source, first):
    c = _login(client, users.officer)
    answer = c.get(f"/reconciliation/lists/new/template.xlsx?variant={source}")
    book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    assert book.worksheets[0]["A1"].value == first
    page = c.get("/reconciliation/lists/new/").content.decode()
    assert f"template.xlsx?variant={source}" in page
