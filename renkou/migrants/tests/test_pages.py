"""The migrant pages (流动人口) with Django's test client, in Chinese: each page for the role
that may open it and 403 for one that may not, 404 outside the user's subtree; a village
clerk registers an arrival and a departure through the forms; a field error beside its
field; the person page's three places; a township officer answers and rejects requests
received; the list's download is a logged export."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from renkou.accounts.roles import Role
from renkou.core import clock
from renkou.core.models import AuditEntry
from renkou.migrants import services
from renkou.migrants.models import (
    Box,
    Direction,
    Message,
    MessageState,
    MessageType,
    MigrantSpell,
)
from renkou.register.models import Person, PersonStatus
from renkou.testing.factories import make_id_number

pytestmark = pytest.mark.django_db

#: 涡阳县, Anhui: the hukou place of the arrivals (outside the small county, 110101)
HUKOU = "340621"
OTHER_OFFICE = "340621000000"


@pytest.fixture
def as_role(client, role_users):
    def login(role):
        client.force_login(role_users[role])
        return client

    return login


@pytest.fixture
def arrival(small_register):
    """An inflow migrant living in 东村 since 2026-10-12 (enrolled by the arrival)."""
    born = dt.date(1996, 4, 2)
    return services.register_arrival(
        hukou_code=HUKOU, residence_org=small_register.village, arrival_date=dt.date(2026, 10, 12),
        id_number=make_id_number(born, "M", area=HUKOU, seq=31), name="孙建国", sex="M",
        birth_date=born, reason="work")


@pytest.fixture
def street_arrival(small_register):
    """An inflow migrant of 南门社区 (城关街道): outside 和平镇's subtree."""
    born = dt.date(1999, 9, 9)
    return services.register_arrival(
        hukou_code=HUKOU, residence_org=small_register.community, arrival_date=dt.date(2026, 9, 1),
        id_number=make_id_number(born, "F", area=HUKOU, seq=32), name="周小红", sex="F",
        birth_date=born, reason="study")


def _received(org, person=None, *, subject="identity", deadline=None, **fields) -> Message:
    """A verification request received from the office of 涡阳县, as an import leaves it."""
    now = clock.now()
    facts = ({"id_number": person.id_number, "name": person.name, "sex": person.sex,
              "birth_date": person.birth_date.isoformat()} if person is not None
             else {"name": "钱某", "sex": "M", "birth_date": "1980-01-01"})
    return Message.objects.create(
        message_id=uuid.uuid4(), box=Box.INCOMING, sender=OTHER_OFFICE,
        receiver=services.office_code(), type=MessageType.VERIFICATION_REQUEST,
        urgency="urgent", created_at=now, sent_at=now, state=MessageState.RECEIVED,
        state_changed_at=now, deadline=deadline or clock.today() + dt.timedelta(days=15),
        payload={"person": facts, "subject": subject, "question": "此人是否在贵处居住？"},
        org=org, person=person, **fields)


def _field_errors(html: str, field: str, prefix: str = "id_") -> str:
    marker = f'id="{prefix}{field}_errors"'
    assert marker in html, f"no errors beside {field}"
    start = html.index(marker)
    return html[start:html.index("</ul>", start)]


# ---------------------------------------------------------------- who may open what

def test_each_page_opens_for_its_roles(as_role, arrival, small_register):
    clerk = as_role(Role.VILLAGE_CLERK)
    for name in ("index", "inflow", "outflow", "arrival", "departure"):
        assert clerk.get(reverse(f"migrants:{name}")).status_code == 200, name
    assert clerk.get(reverse("migrants:spell", args=[arrival.pk])).status_code == 200
    for name in ("inbox", "outbox", "request_new", "exchange", "rates"):
        assert clerk.get(reverse(f"migrants:{name}")).status_code == 403, name

    township = as_role(Role.TOWNSHIP_OFFICER)
    for name in ("index", "inflow", "inbox", "outbox", "request_new", "rates"):
        assert township.get(reverse(f"migrants:{name}")).status_code == 200, name
    assert township.get(reverse("migrants:exchange")).status_code == 403

    county = as_role(Role.COUNTY_OFFICER)
    assert county.get(reverse("migrants:exchange")).status_code == 200

    statistician = as_role(Role.STATISTICIAN)
    assert statistician.get(reverse("migrants:rates")).status_code == 200
    for name in ("index", "inflow", "inbox", "arrival"):
        assert statistician.get(reverse(f"migrants:{name}")).status_code == 403, name
    assert statistician.get(reverse("migrants:spell", args=[arrival.pk])).status_code == 403
    assert as_role(Role.AUDITOR).get(reverse("migrants:index")).status_code == 403


def test_records_outside_the_subtree_are_not_found(as_role, arrival, street_arrival,
                                                    small_register):
    township = as_role(Role.TOWNSHIP_OFFICER)  # 和平镇: 东村, not 南门社区
    assert township.get(reverse("migrants:spell", args=[arrival.pk])).status_code == 200
    assert township.get(reverse("migrants:spell", args=[street_arrival.pk])).status_code == 404
    assert township.post(reverse("migrants:spell_end", args=[street_arrival.pk]),
                         {"end_date": "2026-11-01", "end_reason": "returned"}).status_code == 404
    outside = _received(small_register.community, street_arrival.person)
    assert township.get(reverse("migrants:message", args=[outside.pk])).status_code == 404
    assert township.post(reverse("migrants:message_answer", args=[outside.pk]),
                         {"result": "在", "found": "yes"}).status_code == 404
    html = township.get(reverse("migrants:inflow")).content.decode()
    assert "孙建国" in html and "周小红" not in html
    # a unit outside the subtree named in the filter
    response = township.get(reverse("migrants:inflow"), {"org": small_register.community.code})
    assert response.status_code == 404
    outside.refresh_from_db()
    assert outside.state == MessageState.RECEIVED


# ---------------------------------------------------------------- the index and the lists

def test_index_counts_migrants_and_messages_waiting(as_role, arrival, street_arrival,
                                                    small_register):
    _received(small_register.village, arrival.person)
    _received(small_register.village, arrival.person, deadline=clock.today() - dt.timedelta(days=2))
    county = as_role(Role.COUNTY_OFFICER)
    response = county.get(reverse("migrants:index"))
    context = response.context
    assert (context["inflow"], context["outflow"]) == (2, 0)
    assert (context["received"], context["requests_open"], context["overdue_in"]) == (2, 2, 1)
    # the two arrival notices wait for the next batch
    assert context["drafts"] == 2
    html = response.content.decode()
    assert "流动人口" in html and "超期" in html

    clerk = as_role(Role.VILLAGE_CLERK)
    context = clerk.get(reverse("migrants:index")).context
    assert (context["inflow"], context["outflow"]) == (1, 0)
    assert "received" not in context  # a clerk does not exchange messages


def test_inflow_list_masks_id_numbers_and_filters(as_role, arrival, street_arrival,
                                                  small_register):
    county = as_role(Role.COUNTY_OFFICER)
    html = county.get(reverse("migrants:inflow")).content.decode()
    person = arrival.person
    assert "孙建国" in html and "周小红" in html
    assert person.id_number not in html
    assert person.id_number[:6] + "********" + person.id_number[-4:] in html
    assert "340621000000" in html and "东村" in html and "流入通报" in html
    html = county.get(reverse("migrants:inflow"), {"reason": "study"}).content.decode()
    assert "周小红" in html and "孙建国" not in html
    html = county.get(reverse("migrants:inflow"), {"q": "建国"}).content.decode()
    assert "孙建国" in html and "周小红" not in html
    html = county.get(reverse("migrants:inflow"), {"q": "sjg"}).content.decode()
    assert "孙建国" in html
    html = county.get(reverse("migrants:inflow"),
                      {"org": small_register.street.code}).content.decode()
    assert "周小红" in html and "孙建国" not in html
    assert "孙建国" not in county.get(reverse("migrants:outflow")).content.decode()


def test_the_lists_download_is_a_logged_export_with_masked_ids(as_role, arrival,
                                                                street_arrival):
    county = as_role(Role.COUNTY_OFFICER)
    response = county.get(reverse("migrants:inflow_download"), {"reason": "work"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("人员编号", "姓名", "公民身份号码")
    assert len(rows) == 2 and rows[1][1] == "孙建国"
    assert rows[1][2] != arrival.person.id_number and "*" in rows[1][2]
    entry = AuditEntry.objects.get(action="export", object_type="migrants")
    assert entry.details["rows"] == 1 and entry.details["reason"] == "work"
    assert entry.user.role == Role.COUNTY_OFFICER


# ---------------------------------------------------------------- registering

def test_a_clerk_registers_an_arrival_through_the_form(as_role, small_register):
    clerk = as_role(Role.VILLAGE_CLERK)
    form = clerk.get(reverse("migrants:arrival")).content.decode()
    assert "登记流入" in form or "流入登记" in form
    born = dt.date(2000, 2, 2)
    number = make_id_number(born, "F", area=HUKOU, seq=41)
    response = clerk.post(reverse("migrants:arrival"), {
        "id_number": number, "name": "吴丽", "sex": "F", "birth_date": "2000-02-02",
        "hukou_code": HUKOU, "residence_org": small_register.village.code,
        "arrival_date": "2026-11-02", "reason": "family", "phone": "13800000000"})
    spell = MigrantSpell.objects.get(person__id_number=number)
    assert response.status_code == 302
    assert response["Location"] == reverse("migrants:spell", args=[spell.pk])
    assert (spell.direction, spell.residence_org, spell.manager_org) == (
        Direction.INFLOW, small_register.village, small_register.village)
    assert (spell.hukou_code, spell.reason, spell.recorded_via) == ("340621000000", "family", "form")
    person = spell.person
    assert person.registered_org == small_register.village and person.status == PersonStatus.RESIDENT
    notice = Message.objects.get(spell=spell)
    assert (notice.type, notice.state, notice.receiver) == (
        MessageType.ARRIVAL_NOTICE, MessageState.DRAFT, "340621000000")

    page = clerk.get(response["Location"])
    html = page.content.decode()
    assert "吴丽" in html and number not in html and "340621000000" in html
    assert AuditEntry.objects.filter(action="view", object_type="person",
                                     object_id=str(person.pk)).exists()
    assert "吴丽" in clerk.get(reverse("migrants:inflow")).content.decode()


def test_a_clerk_registers_a_departure_with_the_person_picker(as_role, small_register):
    clerk = as_role(Role.VILLAGE_CLERK)
    zxm = small_register.zxm
    form = clerk.get(reverse("migrants:departure"), {"person": zxm.pk}).content.decode()
    assert "data-person-picker" in form and "张晓明" in form  # the chosen person's label
    response = clerk.post(reverse("migrants:departure"), {
        "person": str(zxm.pk), "departure_date": "2026-10-20", "destination_code": "320505",
        "destination_address": "江苏省苏州市高新区", "reason": "work"})
    spell = MigrantSpell.objects.get(person=zxm)
    assert response.status_code == 302
    assert (spell.direction, spell.residence_code, spell.manager_org) == (
        Direction.OUTFLOW, "320505000000", small_register.village)
    zxm.refresh_from_db()
    assert zxm.status == PersonStatus.RESIDENT  # registered here, living elsewhere
    html = clerk.get(reverse("migrants:outflow")).content.decode()
    assert "张晓明" in html and "江苏省苏州市高新区" in html
    notice = Message.objects.get(spell=spell)
    assert (notice.type, notice.receiver) == (MessageType.DEPARTURE_NOTICE, "320505000000")


def test_a_person_outside_the_clerks_units_cannot_be_picked(as_role, small_register):
    clerk = as_role(Role.VILLAGE_CLERK)
    response = clerk.post(reverse("migrants:departure"), {
        "person": str(small_register.zhao.pk), "departure_date": "2026-10-20",
        "destination_address": "上海", "reason": "work"})
    assert response.status_code == 400
    assert "没有" in _field_errors(response.content.decode(), "person")
    assert not MigrantSpell.objects.exists()


def test_field_errors_are_shown_beside_their_fields_in_chinese(as_role, small_register):
    clerk = as_role(Role.VILLAGE_CLERK)
    response = clerk.post(reverse("migrants:arrival"), {
        "id_number": "", "hukou_code": "12345", "residence_org": small_register.town.code,
        "arrival_date": "2026-11-02", "reason": "work"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "区划代码" in _field_errors(html, "hukou_code")
    # the clerk's subtree is 东村: 和平镇 is not one of its units
    assert _field_errors(html, "residence_org")
    # the service's refusal lands on the field it names: no such person, no name given
    response = clerk.post(reverse("migrants:arrival"), {
        "id_number": make_id_number(dt.date(1990, 1, 1), "M", area=HUKOU, seq=55),
        "hukou_code": HUKOU, "residence_org": small_register.village.code,
        "arrival_date": "2026-11-02", "reason": "work"})
    assert response.status_code == 400
    errors = _field_errors(response.content.decode(), "id_number")
    assert "姓名" in errors or "信息库" in errors, errors
    assert not MigrantSpell.objects.exists()


def test_a_township_is_not_a_residence(as_role, small_register):
    township = as_role(Role.TOWNSHIP_OFFICER)
    born = dt.date(2000, 2, 2)
    response = township.post(reverse("migrants:arrival"), {
        "id_number": make_id_number(born, "F", area=HUKOU, seq=42), "name": "吴丽", "sex": "F",
        "birth_date": "2000-02-02", "hukou_code": HUKOU,
        "residence_org": small_register.town.code, "arrival_date": "2026-11-02",
        "reason": "work"})
    assert response.status_code == 400
    assert "村" in _field_errors(response.content.decode(), "residence_org")


def test_ending_a_spell(as_role, arrival):
    clerk = as_role(Role.VILLAGE_CLERK)
    url = reverse("migrants:spell_end", args=[arrival.pk])
    response = clerk.post(url, {"end_date": "2026-10-01", "end_reason": "corrected"})
    assert response.status_code == 400  # before the arrival
    assert "2026-10-12" in _field_errors(response.content.decode(), "end_date")
    response = clerk.post(url, {"end_date": "2026-11-10", "end_reason": "hukou_moved"})
    assert response.status_code == 302
    arrival.refresh_from_db()
    assert (arrival.end_date, arrival.end_reason) == (dt.date(2026, 11, 10), "hukou_moved")
    assert "孙建国" not in clerk.get(reverse("migrants:inflow")).content.decode()


# ---------------------------------------------------------------- the person page

def test_the_person_page_shows_the_three_places(as_role, arrival, small_register):
    clerk = as_role(Role.VILLAGE_CLERK)
    html = clerk.get(reverse("register:person", args=[arrival.person.pk])).content.decode()
    section = html[html.index('id="migrant-places"'):]
    for label in ("户籍地", "居住地", "管理地"):
        assert label in section
    assert "340621000000" in section and "安徽省" in section and "东村" in section
    assert reverse("migrants:spell", args=[arrival.pk]) in section
    # a resident who never moved: the three places are the same unit
    html = clerk.get(reverse("register:person", args=[small_register.zxm.pk])).content.decode()
    assert html[html.index('id="migrant-places"'):].count(small_register.village.code) >= 3


# ---------------------------------------------------------------- messages

def test_a_township_officer_answers_a_request_received(as_role, arrival, small_register):
    request = _received(small_register.village, arrival.person, subject="life")
    township = as_role(Role.TOWNSHIP_OFFICER)
    html = township.get(reverse("migrants:message", args=[request.pk])).content.decode()
    assert "孙建国" in html and arrival.person.id_number in html  # the envelope as received
    assert "此人是否在贵处居住？" in html and "男" in html
    assert 'id="answer"' in html and 'id="reject"' in html
    assert AuditEntry.objects.filter(action="view", object_type="migrant_message",
                                     object_id=str(request.pk)).exists()
    url = reverse("migrants:message_answer", args=[request.pk])
    assert township.post(url, {"result": "", "found": "yes"}).status_code == 400
    response = township.post(url, {"result": "本人在东村居住", "found": "yes", "alive": "yes"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == MessageState.ANSWERED
    answer = Message.objects.get(correlation_id=request.message_id)
    assert (answer.box, answer.type, answer.state, answer.receiver) == (
        Box.OUTGOING, MessageType.VERIFICATION_ANSWER, MessageState.DRAFT, OTHER_OFFICE)
    assert answer.payload["found"] is True and answer.payload["alive"] is True
    html = township.get(reverse("migrants:message", args=[request.pk])).content.decode()
    assert 'id="answer"' not in html and "本人在东村居住" in html
    html = township.get(reverse("migrants:message", args=[answer.pk])).content.decode()
    assert "随下一批" in html or "下一批" in html  # a draft goes out with the next batch


def test_a_township_officer_rejects_a_request_received(as_role, small_register):
    request = _received(small_register.village)  # nobody of the register
    township = as_role(Role.TOWNSHIP_OFFICER)
    url = reverse("migrants:message_reject", args=[request.pk])
    response = township.post(url, {"reason": ""})
    assert response.status_code == 400
    response = township.post(url, {"reason": "本处无此人"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.state, request.reason, request.receipt_pending) == (
        MessageState.REJECTED, "本处无此人", True)
    # rejected: no more answering it
    response = township.post(reverse("migrants:message_answer", args=[request.pk]),
                             {"result": "在", "found": "yes"})
    assert response.status_code == 400
    request.refresh_from_db()
    assert request.state == MessageState.REJECTED
    response = township.post(reverse("migrants:message_close", args=[request.pk]))
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == MessageState.CLOSED


def test_the_inbox_filters_by_state_and_marks_the_overdue(as_role, arrival, small_register):
    late = _received(small_register.village, arrival.person,
                     deadline=clock.today() - dt.timedelta(days=1))
    on_time = _received(small_register.village, arrival.person)
    township = as_role(Role.TOWNSHIP_OFFICER)
    html = township.get(reverse("migrants:inbox")).content.decode()
    assert f'id="message-{late.pk}"' in html and f'id="message-{on_time.pk}"' in html
    row = html[html.index(f'id="message-{late.pk}"'):]
    assert "超期" in row[:row.index("</tr>")]
    row = html[html.index(f'id="message-{on_time.pk}"'):]
    assert "超期" not in row[:row.index("</tr>")]
    assert arrival.person.id_number not in html
    html = township.get(reverse("migrants:inbox"), {"state": "overdue"}).content.decode()
    assert f'id="message-{late.pk}"' in html and f'id="message-{on_time.pk}"' not in html
    html = township.get(reverse("migrants:outbox")).content.decode()
    assert "流入通报" in html and f'id="message-{late.pk}"' not in html


def test_a_verification_request_through_the_form(as_role, small_register):
    township = as_role(Role.TOWNSHIP_OFFICER)
    response = township.post(reverse("migrants:request_new"), {
        "person": str(small_register.mother.pk), "to": "340621", "subject": "household",
        "urgency": "urgent", "question": "请核实户籍"})
    assert response.status_code == 302
    message = Message.objects.get(type=MessageType.VERIFICATION_REQUEST)
    assert (message.box, message.receiver, message.person, message.urgency) == (
        Box.OUTGOING, "340621000000", small_register.mother, "urgent")
    assert message.payload["subject"] == "household"
    response = township.post(reverse("migrants:request_new"), {
        "person": str(small_register.zhao.pk), "to": "340621", "subject": "identity",
        "urgency": "ordinary"})
    assert response.status_code == 400  # 赵强 lives in 南门社区, outside 和平镇


# ---------------------------------------------------------------- the home page

def test_the_home_page_panel(as_role, arrival, small_register, settings, tmp_path):
    settings.RENKOU_ANALYTICS_DIR = str(tmp_path / "analytics")  # no statistics computed yet
    _received(small_register.village, arrival.person, deadline=clock.today() - dt.timedelta(days=1))
    html = as_role(Role.TOWNSHIP_OFFICER).get(reverse("register:home")).content.decode()
    assert 'id="panel-migrants-current"' in html
    assert reverse("migrants:inflow") in html and "流入" in html
    assert as_role(Role.STATISTICIAN).get(reverse("register:home")).status_code == 200
    assert 'panel-migrants-current' not in as_role(Role.STATISTICIAN).get(
        reverse("register:home")).content.decode()
    assert Person.objects.filter(pk=arrival.person.pk).exists()


# ---------------------------------------------------------------- the exchange page

def _other_office_key():
    """The key pair of the office of 涡阳县 (kept in memory: this database is ours)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from renkou.migrants import signing
    from renkou.migrants.models import OfficeKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    text = signing.public_key_text(private.public_key())
    return OfficeKey(office_code=OTHER_OFFICE, public_key=text, private_key=pem,
                     created_at=clock.now())


def _batch_from_the_other_office(key, person) -> bytes:
    """A batch as the office of 涡阳县 would send it: one verification request about
    ``person``, signed message by message and as a whole."""
    from renkou.migrants import signing
    from renkou.migrants.envelope import FORMAT, canonical_bytes
    from renkou.migrants.exchange import batch_bytes, sign_batch

    now = clock.now()
    envelope = {
        "message_id": str(uuid.uuid4()), "correlation_id": None, "sender": OTHER_OFFICE,
        "receiver": services.office_code(), "type": "verification_request", "urgency": "urgent",
        "sent_at": now.isoformat(), "deadline": (clock.today() + dt.timedelta(days=15)).isoformat(),
        "payload": {"person": services.person_facts(person), "subject": "residence",
                    "question": "是否在贵处居住"}}
    message = {**envelope, "signature": signing.sign(canonical_bytes(envelope), key)}
    content = sign_batch({
        "format": FORMAT, "batch_id": str(uuid.uuid4()), "sender": OTHER_OFFICE,
        "receiver": services.office_code(), "created_at": now.isoformat(),
        "manifest": {"messages": 1, "receipts": 0, "by_type": {"verification_request": 1},
                     "sender_key": key.public_key},
        "messages": [message], "receipts": []}, key)
    return batch_bytes(content)


def test_the_county_exchanges_batches_by_file_from_the_page(as_role, arrival, small_register):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from renkou.migrants.models import Batch, Peer

    county = as_role(Role.COUNTY_OFFICER)
    html = county.get(reverse("migrants:exchange")).content.decode()
    assert services.office_code() in html and "110101000000" in html
    assert county.post(reverse("migrants:key_create")).status_code == 302
    key_text = county.get(reverse("migrants:public_key")).content.decode().strip()
    assert key_text.startswith("ed25519:")

    other = _other_office_key()
    response = county.post(reverse("migrants:peer_add"), {
        "code": "340621", "name": "涡阳县卫健委", "public_key": "not a key", "url": ""})
    assert response.status_code == 400
    assert "Ed25519" in _field_errors(response.content.decode(), "public_key", "peer_")
    response = county.post(reverse("migrants:peer_add"), {
        "code": "340621", "name": "涡阳县卫健委", "public_key": other.public_key, "url": ""})
    assert response.status_code == 302
    peer = Peer.objects.get(code=OTHER_OFFICE)
    assert (peer.name, peer.public_key, peer.url) == ("涡阳县卫健委", other.public_key, "")
    html = county.get(reverse("migrants:exchange")).content.decode()
    peers = html[html.index('id="peers"'):]
    assert "涡阳县卫健委" in peers and "<td class=\"num\">1</td>" in peers  # the arrival notice

    # the batch for 涡阳县: the arrival notice, signed; the notice is sent
    response = county.post(reverse("migrants:batch_export"), {"to": OTHER_OFFICE})
    assert response.status_code == 200
    batch = json.loads(b"".join(response.streaming_content))
    assert (batch["sender"], batch["receiver"], batch["manifest"]["messages"]) == (
        "110101000000", OTHER_OFFICE, 1)
    assert batch["messages"][0]["type"] == "arrival_notice"
    notice = Message.objects.get(spell=arrival)
    assert notice.state == MessageState.SENT and notice.signature
    response = county.post(reverse("migrants:batch_export"), {"to": OTHER_OFFICE})
    assert response.status_code == 302  # nothing waits any more: no file
    sent = Batch.objects.get(box=Box.OUTGOING)
    again = county.get(reverse("migrants:batch_file", args=[sent.pk]))
    assert json.loads(again.content)["batch_id"] == batch["batch_id"]
    assert AuditEntry.objects.filter(action="export", object_type="migrant_batch").exists()

    # a batch from 涡阳县: a verification request about the arrival, imported once
    data = _batch_from_the_other_office(other, arrival.person)
    response = county.post(reverse("migrants:batch_import"),
                           {"batch": SimpleUploadedFile("batch.json", data)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="imported"' in html and "协查请求" in html
    request = Message.objects.get(box=Box.INCOMING)
    assert (request.state, request.person, request.sender) == (
        MessageState.RECEIVED, arrival.person, OTHER_OFFICE)
    received = Batch.objects.get(box=Box.INCOMING)
    receipts = county.get(reverse("migrants:batch_file", args=[received.pk]))
    assert json.loads(receipts.content)["receipts"][0]["message_id"] == str(request.message_id)
    response = county.post(reverse("migrants:batch_import"),
                           {"batch": SimpleUploadedFile("batch.json", data)})
    assert response.status_code == 200
    assert Message.objects.filter(box=Box.INCOMING).count() == 1  # the same batch: nothing changed

    # a tampered batch is refused whole, with the reason
    tampered = data.replace("是否在贵处居住".encode(), "是否在贵处居住？".encode())
    response = county.post(reverse("migrants:batch_import"),
                           {"batch": SimpleUploadedFile("batch.json", tampered)})
    assert response.status_code == 400
    assert 'id="refused"' in response.content.decode()
    assert Message.objects.filter(box=Box.INCOMING).count() == 1


def test_send_now_starts_the_background_job(as_role, small_register):
    from renkou.core.models import Job

    county = as_role(Role.COUNTY_OFFICER)
    response = county.post(reverse("migrants:exchange_send"))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    assert job.kind == "migrant_exchange_send"
    assert as_role(Role.TOWNSHIP_OFFICER).post(reverse("migrants:exchange_send")).status_code == 403


# ---------------------------------------------------------------- the rates page

def test_the_rates_page_shows_numerators_and_denominators(as_role, arrival, street_arrival,
                                                          small_register):
    # 孙建国 arrived on 2026-10-12: the notice was never sent (0 of 1 in time)
    _received(small_register.village, arrival.person)
    county = as_role(Role.COUNTY_OFFICER)
    response = county.get(reverse("migrants:rates"))
    assert response.status_code == 200
    assert response.context["report"].period.label == "2026H2"
    html = response.content.decode()
    table = html[html.index('id="rates"'):]
    assert "0/2" in table  # two arrivals, none notified in time
    assert "0/1" in table  # one request received, not answered
    response = county.get(reverse("migrants:rates"), {"period": "2026Q1"})
    assert response.context["report"].total.arrivals == 0
    response = county.get(reverse("migrants:rates"), {"period": "2026X"})
    assert response.status_code == 200 and response.context["report"] is None
    assert _field_errors(response.content.decode(), "period")
    download = county.get(reverse("migrants:rates"), {"period": "2026H2", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
                .iter_rows(values_only=True))
    assert rows[-1][2] == 2  # the total's arrivals
    # a statistician reads the same aggregates of its subtree
    report = as_role(Role.STATISTICIAN).get(reverse("migrants:rates")).context["report"]
    assert report.total.arrivals == 2
