"""Large imports run as background jobs (issue 13 item 1): a 50,000-row person file goes
from the upload page to the worker's queue (django-tasks, database backend), the page
follows its progress, the register gets every row in one transaction, and a large file
with a bad row is refused whole with the row named and the marked file offered."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from renkou.accounts.roles import Role
from renkou.core.models import AuditEntry, Job, JobStatus
from renkou.register.models import LifeEvent, Person
from renkou.testing.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the job is queued on commit

SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜敏静丽强磊军洋"


def _person_file(path, rows: int, *, bad_row: int | None = None) -> None:
    """``rows`` persons of village 110101001201 as a clerk's CSV (UTF-8, Chinese)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["姓名", "性别", "出生日期", "区划代码", "户口性质"])
        for n in range(rows):
            born = dt.date(1940, 1, 1) + dt.timedelta(days=n % 25_000)
            writer.writerow([SURNAMES[n % 10] + GIVEN[(n // 10) % 10] + GIVEN[(n // 100) % 10],
                             "男" if n % 2 else "女",
                             "1980-02-30" if n + 2 == bad_row else born.isoformat(),
                             "110101001201", "农业户口"])


def _upload(client, path):
    with open(path, "rb") as handle:
        answer = client.post("/persons/import/", {"file": handle})
    assert answer.status_code == 302
    return answer["Location"]


def test_a_50000_row_file_is_imported_by_the_background_worker_with_its_progress(
        client, small_register, tmp_path):
    clerk = make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    client.force_login(clerk)
    path = tmp_path / "全村.csv"
    _person_file(path, 50_000)
    before = Person.objects.count()
    preview_url = _upload(client, path)
    preview = client.get(preview_url)
    assert preview.context["preview"].large
    assert re.search(r"10,?000", preview.content.decode())

    started = client.post(preview_url)
    job = Job.objects.get()
    assert started["Location"] == f"/jobs/{job.pk}/"
    assert (job.status, job.user, job.file_name) == (JobStatus.QUEUED, clerk, "全村.csv")
    assert client.get(f"/jobs/{job.pk}/status/").json()["status"] == "queued"
    assert Person.objects.count() == before  # nothing yet: the request only queued it

    call_command("worker", batch=True, verbosity=0)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert Person.objects.count() == before + 50_000
    assert LifeEvent.objects.filter(event_type="enrol", recorded_via="import").count() == 50_000
    state = client.get(f"/jobs/{job.pk}/status/").json()
    assert state["finished"] and state["status"] == "done"
    assert state["done"] == state["total"] == 50_000  # the last phase, complete
    assert "50000" in state["message"] or "50,000" in state["message"]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "data-finished" in page
    entry = AuditEntry.objects.filter(action="import", object_type="persons").get()
    assert (entry.username, entry.channel, entry.details["rows"]) == ("clerk", "web", 50_000)


def test_a_large_file_with_one_bad_row_is_refused_whole_with_the_row_marked(
        client, small_register, tmp_path):
    clerk = make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    client.force_login(clerk)
    path = tmp_path / "全村.csv"
    _person_file(path, 12_000, bad_row=11_001)
    before = Person.objects.count()
    preview_url = _upload(client, path)
    client.post(preview_url)
    call_command("worker", batch=True, verbosity=0)
    job = Job.objects.get()
    assert job.status == JobStatus.REJECTED and job.problem_count == 1
    assert job.problems[0][:2] == [11_001, "birth_date"]
    assert Person.objects.count() == before
    page = client.get(f"/jobs/{job.pk}/")
    assert page.context["problems"][0][:2] == (11_001, "出生日期")
    marked = client.get(page.context["marked"])
    sheet = load_workbook(io.BytesIO(b"".join(marked.streaming_content))).worksheets[0]
    assert sheet["C11001"].value == "1980-02-30" and sheet["C11001"].comment is not None


def test_a_job_is_followed_only_by_whoever_started_it(client, small_register, tmp_path):
    clerk = make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    other = make_user("other", Role.VILLAGE_CLERK, small_register.village)
    job = Job.objects.create(kind="persons", title="t", user=clerk)
    client.force_login(other)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/status/").status_code == 404
