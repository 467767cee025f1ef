"""Concurrent writes on one person against a running server (``renkou serve`` on
127.0.0.1, its own database on the suite's backend): of conflicting events sent at
once, exactly one is stored and the others are refused with a clear 422.

The server runs in its own process with its own database (a SQLite file, or a fresh
PostgreSQL database on the suite's server), so requests really run in parallel.
"""

from __future__ import annotations

import http.cookiejar
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.db import connection

from renkou.testing.databases import own_database
from renkou.testing.factories import PASSWORD

pytestmark = pytest.mark.server

SETUP = """
import json, django
django.setup()
from renkou.accounts.roles import Role
from renkou.accounts.services import issue_token
from renkou.register import services
from renkou.testing.factories import build_small_register, make_user
import datetime as dt
r = build_small_register()
officer = make_user("officer", Role.COUNTY_OFFICER, r.county)
brides = [services.enrol_person(name=f"新娘{i}", sex="F", birth_date=dt.date(1996, 1, 1 + i),
                                org=r.village, hukou_type="rural",
                                event_date=dt.date(2020, 1, 1)).pk for i in range(8)]
clerk = make_user("clerk", Role.VILLAGE_CLERK, r.village)
rural = {"org": r.village, "hukou_type": "rural", "event_date": dt.date(2020, 1, 1)}
father = services.enrol_person(name="王大山", sex="M", birth_date=dt.date(1955, 4, 2), **rural)
mother = services.enrol_person(name="李桂兰", sex="F", birth_date=dt.date(1957, 8, 9), **rural)
services.enrol_person(name="王小山", sex="M", birth_date=dt.date(1985, 2, 1), mother=mother,
                      father=father, **rural)
mover = services.enrol_person(name="钱七", sex="M", birth_date=dt.date(1980, 1, 1), **rural)
move = services.record_move_out(mover, event_date=dt.date(2023, 5, 1))
# a second registration of 张晓明 (a homophone, no ID number): a candidate pair
services.enrol_person(name="张小明", sex="M", birth_date=dt.date(1990, 3, 7), **rural)
from renkou.dedupe.models import CandidatePair
from renkou.dedupe.services import run_detection
run_detection()
pair = CandidatePair.objects.order_by("-probability").first()
print(json.dumps({"token": issue_token(officer), "zxm": r.zxm.pk, "zhao": r.zhao.pk,
                  "brides": brides, "mother": r.mother.pk, "father": father.pk,
                  "move": move.pk, "pair": pair.pk, "pair_a": pair.person_a_id,
                  "pair_b": pair.person_b_id}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_blocker):
    folder = tmp_path_factory.mktemp("concurrency")
    with own_database(folder, django_db_blocker, "concurrency") as env:
        subprocess.run([sys.executable, "-m", "renkou", "migrate", "-v0"], env=env, check=True)
        made = subprocess.run([sys.executable, "-c", SETUP], env=env, check=True,
                              capture_output=True, text=True)
        ids = json.loads(made.stdout.strip().splitlines()[-1])
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "renkou", "serve", "--port", str(port),
                                 "--threads", "8"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        try:
            yield SimpleNamespace(base=base, env=env, **ids)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _post(server, path: str, body: dict) -> tuple[int, float, dict]:
    request = urllib.request.Request(
        server.base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    return status, time.perf_counter() - started, json.loads(text or b"{}")


def _get(server, path: str):
    request = urllib.request.Request(server.base + path,
                                     headers={"Authorization": f"Bearer {server.token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _logged_in(server, username: str):
    """A browser session of ``username``: its cookie jar and CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    opener.open(server.base + "/accounts/login/", timeout=30).read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                   "csrfmiddlewaretoken": token}).encode()
    try:
        opener.open(server.base + "/accounts/login/", data=data, timeout=30)
    except urllib.error.HTTPError as error:
        assert error.code == 302, error.code
    return SimpleNamespace(opener=opener, jar=jar)


def _form_post(server, session, path: str, form: dict) -> tuple[int, float, dict]:
    token = next(c.value for c in session.jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token}).encode()
    started = time.perf_counter()
    try:
        with session.opener.open(server.base + path, data=data, timeout=60) as response:
            status, location = response.status, ""
    except urllib.error.HTTPError as error:
        status, location = error.code, error.headers.get("Location", "")
    return status, time.perf_counter() - started, {"location": location}


def _at_once(calls) -> list[tuple[int, float, dict]]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def _report(name: str, answers) -> None:
    times = sorted(t for _s, t, _b in answers)
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    statuses = Counter(s for s, _t, _b in answers)
    print(f"[concurrency] {name} on {connection.vendor}: {len(answers)} requests, "
          f"answers {dict(sorted(statuses.items()))}, p95 {p95 * 1000:.0f} ms")


def test_twenty_deaths_and_move_outs_at_once_store_exactly_one(server):
    calls = [lambda i=i: _post(server, f"/api/persons/{server.zxm}/events",
                               {"event_type": "death" if i % 2 else "move_out",
                                "event_date": "2024-01-01"})
             for i in range(20)]
    answers = _at_once(calls)
    _report("deaths and move-outs on one person", answers)
    statuses = sorted(s for s, _t, _b in answers)
    assert statuses == [201] + [422] * 19, statuses
    refused = next(b for s, _t, b in answers if s == 422)
    assert refused["errors"][0]["field"] == "person_id"  # "… is not a resident"
    events = _get(server, f"/api/persons/{server.zxm}/events")
    assert sum(e["event_type"] in ("death", "move_out") for e in events) == 1


def test_eight_marriages_of_one_man_at_once_store_exactly_one(server):
    calls = [lambda bride=bride: _post(server, f"/api/persons/{server.zhao}/events",
                                       {"event_type": "marriage", "event_date": "2024-02-01",
                                        "spouse_id": bride})
             for bride in server.brides]
    answers = _at_once(calls)
    _report("marriages of one man", answers)
    assert sorted(s for s, _t, _b in answers) == [201] + [422] * 7
    wives = [b for b in server.brides if _get(server, f"/api/persons/{b}")["marital_status"]
             == "married"]
    assert len(wives) == 1
    verify = subprocess.run([sys.executable, "-m", "renkou", "register", "verify"],
                            env=server.env, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr



def test_eight_identical_births_at_once_store_one_child(server):
    body = {"mother_id": server.mother, "name": "张小宝", "sex": "M", "birth_date": "2024-03-03"}
    answers = _at_once([lambda: _post(server, "/api/births", body) for _ in range(8)])
    _report("the same birth sent eight times", answers)
    assert sorted(s for s, _t, _b in answers) == [201] + [422] * 7


def test_eight_voids_of_one_event_at_once_store_one(server):
    body = {"action": "void", "reason": "登记错误"}
    answers = _at_once([lambda: _post(server, f"/api/events/{server.move}/corrections", body)
                        for _ in range(8)])
    _report("voids of one event", answers)
    assert sorted(s for s, _t, _b in answers) == [201] + [422] * 7


def test_eight_walk_in_applications_for_one_person_at_once_open_one(server):
    """Through the page, as a village clerk: one application opens, the others are told
    that one is already open (the database's one-open-application rule is never the
    one that answers)."""
    form = {"person_id": server.father, "programme": "rural-reward", "year": "2025",
            "rate": "default"}
    sessions = [_logged_in(server, "clerk") for _ in range(8)]
    answers = _at_once([lambda s=s: _form_post(server, s, "/benefits/applications/walk-in/", form)
                        for s in sessions])
    _report("walk-in applications for one person", answers)
    opened = [b for s, _t, b in answers if s == 302 and "/applications/" in b["location"]
              and b["location"].rstrip("/").split("/")[-1].isdigit()]
    assert len(opened) == 1 and all(s == 302 for s, _t, _b in answers), answers


def test_eight_merges_of_one_pair_at_once_merge_once(server):
    """Four officers keep one record, four the other, all at once: one merge happens;
    the others are told the record was already merged."""
    sessions = [_logged_in(server, "officer") for _ in range(8)]
    kept = [server.pair_a, server.pair_b] * 4
    answers = _at_once([lambda s=s, k=k: _form_post(server, s, f"/dedupe/pairs/{server.pair}/decide/",
                                                    {"action": "same", "kept": k})
                        for s, k in zip(sessions, kept, strict=True)])
    _report("merges of one pair", answers)
    assert all(s == 302 for s, _t, _b in answers), answers
    merges = _get(server, "/api/events?type=merge")["count"]
    assert merges == 1
    verify = subprocess.run([sys.executable, "-m", "renkou", "register", "verify"],
                            env=server.env, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
