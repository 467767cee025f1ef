"""The exchange by file between two offices, each its own database, through the ``renkou``
CLI (:mod:`renkou.migrants.tests.two_offices`): keys and peers both ways; a resident of
county A registered as an arrival in district B shows in A as living in B; A's
verification request is answered in B and the answer brings the request to answered in
A; the receipts go back both ways; a replayed batch changes nothing and says so; a
tampered batch, a batch from an office A does not know, and a signed batch carrying a
pregnancy check are refused whole, with their reasons, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json
import stat
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from renkou.migrants import exchange, services, signing
from renkou.migrants.envelope import FORMAT, canonical_bytes
from renkou.migrants.exchange import batch_bytes, import_batch, sign_batch
from renkou.migrants.models import Box, EndReason, MatchStatus, Message, MigrantSpell, OfficeKey
from renkou.migrants.services import person_facts
from renkou.register import services as register_services
from renkou.register.models import LifeEvent, PersonStatus

from . import two_offices
from .two_offices import (
    CODE_A,
    CODE_B,
    COMMUNITY_B,
    arrival_of,
    register_arrival_code,
    result_of,
    together,
)

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


# ---------------------------------------------------------------- in one database: what receiving does

counterpart = two_offices.counterpart


def test_a_second_arrival_elsewhere_ends_the_outflow_spell_and_opens_the_next(counterpart,
                                                                              small_register):
    zxm = small_register.zxm
    import_batch(counterpart.batch([arrival_of(zxm, "2026-03-01")]))
    again = import_batch(counterpart.batch([arrival_of(zxm, "2026-05-01")]))  # the same residence
    assert again.received == 1
    [spell] = MigrantSpell.objects.filter(person=zxm)
    assert spell.start_date == dt.date(2026, 3, 1) and spell.end_date is None
    assert Message.objects.filter(box=Box.INCOMING).latest("pk").match == MatchStatus.ALREADY_KNOWN
    import_batch(counterpart.batch([arrival_of(zxm, "2026-08-01", residence="340102002001")]))
    old, new = MigrantSpell.objects.filter(person=zxm).order_by("start_date")
    assert (old.end_date, old.end_reason) == (dt.date(2026, 8, 1), EndReason.MOVED_ON)
    assert (new.residence_code, new.start_date, new.end_date) == ("340102002001",
                                                                 dt.date(2026, 8, 1), None)
    assert zxm.migrant_spells.count() == 2 and LifeEvent.objects.filter(person=zxm).count() == 1


def test_a_notice_naming_the_village_of_the_county_known_refines_the_spell(counterpart,
                                                                          small_register):
    from renkou.migrants import services

    zxm = small_register.zxm
    known = services.register_departure(zxm, departure_date=dt.date(2026, 2, 1),
                                        destination_code="340102", notify=False)
    import_batch(counterpart.batch([arrival_of(zxm, "2026-03-01", residence="340102001001")]))
    [spell] = MigrantSpell.objects.filter(person=zxm)
    assert (spell.pk, spell.start_date, spell.residence_code) == (
        known.pk, dt.date(2026, 2, 1), "340102001001")


def _departure(person, day: str, code: str | None, address: str = "") -> dict:
    return {"type": "departure_notice", "payload": {
        "person": person_facts(person), "hukou_code": person.registered_org.code,
        "departure_date": day, "destination": {"code": code, "address": address},
        "reason": "work"}}


def test_a_departure_notice_brings_an_outflow_migrant_home_or_on_to_the_next_place(counterpart,
                                                                                   small_register):
    zxm, mother = small_register.zxm, small_register.mother
    import_batch(counterpart.batch([arrival_of(zxm, "2026-03-01"), arrival_of(mother, "2026-03-01")]))
    import_batch(counterpart.batch([
        _departure(zxm, "2026-10-01", small_register.village.code),  # back home
        _departure(mother, "2026-10-01", None, "江苏省苏州市高新区"),  # on to somewhere else
    ]))
    home = MigrantSpell.objects.get(person=zxm)
    assert (home.end_date, home.end_reason) == (dt.date(2026, 10, 1), EndReason.RETURNED)
    gone, later = MigrantSpell.objects.filter(person=mother).order_by("start_date")
    assert gone.end_reason == EndReason.MOVED_ON and later.end_date is None
    assert (later.residence_code, later.residence_address) == ("", "江苏省苏州市高新区")
    small_register.zxm.refresh_from_db()
    assert small_register.zxm.status == PersonStatus.RESIDENT  # the ledger is untouched


def test_a_departure_notice_about_an_inflow_migrant_here_who_went_home_moves_the_person_out(
        counterpart, small_register):
    spell = services.register_arrival(
        hukou_code="340102001001", residence_org=small_register.village,
        arrival_date=dt.date(2026, 2, 1), name="孙丽", sex="F", birth_date=dt.date(1990, 6, 6),
        notify=False)
    import_batch(counterpart.batch([_departure(spell.person, "2026-09-30", "340102001001")]))
    spell.refresh_from_db()
    spell.person.refresh_from_db()
    assert (spell.end_date, spell.end_reason) == (dt.date(2026, 9, 30), EndReason.LEFT)
    assert spell.person.status == PersonStatus.MOVED_OUT


def test_a_birth_notice_of_a_child_not_yet_registered_is_marked_not_found_for_the_cross_checks(
        counterpart, small_register):
    mother = small_register.mother
    child = {"name": "张小宝", "sex": "M", "birth_date": "2026-08-02"}
    notice = {"type": "birth_notice", "payload": {
        "child": child, "mother": person_facts(mother),
        "birth_place": {"code": "340102001001", "name": "东社区"}}}
    stranger = {**arrival_of(mother), "payload": {**arrival_of(mother)["payload"], "person": {
        "id_number": None, "name": "查无此人", "sex": "M", "birth_date": "1980-01-01"}}}
    result = import_batch(counterpart.batch([notice, stranger]))
    assert result.not_found == 2
    birth, unknown = Message.objects.filter(box=Box.INCOMING).order_by("pk")
    assert (birth.match, birth.person, birth.org) == (MatchStatus.NOT_FOUND, mother,
                                                      small_register.village)
    assert (unknown.match, unknown.person, unknown.org) == (MatchStatus.NOT_FOUND, None,
                                                            small_register.county)
    registered = register_services.record_birth(mother=mother, name="张小宝", sex="M",
                                                birth_date=dt.date(2026, 8, 2))
    import_batch(counterpart.batch([notice]))
    assert Message.objects.filter(box=Box.INCOMING).latest("pk").person == registered
    assert Message.objects.filter(box=Box.INCOMING).latest("pk").match == MatchStatus.ALREADY_KNOWN


def test_receipts_owed_go_out_with_the_next_batch_rejections_too(counterpart, small_register):
    batch = counterpart.batch([arrival_of(small_register.zxm), arrival_of(small_register.mother)])
    result = import_batch(batch)
    assert [r["state"] for r in result.answer["receipts"]] == ["received", "received"]
    first, second = Message.objects.filter(box=Box.INCOMING).order_by("pk")
    assert first.receipt_pending and second.receipt_pending
    services.reject_message(second, reason="此人已于 2025 年迁出")
    duplicate = import_batch(counterpart.batch([{**arrival_of(small_register.zxm),
                                                 "message_id": str(first.message_id)}]))
    assert (duplicate.received, duplicate.duplicates) == (0, 1)
    out = exchange.make_batch(counterpart.code)
    assert [(r["message_id"], r["state"], r["reason"]) for r in out.content["receipts"]] == [
        (str(first.message_id), "received", ""), (str(second.message_id), "rejected",
                                                  "此人已于 2025 年迁出")]
    assert exchange.make_batch(counterpart.code).pk == out.pk  # not delivered: the same again
    exchange.deliver(out, "file")
    assert not Message.objects.filter(receipt_pending=True).exists()
    assert exchange.make_batch(counterpart.code) is None
