"""Registering arrivals and departures (services, file import, list, CLI request/answer)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.core.models import AuditEntry
from renkou.core.tables import ImportRejected
from renkou.migrants import services
from renkou.migrants.importing import import_migrants
from renkou.migrants.listing import write_list
from renkou.migrants.models import (
    Box,
    Direction,
    EndReason,
    Message,
    MessageState,
    MessageType,
    MigrantSpell,
)
from renkou.register.models import LifeEvent, Person, PersonStatus
from renkou.testing.factories import make_id_number, write_xlsx

#: an outside county (python-stdnum knows 340621 for every birth year)
OUTSIDE = "340621"


def arrival_id(seq: int = 21, birth: dt.date = dt.date(1996, 4, 2), sex: str = "M") -> str:
    return make_id_number(birth, sex, area=OUTSIDE, seq=seq)


def test_an_arrival_not_in_the_register_is_enrolled_with_its_hukou_place(small_register, officer):
    spell = services.register_arrival(
        hukou_code=OUTSIDE + "101001", residence_org=small_register.village,
        arrival_date=dt.date(2026, 11, 2), reason="work", id_number=arrival_id(), name="周涛",
        sex="M", birth_date=dt.date(1996, 4, 2), user=officer)
    person = spell.person
    assert person.status == PersonStatus.RESIDENT
    assert person.registered_org == small_register.village
    assert LifeEvent.objects.filter(person=person, event_type="enrol",
                                    event_date=dt.date(2026, 11, 2)).exists()
    assert (spell.direction, spell.hukou_code, spell.manager_org) == (
        Direction.INFLOW, OUTSIDE + "101001", small_register.village)
    notice = Message.objects.get(type=MessageType.ARRIVAL_NOTICE)
    assert (notice.box, notice.state, notice.receiver) == (Box.OUTGOING, MessageState.DRAFT,
                                                           OUTSIDE + "000000")
    assert notice.sender == "110101000000"
    assert notice.payload["residence"]["code"] == small_register.village.code
    places = services.places_of(person)
    assert places.hukou.startswith(OUTSIDE + "101001")
    assert places.residence == f"{small_register.village.code} 东村"


def test_an_arrival_from_inside_the_county_is_a_move_within_it(small_register):
    with pytest.raises(ValidationError) as refused:
        services.register_arrival(hukou_code="110101002001", residence_org=small_register.village,
                                  arrival_date=dt.date(2026, 11, 2), id_number=arrival_id(),
                                  name="周涛", sex="M", birth_date=dt.date(1996, 4, 2))
    assert "hukou_code" in refused.value.message_dict


def test_a_move_to_another_residence_ends_the_spell_and_opens_the_next(small_register):
    first = services.register_arrival(
        hukou_code=OUTSIDE, residence_org=small_register.village, arrival_date=dt.date(2026, 3, 1),
        id_number=arrival_id(), name="周涛", sex="M", birth_date=dt.date(1996, 4, 2))
    second = services.register_arrival(
        hukou_code=OUTSIDE, residence_org=small_register.community,
        arrival_date=dt.date(2026, 9, 1), person=first.person)
    first.refresh_from_db()
    assert (first.end_date, first.end_reason) == (dt.date(2026, 9, 1), EndReason.MOVED_ON)
    assert second.end_date is None
    assert Person.objects.get(pk=first.person_id).registered_org == small_register.community
    assert MigrantSpell.objects.filter(person=first.person).count() == 2


def test_a_resident_leaving_stays_registered_and_is_marked_as_living_elsewhere(small_register):
    spell = services.register_departure(
        small_register.zxm, departure_date=dt.date(2026, 10, 8), destination_code="440305",
        destination_address="深圳市南山区", reason="work")
    person = Person.objects.get(pk=small_register.zxm.pk)
    assert person.status == PersonStatus.RESIDENT  # no ledger event: still registered here
    assert not LifeEvent.objects.filter(person=person, event_type="move_out").exists()
    assert (spell.direction, spell.residence_code) == (Direction.OUTFLOW, "440305000000")
    assert services.places_of(person).residence == "440305000000 深圳市南山区"
    notice = Message.objects.get(type=MessageType.DEPARTURE_NOTICE)
    assert notice.receiver == "440305000000"


def test_an_inflow_migrant_leaving_moves_out_of_the_register(small_register):
    spell = services.register_arrival(
        hukou_code=OUTSIDE, residence_org=small_register.village, arrival_date=dt.date(2026, 3, 1),
        id_number=arrival_id(), name="周涛", sex="M", birth_date=dt.date(1996, 4, 2))
    services.register_departure(spell.person, departure_date=dt.date(2026, 11, 1),
                                destination_address="回户籍地")
    spell.refresh_from_db()
    assert (spell.end_date, spell.end_reason) == (dt.date(2026, 11, 1), EndReason.LEFT)
    assert Person.objects.get(pk=spell.person_id).status == PersonStatus.MOVED_OUT
    assert Message.objects.filter(type=MessageType.DEPARTURE_NOTICE,
                                  receiver=OUTSIDE + "000000").count() == 1


def test_requests_are_answered_and_rejected_once(small_register, officer):
    now = services.clock.now()
    request = Message.objects.create(
        box=Box.INCOMING, sender=OUTSIDE + "000000", receiver="110101000000",
        type=MessageType.VERIFICATION_REQUEST, created_at=now, sent_at=now, state_changed_at=now,
        deadline=dt.date(2026, 12, 16), state=MessageState.RECEIVED, org=small_register.village,
        payload={"person": services.person_facts(small_register.zxm), "subject": "life"})
    answer = services.answer_request(request, result="本人健在，居住在东村", alive=True, user=officer)
    request.refresh_from_db()
    assert request.state == MessageState.ANSWERED and request.answered_at is not None
    assert (answer.correlation_id, answer.receiver, answer.payload["alive"]) == (
        request.message_id, OUTSIDE + "000000", True)
    with pytest.raises(ValidationError):
        services.answer_request(request, result="again")
    with pytest.raises(ValidationError):
        services.reject_message(request, reason="不在本地")


def test_the_import_registers_every_row_or_none(small_register, officer, tmp_path):
    good = write_xlsx(tmp_path / "in.xlsx",
                      ["公民身份号码", "姓名", "性别", "出生日期", "户籍地代码", "居住地代码", "到达日期",
                       "流动原因", "联系电话"],
                      [[arrival_id(21), "周涛", "男", "1996-04-02", OUTSIDE, "110101001201",
                        "2026-10-12", "务工经商", "13800000000"],
                       [arrival_id(23, dt.date(1998, 1, 9)), "吴敏", "男", "1998/1/9", OUTSIDE,
                        "110101002001", "2026-10-20", "学习", ""]])
    result = import_migrants(good, direction="in", user=officer)
    assert (result.registered, result.enrolled) == (2, 2)
    assert MigrantSpell.objects.filter(direction="in").count() == 2
    bad = write_xlsx(tmp_path / "bad.xlsx",
                     ["id_number", "name", "sex", "birth_date", "hukou_code", "residence_org_code",
                      "arrival_date", "reason"],
                     [[arrival_id(25, dt.date(1990, 5, 5)), "郑新", "男", "1990-05-05", OUTSIDE,
                       "110101001201", "2026-10-01", "work"],
                      [arrival_id(27, dt.date(1991, 5, 5)), "钱多", "男", "1991-05-05", "12",
                       "110101001201", "2026-10-01", "work"],
                      [arrival_id(29, dt.date(1992, 5, 5)), "孙立", "男", "1992-05-05", OUTSIDE,
                       "999999999999", "2026/13/01", "旅游"]])
    with pytest.raises(ImportRejected) as rejected:
        import_migrants(bad, direction="in", user=officer)
    problems = {(e.row, e.field) for e in rejected.value.errors}
    assert {(3, "hukou_code"), (4, "arrival_date"), (4, "reason")} <= problems
    assert MigrantSpell.objects.filter(direction="in").count() == 2  # nothing of the bad file
    assert not Person.objects.filter(name="郑新").exists()


def test_departures_from_a_file_name_their_row_and_the_cli_lists_them(small_register, officer,
                                                                      tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("公民身份号码,姓名,离开日期,居住地代码,居住地址,流动原因\n"
                    f"{small_register.zxm.id_number},张晓明,2026-10-08,320505,苏州市高新区,务工\n"
                    f"{small_register.mother.id_number},王错名,2026-10-08,320505,苏州市,务工\n",
                    encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        import_migrants(path, direction="out", user=officer)
    assert [(e.row, e.field) for e in rejected.value.errors] == [(3, "name")]
    path.write_text("公民身份号码,姓名,离开日期,居住地代码,居住地址,流动原因\n"
                    f"{small_register.zxm.id_number},张晓明,2026-10-08,320505,苏州市高新区,务工\n",
                    encoding="utf-8")
    out = io.StringIO()
    call_command("migrants", "import", str(path), "--direction", "out", stdout=out)
    assert "1" in out.getvalue()
    rows = json.loads(write_list(officer, direction="out", fmt="json"))
    assert [(r["name"], r["residence"]) for r in rows] == [("张晓明", "320505000000 苏州市高新区")]
    assert rows[0]["id_number"] == small_register.zxm.id_number[:6] + "********" + \
        small_register.zxm.id_number[-4:]
    assert AuditEntry.objects.filter(action="export", object_type="migrants").count() == 1
    xlsx = tmp_path / "list.xlsx"
    call_command("migrants", "list", "--direction", "out", "--format", "xlsx", "--out", str(xlsx),
                 "--user", officer.username, stdout=io.StringIO())
    assert xlsx.stat().st_size > 0


def test_the_cli_writes_a_request_and_answers_every_open_one(small_register, officer):
    out = io.StringIO()
    call_command("migrants", "request", "--id-number", small_register.zxm.id_number, "--to",
                 "320505", "--subject", "residence", "--urgency", "urgent", stdout=out)
    request = Message.objects.get(type=MessageType.VERIFICATION_REQUEST)
    assert (request.receiver, request.urgency, request.state) == ("320505000000", "urgent", "draft")
    with pytest.raises(CommandError):
        call_command("migrants", "request", "--id-number", "110101199001010000", "--to", "320505",
                     "--subject", "life", stdout=io.StringIO())
    now = services.clock.now()
    for _ in range(2):
        Message.objects.create(
            box=Box.INCOMING, sender="320505000000", receiver="110101000000", state="received",
            type=MessageType.VERIFICATION_REQUEST, created_at=now, sent_at=now,
            state_changed_at=now, org=small_register.county,
            payload={"person": services.person_facts(small_register.mother), "subject": "identity"})
    call_command("migrants", "answer", "--all-open", "--result", "身份属实", stdout=out)
    assert Message.objects.filter(box="in", state="answered").count() == 2
    assert Message.objects.filter(type=MessageType.VERIFICATION_ANSWER).count() == 2


def test_the_api_registers_lists_and_answers(small_register, officer, client):
    from renkou.accounts.services import issue_token

    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(officer)}"}
    answer = client.post("/api/migrants/arrivals", {
        "id_number": arrival_id(), "name": "周涛", "sex": "M", "birth_date": "1996-04-02",
        "hukou_code": OUTSIDE, "residence_org_code": small_register.village.code,
        "arrival_date": "2026-11-02", "reason": "work"}, content_type="application/json", **auth)
    assert answer.status_code == 201, answer.content
    refused = client.post("/api/migrants/arrivals", {
        "id_number": arrival_id(31), "name": "周涛", "sex": "M", "birth_date": "1996-04-02",
        "hukou_code": "110101", "residence_org_code": small_register.village.code,
        "arrival_date": "2026-11-02"}, content_type="application/json", **auth)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "hukou_code"
    page = client.get("/api/migrants/spells?direction=in", **auth).json()
    assert page["count"] == 1 and page["items"][0]["name"] == "周涛"
    assert "*" in page["items"][0]["id_number"]
    out = client.post("/api/migrants/departures", {
        "person_id": small_register.zhao.pk, "departure_date": "2026-10-01",
        "residence_code": "320505", "residence_address": "苏州"},
        content_type="application/json", **auth)
    assert out.status_code == 201 and out.json()["direction"] == "out"
    messages = client.get("/api/migrants/messages?box=out", **auth).json()
    assert {m["type"] for m in messages["items"]} == {"arrival_notice", "departure_notice"}
    request = client.post("/api/migrants/requests", {
        "person_id": small_register.zhao.pk, "to": "320505", "subject": "residence"},
        content_type="application/json", **auth)
    assert request.status_code == 201 and request.json()["state"] == "draft"


def test_the_inbox_lists_the_birth_notices_of_children_not_in_the_register(small_register,
                                                                          officer_client):
    now = services.clock.now()
    for match in ("not_found", "matched"):
        Message.objects.create(
            box=Box.INCOMING, sender=OUTSIDE + "000000", receiver="110101000000",
            type=MessageType.BIRTH_NOTICE, created_at=now, sent_at=now, state_changed_at=now,
            state=MessageState.RECEIVED, org=small_register.village, match=match,
            payload={"child": {"name": f"孩子{match}", "sex": "F", "birth_date": "2026-10-01"},
                     "mother": services.person_facts(small_register.mother),
                     "birth_place": {"code": OUTSIDE, "name": "", "address": ""}})
    page = officer_client.get("/migrants/messages/in/?type=birth_notice&match=not_found")
    html = page.content.decode()
    assert page.status_code == 200 and "孩子not_found" in html and "孩子matched" not in html
    assert "信息库中未找到" in html
