"""The exchange by file between two offices, each its own database, through the ``renkou``
CLI (:mod:`renkou.migrants.tests.two_offices`): keys and peers both ways; a resident of
county A registered as an arrival in district B shows in A as living in B; A's
verification request is answered in B and the answer brings the request to answered in
A; the receipts go back both ways; a replayed batch changes nothing and says so; a
tampered batch, a batch from an office A does not know, and a signed batch carrying a
pregnancy check are refused whole, with their reasons, and nothing is written."""

from __future__ import annotations

import json
import stat
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from renkou.migrants import signing
from renkou.migrants.envelope import FORMAT, canonical_bytes
from renkou.migrants.exchange import batch_bytes, sign_batch
from renkou.migrants.models import OfficeKey

from . import two_offices
from .two_offices import CODE_A, CODE_B, COMMUNITY_B, register_arrival_code, result_of, together

office_templates, offices = two_offices.office_templates, two_offices.offices  # the fixtures



def state_of(id_number: str) -> str:
    """Code run in an office: its spells and messages about the person with this ID
    number, its batches and the refusals logged."""
    return f"""
from renkou.migrants.models import MigrantSpell, Message, Batch
from renkou.core.models import AuditEntry
from renkou.register.models import Person
person = Person.objects.filter(id_number={id_number!r}).first()
spells = [dict(direction=s.direction, person=s.person_id, residence_code=s.residence_code,
               start=s.start_date.isoformat(), end=s.end_date, manager=s.manager_org.code,
               source=str(s.source_message.message_id) if s.source_message else None)
          for s in MigrantSpell.objects.filter(person=person).order_by("pk")]
messages = [dict(box=m.box, type=m.type, state=m.state, match=m.match, person=m.person_id,
                 deadline=m.deadline, message_id=str(m.message_id), answered=bool(m.answered_at),
                 receipt_pending=m.receipt_pending)
            for m in Message.objects.filter(person=person).order_by("pk")]
out(dict(spells=spells, messages=messages,
         batches=sorted(str(b) for b in Batch.objects.values_list("batch_id", flat=True)),
         refusals=[e.details for e in AuditEntry.objects.filter(object_type="migrant_batch")
                   .order_by("pk") if "refused" in e.details]))
"""


def test_each_office_makes_its_key_and_registers_the_other_with_its_public_key(office_templates):
    pair = office_templates
    a_pub = (pair.a.folder / "a.pub").read_text().strip()
    b_pub = (pair.b.folder / "b.pub").read_text().strip()
    assert a_pub.startswith("ed25519:") and b_pub.startswith("ed25519:") and a_pub != b_pub
    assert CODE_A in pair.outputs["keys_a"] and "数据库" in pair.outputs["keys_a"]
    assert str(pair.b.key_file) in pair.outputs["keys_b"]
    assert stat.S_IMODE(pair.b.key_file.stat().st_mode) == 0o600
    assert "已登记" in pair.outputs["peers_a"] and CODE_B in pair.outputs["peers_a"]
    listed = pair.a.migrants("peers", "list").stdout
    assert CODE_B in listed and "邻区" in listed and b_pub in listed
    kept = pair.b.python("from renkou.migrants.models import OfficeKey\n"
                         "out([k.private_key for k in OfficeKey.objects.all()])")
    assert kept == [""]  # B's private key is only in its key file


def test_an_arrival_in_b_shows_in_a_as_living_in_b_and_a_request_of_a_is_answered_by_b(offices,
                                                                                   tmp_path):
    a, b, person = offices.a, offices.b, offices.person
    together(b.start_python(register_arrival_code(person)),
             a.start_migrants("request", "--id-number", person["id_number"], "--to", "340102",
                              "--subject", "residence", "--urgency", "urgent",
                              "--question", "是否在贵区居住"))
    b1, a1 = tmp_path / "b1.json", tmp_path / "a1.json"
    exported = together(b.start_migrants("exchange", "export", "--to", "340621", "--out", str(b1)),
                        a.start_migrants("exchange", "export", "--to", "340102", "--out", str(a1)))
    assert "1 条信息" in exported[0].stdout and "1 条信息" in exported[1].stdout
    batch = json.loads(b1.read_text())
    assert batch["manifest"]["by_type"] == {"arrival_notice": 1} and batch["receiver"] == CODE_A
    assert batch["messages"][0]["payload"]["person"]["id_number"] == person["id_number"]
    request = json.loads(a1.read_text())["messages"][0]
    assert request["type"] == "verification_request" and request["urgency"] == "urgent"
    sent_on = request["sent_at"][:10]
    assert request["deadline"] > sent_on  # 15 days later

    r_a, r_b = tmp_path / "receipts-from-a.json", tmp_path / "receipts-from-b.json"
    imported = together(a.start_migrants("exchange", "import", str(b1), "--receipts-out", str(r_a)),
                        b.start_migrants("exchange", "import", str(a1), "--receipts-out", str(r_b)))
    assert "已导入" in imported[0].stdout and "流入通报 1" in imported[0].stdout
    assert json.loads(r_a.read_text())["receipts"][0]["state"] == "received"

    # B answers the request; A takes B's receipts, B takes A's
    b2 = tmp_path / "b2.json"
    b.migrants("answer", "--all-open", "--result", "本人自 2026-09-01 起在东社区居住")
    together(b.start_migrants("exchange", "export", "--to", "340621", "--out", str(b2)),
             a.start_migrants("exchange", "import", str(r_b)))
    second = json.loads(b2.read_text())
    assert second["manifest"]["by_type"] == {"verification_answer": 1}
    assert [r["message_id"] for r in second["receipts"]] == [request["message_id"]]
    together(a.start_migrants("exchange", "import", str(b2)),
             b.start_migrants("exchange", "import", str(r_a)))

    # replaying the first batch changes nothing and says so
    replay, state_b = together(a.start_migrants("exchange", "import", str(b1)),
                               b.start_python(state_of(person["id_number"])))
    assert "导入过" in replay.stdout and "未作任何改动" in replay.stdout
    assert batch["batch_id"] in replay.stdout
    state = a.python(state_of(person["id_number"]))
    [spell] = state["spells"]
    assert spell == {"direction": "out", "person": person["pk"], "residence_code": COMMUNITY_B,
                     "start": "2026-09-01", "end": None, "manager": person["unit"],
                     "source": batch["messages"][0]["message_id"]}
    by_type = {m["type"]: m for m in state["messages"]}
    assert by_type["arrival_notice"]["box"] == "in" and by_type["arrival_notice"]["match"] == "matched"
    assert by_type["arrival_notice"]["person"] == person["pk"]
    asked = by_type["verification_request"]
    assert asked["box"] == "out" and asked["state"] == "answered" and asked["answered"]
    assert by_type["verification_answer"]["state"] == "received"
    assert len(state["messages"]) == 3
    exchanged = {json.loads(f.read_text())["batch_id"] for f in (a1, b1, r_b, b2)}
    assert exchanged <= set(state["batches"])
    state_b = result_of(state_b)
    states_b = {m["type"]: (m["box"], m["state"], m["receipt_pending"]) for m in state_b["messages"]}
    assert states_b["arrival_notice"] == ("out", "received", False)  # A's receipt came back
    assert states_b["verification_request"] == ("in", "answered", False)  # its receipt went in b2
    [inflow] = state_b["spells"]
    assert inflow["direction"] == "in" and inflow["start"] == "2026-09-01"


def _craft(sender: str, receiver: str, messages: list[dict], key: OfficeKey) -> dict:
    """A batch as an office would make it, each message and the batch signed with ``key``."""
    signed = []
    for message in messages:
        envelope = {"message_id": str(uuid.uuid4()), "correlation_id": None, "sender": sender,
                    "receiver": receiver, "urgency": "ordinary", "sent_at": "2026-11-16T09:30:00+08:00",
                    "deadline": None, **message}
        signed.append({**envelope, "signature": signing.sign(canonical_bytes(envelope), key)})
    by_type: dict[str, int] = {}
    for m in signed:
        by_type[m["type"]] = by_type.get(m["type"], 0) + 1
    return sign_batch({"format": FORMAT, "batch_id": str(uuid.uuid4()), "sender": sender,
                       "receiver": receiver, "created_at": "2026-11-16T09:30:00+08:00",
                       "manifest": {"messages": len(signed), "receipts": 0, "by_type": by_type,
                                    "sender_key": key.public_key},
                       "messages": signed, "receipts": []}, key)


@pytest.fixture
def key_of_b(offices, settings) -> OfficeKey:
    """B's signing key, read from B's key file (as an office that signs by hand would)."""
    settings.RENKOU_EXCHANGE_KEY_FILE = str(offices.b.key_file)
    return OfficeKey(office_code=CODE_B, public_key=(offices.b.folder / "b.pub").read_text().strip())


def test_a_tampered_a_foreign_and_an_out_of_scope_batch_are_refused_whole(offices, key_of_b,
                                                                         tmp_path):
    a, b, person = offices.a, offices.b, offices.person
    b.python(register_arrival_code(person))
    genuine = tmp_path / "b1.json"
    b.migrants("exchange", "export", "--to", "340621", "--out", str(genuine))
    text = genuine.read_text()
    tampered = tmp_path / "tampered.json"
    tampered.write_text(text.replace('"arrival_date": "2026-09-01"', '"arrival_date": "2026-09-02"'))
    assert len(tampered.read_text()) == len(text) and tampered.read_text() != text  # one byte

    private = Ed25519PrivateKey.generate()
    stranger = OfficeKey(office_code="340103000000", public_key=signing.public_key_text(
        private.public_key()), private_key=private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode())
    notice = json.loads(text)["messages"][0]
    arrival = {"type": notice["type"], "payload": notice["payload"]}
    foreign = tmp_path / "foreign.json"
    foreign.write_bytes(batch_bytes(_craft("340103000000", CODE_A, [arrival], stranger)))
    pregnancy = tmp_path / "pregnancy.json"
    pregnancy.write_bytes(batch_bytes(_craft(CODE_B, CODE_A, [arrival, {
        "type": "pregnancy_check", "payload": {"person": notice["payload"]["person"],
                                               "pregnant": False, "checked_on": "2026-11-01"}}],
        key_of_b)))

    refused = together(*(a.start_migrants("exchange", "import", str(f))
                         for f in (tampered, foreign, pregnancy)), check=False)
    assert [r.returncode for r in refused] == [1, 1, 1]
    assert "签名" in refused[0].stderr and "篡改" in refused[0].stderr
    assert "340103000000" in refused[1].stderr and "未登记" in refused[1].stderr
    assert "pregnancy_check" in refused[2].stderr and "DESIGN.md" in refused[2].stderr
    assert "第 2 条信息" in refused[2].stderr  # the message is named
    state = a.python(state_of(person["id_number"]))
    assert state["messages"] == [] and state["spells"] == []
    assert json.loads(text)["batch_id"] not in state["batches"]
    assert len(state["refusals"]) == 3

    # the genuine batch goes in: only the tampering was wrong
    assert "已导入" in a.migrants("exchange", "import", str(genuine)).stdout
    state = a.python(state_of(person["id_number"]))
    assert len(state["spells"]) == 1 and state["spells"][0]["residence_code"] == COMMUNITY_B
