"""Background jobs (issue 14 item 2), with the worker run in the test (``renkou worker
--batch``): a job started twice is refused and the user sent to the first; a job that
crashes half-way leaves the register as it was, its log entries included, and shows the
error; a job whose worker is gone is marked interrupted and may run again; a county's
screening is computed once by a job and its pages read the stored list."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.core.management import call_command

from renkou.accounts.roles import Role
from renkou.core import jobs, registry
from renkou.core.jobs import JobAlreadyRunning, JobKind, start_job
from renkou.core.models import AuditEntry, Job, JobStatus
from renkou.register import services as register
from renkou.register.models import LifeEvent, Person
from renkou.testing.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # jobs are queued on commit


def test_a_job_started_twice_is_refused_and_the_user_sent_to_the_first(client, small_register):
    officer = make_user("officer", Role.COUNTY_OFFICER, small_register.county)
    client.force_login(officer)
    first = client.post("/stats/refresh/")
    job = Job.objects.get()
    assert first["Location"] == f"/jobs/{job.pk}/"
    again = client.post("/stats/refresh/", follow=True)
    assert Job.objects.count() == 1 and again.redirect_chain[-1][0] == f"/jobs/{job.pk}/"
    assert "同样的任务已经" in again.content.decode()
    other = make_user("other", Role.STATISTICIAN, small_register.county)
    with pytest.raises(JobAlreadyRunning) as refused:  # whoever asks: one refresh at a time
        start_job("statistics_refresh", other)
    assert refused.value.job == job
    call_command("worker", batch=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.running_key is None, job.message
    assert "统计已刷新" in job.message and job.result_url == "/stats/"
    state = client.get(f"/jobs/{job.pk}/status/").json()
    assert state["finished"] and state["done"] == state["total"] > 1
    assert any("正在计算指标" in line for line in state["log"])
    assert AuditEntry.objects.filter(action="job", object_type="statistics_refresh",
                                     username="officer").count() == 1
    start_job("statistics_refresh", other)  # once it has ended, it may start again


def _enrol_then_fail(job, folder):
    register.enrol_person(name="半途", sex="F", birth_date=dt.date(1990, 1, 1), hukou_type="rural",
                          org=job.user.org, user=job.user)
    raise RuntimeError("磁盘已满")


def test_a_job_that_crashes_half_way_changes_nothing_and_says_why(client, small_register,
                                                                  monkeypatch):
    kinds = {**registry.job_kinds(), "half_way": JobKind("half_way", "半途任务",
                                                         "edit_register", _enrol_then_fail)}
    monkeypatch.setattr(registry, "job_kinds", lambda: kinds)
    clerk = make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    persons, events, entries = (Person.objects.count(), LifeEvent.objects.count(),
                                AuditEntry.objects.count())
    job = start_job("half_way", clerk, scope=small_register.village.code)
    call_command("worker", batch=True, verbosity=0)
    job.refresh_from_db()
    assert (Person.objects.count(), LifeEvent.objects.count()) == (persons, events)
    assert AuditEntry.objects.count() == entries + 1  # only the start of the job
    assert job.status == JobStatus.FAILED and "磁盘已满" in job.message
    assert "数据未作任何改动" in job.message and "RuntimeError" in job.log
    assert job.running_key is None
    client.force_login(clerk)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "磁盘已满" in page and "重新运行" in page
    again = client.post(f"/jobs/{job.pk}/again/")
    assert again.status_code == 302 and Job.objects.filter(kind="half_way").count() == 2


def test_a_job_whose_worker_is_gone_is_marked_interrupted_and_its_key_freed(small_register):
    officer = make_user("officer", Role.COUNTY_OFFICER, small_register.county)
    ended = subprocess.Popen(["true"])
    ended.wait()
    job = start_job("duplicate_detection", officer, scope=small_register.county.code)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING,
                                         worker=f"{jobs.socket.gethostname()}:{ended.pid}")
    assert jobs.mark_interrupted() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.INTERRUPTED and job.running_key is None
    assert "已中断" in job.get_status_display() and job.finished
    start_job("duplicate_detection", officer, scope=small_register.county.code)  # free again


def test_a_county_screening_is_a_job_and_its_pages_read_the_stored_list(
        client, small_register, django_assert_max_num_queries):
    from renkou.benefits.models import ScreeningRun

    officer = make_user("officer", Role.COUNTY_OFFICER, small_register.county)
    client.force_login(officer)
    query = {"programme": "childcare-subsidy", "year": 2025}
    assert "开始筛查" in client.get("/benefits/screen/", query).content.decode()
    started = client.post("/benefits/screen/start/", query)
    job = Job.objects.get(kind="benefit_screening")
    assert started["Location"] == f"/jobs/{job.pk}/"
    call_command("worker", batch=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    run = ScreeningRun.objects.get(user=officer)
    with django_assert_max_num_queries(30):  # no evaluation of the programme: stored rows
        page = client.get(job.result_url)
    assert page.status_code == 200 and page.context["run"] == run
    assert page.context["total"] == run.total == run.rows.count()
    register.record_death(small_register.zhao, event_date=dt.date(2026, 1, 5))
    assert "开始筛查" in client.get("/benefits/screen/", query).content.decode()  # stale now
