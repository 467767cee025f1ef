"""The exchange over HTTP: two real ``renkou serve`` processes on 127.0.0.1, each with its
own database (:mod:`renkou.migrants.tests.two_offices`), registered with each other's
URL, push an arrival notice, a verification request and its answer with ``renkou
migrants exchange send``; a push to a server that is down keeps its batch, which the
next send delivers unchanged, and the receiver imports it once, however often it comes.

And in one database, the endpoint itself: no token and no CSRF token (the batch's
signature is the authentication), the signed receipts as the answer, 400 and 403 with
the reason for a refused batch, never a server error."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.test import Client
from django.utils import translation

from renkou.core import clock
from renkou.core.tests.test_browser_jobs_on_a_server import _free_port, _stop
from renkou.migrants import signing
from renkou.migrants.envelope import FORMAT, canonical_bytes
from renkou.migrants.exchange import sign_batch
from renkou.migrants.models import (
    Batch,
    Box,
    Direction,
    MatchStatus,
    Message,
    MessageState,
    MigrantSpell,
    OfficeKey,
    Peer,
)
from renkou.migrants.services import person_facts
from renkou.migrants.tests import two_offices
from renkou.migrants.tests.two_offices import (
    Counterpart,
    Office,
    arrival_of,
    register_arrival_code,
    result_of,
    together,
)

office_templates, offices = two_offices.office_templates, two_offices.offices  # the fixtures
counterpart = two_offices.counterpart

URL = "/api/migrants/exchange/batches"


def _serve(office: Office, port: int) -> subprocess.Popen:
    """``renkou serve`` for one office (no worker: the exchange needs none)."""
    return subprocess.Popen([sys.executable, "-m", "renkou", "serve", "--port", str(port),
                             "--no-worker"], env=office.env, cwd=office.folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _wait_for(*ports: int) -> None:
    deadline = time.monotonic() + 60
    for port in ports:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "renkou serve did not start"
                time.sleep(0.2)


STATE = """
from renkou.migrants.models import Batch, Message, MigrantSpell
from renkou.register.models import Person
person = Person.objects.get(id_number={id_number!r})
out(dict(
    spells=[(s.direction, s.residence_code, s.start_date.isoformat(), s.end_date)
            for s in MigrantSpell.objects.filter(person=person)],
    messages={{m.box + " " + m.type: m.state for m in Message.objects.filter(person=person)}},
    batches=[dict(box=b.box, batch_id=str(b.batch_id), delivered=bool(b.delivered_at),
                  attempts=b.attempts, error=b.last_error, transport=b.transport)
             for b in Batch.objects.order_by("pk")]))
"""

PUSH_AGAIN = """
from renkou.migrants.models import Batch, Peer
from renkou.migrants.transport import push
batch = Batch.objects.get(batch_id={batch_id!r}, box="out")
result = push(batch, Peer.objects.get(code="340102000000"), attempts=1)
out(dict(delivered=result.delivered, error=result.error))
"""


@pytest.mark.server
def test_two_servers_exchange_an_arrival_a_request_and_its_answer_and_a_retry_delivers_once(offices):
    a, b, person = offices.a, offices.b, offices.person
    port_a, port_b = _free_port(), _free_port()
    folder_a, folder_b = a.folder, b.folder
    together(a.start_migrants("peers", "add", "--code", "340102", "--key", str(folder_b / "b.pub"),
                              "--url", f"http://127.0.0.1:{port_b}"),
             b.start_migrants("peers", "add", "--code", "340621", "--key", str(folder_a / "a.pub"),
                              "--url", f"http://127.0.0.1:{port_a}/"))
    together(a.start_migrants("request", "--id-number", person["id_number"], "--to", "340102",
                              "--subject", "residence"),
             b.start_python(register_arrival_code(person)))

    # B's server is down: the batch is kept, with its attempts and the error
    down = a.migrants("exchange", "send", "--attempts", "2", "--backoff", "0.1", check=False)
    assert down.returncode == 1 and "未送达" in down.stdout and "下次原样再发" in down.stdout
    [kept] = [x for x in a.python(STATE.format(id_number=person["id_number"]))["batches"]
              if x["box"] == "out"]
    assert not kept["delivered"] and kept["attempts"] == 2 and "没有应答" in kept["error"]

    servers = [_serve(a, port_a), _serve(b, port_b)]
    try:
        _wait_for(port_a, port_b)
        sent_a, sent_b = together(a.start_migrants("exchange", "send"),
                                  b.start_migrants("exchange", "send"))
        assert kept["batch_id"] in sent_a.stdout and "已送达" in sent_a.stdout  # the same batch
        assert "已送达" in sent_b.stdout and "确认了本单位 1 条信息" in sent_b.stdout
        b.migrants("answer", "--all-open", "--result", "本人在东社区居住")
        assert "已送达" in b.migrants("exchange", "send").stdout

        # the same batch again (a lost answer, say): B recognises it and answers the same
        again = a.python(PUSH_AGAIN.format(batch_id=kept["batch_id"]))
        assert again == {"delivered": True, "error": ""}
        state_a, state_b = (result_of(r) for r in together(
            a.start_python(STATE.format(id_number=person["id_number"])),
            b.start_python(STATE.format(id_number=person["id_number"]))))
    finally:
        for server in servers:
            _stop(server)
    assert state_a["spells"] == [["out", two_offices.COMMUNITY_B, "2026-09-01", None]]
    assert state_a["messages"] == {"out verification_request": "answered",
                                   "in arrival_notice": "received",
                                   "in verification_answer": "received"}
    assert state_b["messages"] == {"out arrival_notice": "received",
                                   "in verification_request": "answered",
                                   "out verification_answer": "received"}
    received = [x for x in state_b["batches"] if x["batch_id"] == kept["batch_id"]]
    assert len(received) == 1 and received[0]["transport"] == "http"  # imported once
    assert all(x["delivered"] for x in state_a["batches"] + state_b["batches"])


# ---------------------------------------------------------------- the endpoint, in one database

def _post(body, client: Client | None = None):
    client = client or Client(enforce_csrf_checks=True)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    return client.post(URL, data, content_type="application/json")


def test_the_endpoint_takes_a_signed_batch_without_a_token_and_answers_with_signed_receipts(
        counterpart, small_register):
    batch = counterpart.batch([arrival_of(small_register.zxm)])
    answer = _post(batch)
    assert answer.status_code == 200, answer.content
    receipts = answer.json()
    ours = OfficeKey.objects.get()
    unsigned = {k: v for k, v in receipts.items() if k != "signature"}
    assert signing.verify(ours.public_key, canonical_bytes(unsigned), receipts["signature"])
    assert receipts["receiver"] == counterpart.code and receipts["sender"] == "110101000000"
    assert [r["state"] for r in receipts["receipts"]] == ["received"]
    assert receipts["receipts"][0]["message_id"] == batch["messages"][0]["message_id"]
    spell = MigrantSpell.objects.get(person=small_register.zxm)
    assert (spell.direction, spell.residence_code, spell.manager_org) == (
        Direction.OUTFLOW, "340102001001", small_register.village)
    message = Message.objects.get(box=Box.INCOMING)
    assert message.match == MatchStatus.MATCHED and not message.receipt_pending
    assert _post(batch).json() == receipts  # the same answer, nothing more
    assert Message.objects.filter(box=Box.INCOMING).count() == 1
    assert Batch.objects.filter(box=Box.INCOMING).count() == 1


def test_a_refused_batch_answers_400_or_403_with_the_reason_and_never_a_server_error(
        counterpart, small_register):
    arrival = arrival_of(small_register.zxm)
    stranger = Counterpart()
    good = counterpart.batch([arrival])
    tampered = json.loads(json.dumps(good))
    tampered["messages"][0]["payload"]["arrival_date"] = "2026-09-02"
    message_tampered = counterpart.batch([arrival])
    message_tampered["messages"][0]["payload"]["reason"] = "study"
    message_tampered = sign_batch(message_tampered, counterpart.key)  # the batch re-signed
    cases = {
        "not json": (b"\xff{", 400, "JSON"),
        "a list": ([], 400, FORMAT),
        "no messages list": ({**good, "messages": 5}, 400, ""),
        "to another office": (counterpart.batch([arrival], receiver="110102000000"), 403,
                              "110102000000"),
        "from a stranger": (stranger.batch([arrival], sender="340103000000"), 403, "340103000000"),
        "signed by another key": (stranger.batch([arrival]), 403, "签名"),
        "tampered": (tampered, 403, "篡改"),
        "a message tampered": (message_tampered, 403, "第 1 条信息"),
        "out of scope": (counterpart.batch([{"type": "contraception_check", "payload": {
            "person": person_facts(small_register.mother)}}]), 400, "DESIGN.md"),
        "a forbidden field": (counterpart.batch([{**arrival, "payload": {
            **arrival["payload"], "pregnancy_status": "no"}}]), 400, "pregnancy_status"),
    }
    for name, (body, status, words) in cases.items():
        answer = _post(body)
        assert answer.status_code == status, (name, answer.content)
        assert words in answer.json()["detail"], (name, answer.json())
    assert not Message.objects.filter(box=Box.INCOMING).exists()
    assert not MigrantSpell.objects.exists()
    english = Client().post(URL, b"[]", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert "not a batch of the migrant exchange" in english.json()["detail"]


def test_receipts_in_the_answer_update_what_this_office_sent(counterpart, small_register):
    from renkou.migrants import exchange, services

    request = services.request_verification(person=small_register.zxm, to=counterpart.code,
                                            subject="life", urgency="urgent")
    batch = exchange.make_batch(counterpart.code)
    exchange.deliver(batch, "http")
    request.refresh_from_db()
    assert request.state == MessageState.SENT
    assert request.deadline == clock.today() + dt.timedelta(days=15)
    rejection = {"format": FORMAT, "batch_id": str(uuid.uuid4()), "sender": counterpart.code,
                 "receiver": "110101000000", "created_at": clock.now().isoformat(),
                 "manifest": {"messages": 0, "receipts": 1, "by_type": {}},
                 "messages": [], "receipts": [{"message_id": str(request.message_id),
                                               "state": "rejected", "reason": "查无此人",
                                               "at": clock.now().isoformat()}]}
    result = exchange.import_batch(sign_batch(rejection, counterpart.key), transport="http")
    assert result.receipts_applied == 1
    request.refresh_from_db()
    assert (request.state, request.reason) == (MessageState.REJECTED, "查无此人")
    assert base64.b64decode(request.signature)  # it went out signed


@pytest.mark.django_db(transaction=True)  # a job is queued when its start commits
def test_the_send_job_keeps_the_batch_of_a_server_that_is_down_and_names_what_waits_for_a_file(
        counterpart, small_register):
    from django.core.management import call_command

    from renkou.accounts.roles import Role
    from renkou.core.jobs import start_job
    from renkou.core.models import Job, JobStatus
    from renkou.migrants import services
    from renkou.migrants.jobs import SEND_BATCHES
    from renkou.testing.factories import make_user

    Peer.objects.filter(code=counterpart.code).update(url=f"http://127.0.0.1:{_free_port()}")
    Peer.objects.create(code="320505000000", public_key=counterpart.key.public_key,
                        added_at=clock.now())  # files only
    services.request_verification(person=small_register.zxm, to=counterpart.code, subject="life")
    services.request_verification(person=small_register.mother, to="320505", subject="identity")
    officer = make_user("officer", Role.COUNTY_OFFICER, small_register.county)
    job = start_job(SEND_BATCHES, officer, options={"attempts": 1})
    with translation.override("zh-hans"):
        call_command("worker", batch=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "0 个批次已送达，1 个未送达" in job.message, job.message
    assert "320505000000" in job.message and "文件导出" in job.message
    kept = Batch.objects.get(box=Box.OUTGOING)
    assert (kept.receiver, kept.delivered_at, kept.attempts) == (counterpart.code, None, 1)
    assert "没有应答" in kept.last_error
    assert Job.objects.get(pk=job.pk).running_key is None


def test_pushes_from_one_address_are_throttled_with_a_reason(small_register):
    from django.core.cache import cache

    from renkou.migrants.exchange_api import PUSHES_PER_MINUTE

    allowed = int(PUSHES_PER_MINUTE.split("/")[0])
    client = Client()
    try:
        answers = [client.post("/api/migrants/exchange/batches", data="{}",
                               content_type="application/json").status_code
                   for _ in range(allowed + 1)]
        assert set(answers[:allowed]) == {400} and answers[-1] == 429
        refused = client.post("/api/migrants/exchange/batches", data="{}",
                              content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert refused.status_code == 429 and "秒" in refused.json()["detail"]
        assert int(refused["Retry-After"]) > 0
    finally:
        cache.clear()
