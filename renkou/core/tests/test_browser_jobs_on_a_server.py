"""The county office's long actions from the browser, against ``renkou serve`` with the
worker it starts (a real server, its own database): a county officer refreshes the
statistics and watches the bar reach 100 % and the page show the new figures, runs
duplicate detection and watches it finish; the worker killed in the middle of a job
leaves the register as it was, and the job, marked interrupted when a worker starts
again, runs again from its page."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from renkou.accounts.services import DEMO_PASSWORD
from renkou.conftest import log_in
from renkou.testing.databases import own_database

pytestmark = [pytest.mark.server, pytest.mark.browser]

COUNT = ("import django; django.setup(); from renkou.dedupe.models import CandidatePair, "
         "DetectionRun; from renkou.core.models import AuditEntry; "
         "print(CandidatePair.objects.count(), DetectionRun.objects.count(), "
         "AuditEntry.objects.filter(object_type='duplicate_detection').exclude(action='job').count())")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "renkou", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return proc
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise AssertionError("renkou serve did not start")


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the server and its worker, as a power cut would
    proc.wait(timeout=30)


def _counts(env) -> tuple[int, ...]:
    out = subprocess.run([sys.executable, "-c", COUNT], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return tuple(int(n) for n in out)


@pytest.fixture
def county(tmp_path, django_db_blocker):
    with own_database(tmp_path, django_db_blocker, "jobs") as env:
        env = {**env, "RENKOU_ANALYTICS_DIR": str(tmp_path / "analytics"),
               "RENKOU_JOB_DIR": str(tmp_path / "jobs"),
               "RENKOU_UPLOAD_DIR": str(tmp_path / "uploads")}
        subprocess.run([sys.executable, "-m", "renkou", "migrate", "-v0"], env=env, check=True)
        subprocess.run([sys.executable, "-m", "renkou", "generate", "--persons", "3000",
                        "--seed", "5", "--truth", str(tmp_path / "truth.csv")], env=env,
                       check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", "import django; django.setup(); from renkou."
                        "accounts.services import ensure_demo_users; ensure_demo_users()"],
                       env=env, check=True)
        yield env


def _watch_to_the_end(page, timeout_s: float = 240) -> list[str]:
    """Follow the job's page until it says it finished; the bar's values on the way."""
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen.append(page.locator("[data-job-percent]").inner_text())
        if page.locator("[data-finished]").count():
            return seen
        page.wait_for_timeout(500)
    raise AssertionError(f"the job did not finish: {seen[-3:]}")


def test_a_county_officer_refreshes_the_statistics_and_detects_duplicates_from_the_browser(
        county, browser_page):
    page, port = browser_page, _free_port()
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    server = _serve(county, port)
    base = f"http://127.0.0.1:{port}"
    try:
        log_in(page, base, "county", DEMO_PASSWORD)
        page.goto(base + "/stats/")
        assert "尚未计算" in page.content() or "还没有" in page.content()
        page.click("button:has-text('刷新统计')")
        page.wait_for_load_state("load")
        assert "/jobs/" in page.url and "刷新统计" in page.content()
        seen = _watch_to_the_end(page)
        page.wait_for_load_state("load")
        assert page.locator("[data-job-percent]").inner_text().startswith("100")
        assert "完成" in page.content() and "统计已刷新" in page.content(), seen
        page.click("text=查看结果")
        page.wait_for_load_state("load")
        assert "人口金字塔" in page.content() and "计算于" in page.content()

        page.goto(base + "/dedupe/")
        page.click("button:has-text('运行查重')")
        page.wait_for_load_state("load")
        _watch_to_the_end(page)
        page.wait_for_load_state("load")
        assert "查重比较了" in page.content()
        page.click("text=查看结果")
        page.wait_for_load_state("load")
        assert "上次运行" in page.content()
        page.goto(base + "/jobs/")
        assert page.locator("td.job-done").count() == 2
    finally:
        _stop(server)


def test_a_job_cut_off_by_a_kill_changes_nothing_and_runs_again(county, browser_page):
    page, port = browser_page, _free_port()
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    before = _counts(county)
    server = _serve(county, port)
    base = f"http://127.0.0.1:{port}"
    try:
        log_in(page, base, "county", DEMO_PASSWORD)
        page.goto(base + "/dedupe/")
        page.click("button:has-text('运行查重')")
        page.wait_for_load_state("load")
        job_url = page.url
        deadline = time.monotonic() + 60
        while not page.locator("[data-job-phase]").inner_text().strip():  # it runs
            assert time.monotonic() < deadline
            page.wait_for_timeout(200)
        page.goto("about:blank")  # the page stops asking the server that is about to die
    finally:
        _stop(server)  # the worker dies with it, in the middle of the run
    assert _counts(county)[:2] == before[:2]  # no pair, no run stored
    server = _serve(county, port)  # its worker marks the cut-off job interrupted
    try:
        log_in(page, base, "county", DEMO_PASSWORD)
        page.goto(job_url)
        assert "已中断" in page.content()
        page.click("button:has-text('重新运行')")
        page.wait_for_load_state("load")
        assert page.url != job_url
        _watch_to_the_end(page)
        page.wait_for_load_state("load")
        assert "查重比较了" in page.content()
    finally:
        _stop(server)
    after = _counts(county)
    assert after[1] == before[1] + 1 and after[2] == before[2] + 1  # one run, logged once
