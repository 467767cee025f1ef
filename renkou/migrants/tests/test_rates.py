"""The exchange rates (通报率, 反馈率, 及时反馈率, overdue, median days, 建档率) on an exchange
whose every figure is counted by hand, per counterpart office and in total; scoping for a
township officer and a statistician; the CLI and the API.

The small county (110101, :func:`renkou.testing.factories.build_small_register`) has two
counterpart offices: 濉溪县 (340621000000) and 郑州市中原区 (410102000000). Period 2026H1,
counted on the test clock's day (2026-11-16).

Arrivals (inflow spells; notice deadline = 3 working days, China's holidays):

    A1 东村     from 340621  Fri 2026-04-30  deadline Fri 05-08 (1–5 May off)  sent 05-08  in time
    A2 东村     from 340621  Fri 2026-04-30  deadline Fri 05-08                 sent 05-09  late
    A3 南门社区 from 410102  Mon 2026-03-02  deadline Thu 03-05                 sent 03-05 23:30
    A4 南门社区 from 410102  Wed 2026-06-10  notice never sent
    A5 南门社区 from 410102  2025-12-31 (before the period)
    A6 A1 moves on to 南门社区 on 2026-06-01: a new spell, no arrival
    A7 南门社区 from 410102  2026-02-02, recorded in error: no arrival

    notified:  340621 1/2   410102 1/2   total 2/4   (和平镇's officer: 340621 1/2)

Requests received (they asked us), by the day received:

    R1 340621 东村     02-01  answered 02-11 (deadline 03-02)  10 days, in time
    R2 340621 东村     03-01  closed, answered 03-20 (deadline 03-16)  19 days, late
    R6 340621 东村     04-01  answered 04-04 (deadline 05-01)  3 days, in time
    R3 340621 南门社区 05-10  still open, deadline 06-09: overdue
    R4 410102 南门社区 06-30 23:00  rejected
    R5 410102 南门社区 07-01 00:30  (after the period)

    340621: 4 received, 3 answered, 2 in time, 1 overdue, median 10
    410102: 1 received, 0 answered, 1 rejected; total: 5, 3, 2, 1 overdue, median 10

Requests sent (we asked them):

    S1 to 340621 东村     sent 01-15  answered 02-01 (deadline 02-14)  17 days, in time
    S2 to 410102 南门社区 sent 05-20  open, deadline 06-04: overdue at their side
    S3 to 410102 南门社区 sent 06-01  answered 07-05 (deadline 07-01)  34 days, late
    S4 to 410102 a draft (not sent)

    340621: 1 sent, 1 answered in time, median 17; 410102: 2 sent, 1 answered, 0 in time,
    1 overdue, median 34; total: 3, 2, 1, 1, median 25.5

Departure notices received (someone coming to live here):

    D1 340621 东村  about A1 (arrived in the period): the same arrival, counted once
    D2 340621 东村  about someone who never arrived: no record
    D3 410102 南门  about A5 (arrived 2025-12-31, still here): a record opened before
    D4 410102 南门  destination elsewhere; D5 410102 a person of ours coming home: not ours

    records: 340621 2/3   410102 3/3   total 5/6   (和平镇: 2/3)
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.accounts.roles import Role
from renkou.accounts.services import issue_token
from renkou.migrants import rates, services
from renkou.migrants.deadlines import notice_deadline
from renkou.migrants.models import (
    Box,
    EndReason,
    Message,
    MessageState,
    MessageType,
    Urgency,
)
from renkou.reconciliation.common import rate
from renkou.testing.factories import make_id_number, make_user

pytestmark = pytest.mark.django_db

SUIXI, ZHONGYUAN = "340621000000", "410102000000"
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: str, time: str = "10:00") -> dt.datetime:
    """An aware moment of office time."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=ZONE)


def arrive(small, unit, hukou: str, day: dt.date, seq: int, *, person=None, sent: str | None = None):
    """An arrival registered through the services; its notice sent at ``sent`` (office time)."""
    birth = dt.date(1990, 1, 1) + dt.timedelta(days=seq)
    fields = {"person": person} if person else {
        "id_number": make_id_number(birth, "M", area=hukou[:6], seq=seq), "name": f"流入{seq}",
        "sex": "M", "birth_date": birth}
    spell = services.register_arrival(hukou_code=hukou, residence_org=unit, arrival_date=day,
                                      **fields)
    if sent:
        Message.objects.filter(spell=spell, type=MessageType.ARRIVAL_NOTICE).update(
            sent_at=at(*sent.split(" ")) if " " in sent else at(sent), state=MessageState.SENT)
    return spell


def message(box: str, party: str, org, *, kind: str = MessageType.VERIFICATION_REQUEST,
            created: dt.datetime, sent: dt.datetime | None = None, deadline: str | None = None,
            state: str = MessageState.RECEIVED, answered: str | None = None,
            urgency: str = Urgency.ORDINARY, payload: dict | None = None) -> Message:
    here = "110101000000"
    return Message.objects.create(
        box=box, sender=party if box == Box.INCOMING else here,
        receiver=here if box == Box.INCOMING else party, type=kind, urgency=urgency,
        created_at=created, state_changed_at=created,
        sent_at=sent if sent is not None else (created if box == Box.INCOMING else None),
        deadline=dt.date.fromisoformat(deadline) if deadline else None, state=state,
        answered_at=at(answered) if answered else None, org=org, payload=payload or {})


def departure_notice(party: str, org, created: str, *, id_number: str, destination: str,
                     hukou: str, left: str) -> Message:
    person = {"id_number": id_number, "name": "某人", "sex": "M", "birth_date": "1990-01-01"}
    return message(Box.INCOMING, party, org, kind=MessageType.DEPARTURE_NOTICE, created=at(created),
                   payload={"person": person, "hukou_code": hukou, "departure_date": left,
                            "destination": {"code": destination, "address": ""},
                            "reason": "work"})


@pytest.fixture
def exchange(small_register):
    s = small_register
    v, c = s.village, s.community
    ns = {}
    ns["a1"] = arrive(s, v, SUIXI, dt.date(2026, 4, 30), 1, sent="2026-05-08")
    ns["a2"] = arrive(s, v, SUIXI, dt.date(2026, 4, 30), 2, sent="2026-05-09")
    ns["a3"] = arrive(s, c, ZHONGYUAN, dt.date(2026, 3, 2), 3, sent="2026-03-05 23:30")
    ns["a4"] = arrive(s, c, ZHONGYUAN, dt.date(2026, 6, 10), 4)
    ns["a5"] = arrive(s, c, ZHONGYUAN, dt.date(2025, 12, 31), 5, sent="2026-01-04")
    ns["a6"] = arrive(s, c, SUIXI, dt.date(2026, 6, 1), 0, person=ns["a1"].person,
                      sent="2026-06-02")
    a7 = arrive(s, c, ZHONGYUAN, dt.date(2026, 2, 2), 7, sent="2026-02-03")
    services.end_spell(a7, end_date=dt.date(2026, 2, 3), end_reason=EndReason.CORRECTED)

    inc, out = Box.INCOMING, Box.OUTGOING
    message(inc, SUIXI, v, created=at("2026-02-01"), deadline="2026-03-02",
            state=MessageState.ANSWERED, answered="2026-02-11")
    message(inc, SUIXI, v, created=at("2026-03-01"), deadline="2026-03-16", urgency=Urgency.URGENT,
            state=MessageState.CLOSED, answered="2026-03-20")
    message(inc, SUIXI, v, created=at("2026-04-01"), deadline="2026-05-01",
            state=MessageState.ANSWERED, answered="2026-04-04")
    message(inc, SUIXI, c, created=at("2026-05-10"), deadline="2026-06-09")
    message(inc, ZHONGYUAN, c, created=at("2026-06-30", "23:00"), deadline="2026-07-30",
            state=MessageState.REJECTED)
    message(inc, ZHONGYUAN, c, created=at("2026-07-01", "00:30"), deadline="2026-07-31")

    message(out, SUIXI, v, created=at("2026-01-14"), sent=at("2026-01-15"), deadline="2026-02-14",
            state=MessageState.ANSWERED, answered="2026-02-01")
    message(out, ZHONGYUAN, c, created=at("2026-05-20"), sent=at("2026-05-20"),
            deadline="2026-06-04", urgency=Urgency.URGENT, state=MessageState.SENT)
    message(out, ZHONGYUAN, c, created=at("2026-06-01"), sent=at("2026-06-01"),
            deadline="2026-07-01", state=MessageState.CLOSED, answered="2026-07-05")
    message(out, ZHONGYUAN, c, created=at("2026-06-02"), state=MessageState.DRAFT)

    here = "110101001201"
    departure_notice(SUIXI, v, "2026-04-29", id_number=ns["a1"].person.id_number,
                     destination=here, hukou=SUIXI, left="2026-04-28")
    departure_notice(SUIXI, v, "2026-05-15", destination=here, hukou=SUIXI, left="2026-05-14",
                     id_number=make_id_number(dt.date(1991, 3, 3), "M", area="340621", seq=44))
    departure_notice(ZHONGYUAN, c, "2026-01-05", id_number=ns["a5"].person.id_number,
                     destination="110101002001", hukou=ZHONGYUAN, left="2025-12-28")
    departure_notice(ZHONGYUAN, c, "2026-03-01", destination="320102000000", hukou=ZHONGYUAN,
                     left="2026-02-27",
                     id_number=make_id_number(dt.date(1992, 3, 3), "M", area="410102", seq=45))
    departure_notice(ZHONGYUAN, c, "2026-03-01", destination=here, hukou="110101001201",
                     left="2026-02-27", id_number=s.zxm.id_number)
    return ns


def counts(r) -> tuple:
    return (r.numerator, r.denominator)


def test_the_deadlines_the_figures_rest_on():
    assert notice_deadline(dt.date(2026, 4, 30)) == dt.date(2026, 5, 8)  # 1–5 May off
    assert notice_deadline(dt.date(2026, 3, 2)) == dt.date(2026, 3, 5)


def test_every_rate_per_counterparty_and_in_total(exchange):
    report = rates.exchange_rates("2026H1")
    by = {r.code: r for r in report.rows}
    assert list(by) == [SUIXI, ZHONGYUAN]
    suixi, zhongyuan, total = by[SUIXI], by[ZHONGYUAN], report.total
    assert suixi.name == "安徽省淮北市濉溪县" and zhongyuan.name == "河南省郑州市中原区"

    assert [counts(r.notified) for r in (suixi, zhongyuan, total)] == [(1, 2), (1, 2), (2, 4)]
    assert total.arrivals == 4
    assert total.notified.value == 0.5
    expected = rate(2, 4)
    assert (total.notified.lower, total.notified.upper) == (expected.lower, expected.upper)

    got = suixi.received
    assert (got.count, counts(got.answered), counts(got.in_time), got.overdue, got.rejected,
            got.median_days) == (4, (3, 4), (2, 4), 1, 0, 10)
    got = zhongyuan.received
    assert (got.count, got.answered.numerator, got.rejected, got.overdue, got.median_days) == (
        1, 0, 1, 0, None)
    got = total.received
    assert (got.count, got.answered.numerator, got.in_time.numerator, got.overdue, got.rejected,
            got.median_days) == (5, 3, 2, 1, 1, 10)

    got = suixi.sent
    assert (got.count, got.answered.numerator, got.in_time.numerator, got.overdue,
            got.median_days) == (1, 1, 1, 0, 17)
    got = zhongyuan.sent
    assert (got.count, got.answered.numerator, got.in_time.numerator, got.overdue,
            got.median_days) == (2, 1, 0, 1, 34)
    got = total.sent
    assert (got.count, got.answered.numerator, got.in_time.numerator, got.overdue,
            got.median_days) == (3, 2, 1, 1, 25.5)

    assert [counts(r.records) for r in (suixi, zhongyuan, total)] == [(2, 3), (3, 3), (5, 6)]


def test_overdue_is_counted_on_the_day_asked(exchange):
    # on 2026-06-05 the request received on 05-10 (deadline 06-09) is not overdue yet,
    # while ours sent on 05-20 (deadline 06-04) already is
    report = rates.exchange_rates("2026H1", today=dt.date(2026, 6, 5))
    assert (report.total.received.overdue, report.total.sent.overdue) == (0, 1)


def test_one_counterparty(exchange):
    report = rates.exchange_rates("2026H1", counterparty="410102")
    assert [r.code for r in report.rows] == [ZHONGYUAN]
    total = report.total
    assert (total.code, counts(total.notified), total.received.count, total.sent.count,
            counts(total.records)) == (ZHONGYUAN, (1, 2), 1, 2, (3, 3))


def test_a_township_officer_sees_its_subtree(exchange, small_register):
    officer = make_user("hp", Role.TOWNSHIP_OFFICER, small_register.town)
    report = rates.exchange_rates("2026H1", officer)
    assert [r.code for r in report.rows] == [SUIXI]
    total = report.total
    assert counts(total.notified) == (1, 2)
    assert (total.received.count, total.received.answered.numerator,
            total.received.in_time.numerator, total.received.overdue,
            total.received.median_days) == (3, 3, 2, 0, 10)
    assert (total.sent.count, total.sent.answered.numerator) == (1, 1)
    assert counts(total.records) == (2, 3)
    assert report.scope_code == small_register.town.code


def test_statisticians_get_the_aggregates_and_clerks_nothing(exchange, small_register):
    statistician = make_user("stat", Role.STATISTICIAN, small_register.county)
    assert counts(rates.exchange_rates("2026H1", statistician).total.records) == (5, 6)
    clerk = make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        rates.exchange_rates("2026H1", clerk)


def test_a_period_without_exchange_has_empty_rates(exchange):
    report = rates.exchange_rates("2024")
    assert report.rows == [] and report.total.notified.value is None
    assert report.total.received.median_days is None


def test_the_command_line(exchange, tmp_path):
    out = io.StringIO()
    call_command("migrants", "rates", "--period", "2026H1", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["period"] == "2026H1" and data["end"] == "2026-06-30"
    assert [c["code"] for c in data["counterparties"]] == [SUIXI, ZHONGYUAN]
    total = data["total"]
    assert total["notified"] | {"lower": None, "upper": None} == {
        "numerator": 2, "denominator": 4, "value": 0.5, "lower": None, "upper": None}
    assert total["received"]["median_days"] == 10 and total["sent"]["overdue"] == 1
    assert total["records"]["numerator"] == 5

    out = io.StringIO()
    call_command("migrants", "rates", "--period", "2026H1", "--to", "340621", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 3 and lines[1].startswith(SUIXI) and lines[2].startswith(SUIXI)
    assert "50.0" in lines[1].split(",")

    target = tmp_path / "rates.xlsx"
    call_command("migrants", "rates", "--period", "2026H1", "--format", "xlsx", "--out",
                 str(target), stdout=io.StringIO())
    from openpyxl import load_workbook

    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [SUIXI, ZHONGYUAN, ""] or \
        [r[0] for r in rows[1:]] == [SUIXI, ZHONGYUAN, None]

    with pytest.raises(CommandError, match="2024Q3"):
        call_command("migrants", "rates", "--period", "2026H3", stdout=io.StringIO())


def _get(client, user, path):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def test_the_api(exchange, small_register, client):
    statistician = make_user("stat", Role.STATISTICIAN, small_register.county)
    answer = _get(client, statistician, "/api/migrants/rates?period=2026H1")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["total"]["sent"]["median_days"] == 25.5
    assert data["counterparties"][0]["records"] == {
        **data["counterparties"][0]["records"], "numerator": 2, "denominator": 3}
    one = _get(client, statistician, "/api/migrants/rates/410102?period=2026H1").json()
    assert (one["code"], one["received"]["rejected"]) == (ZHONGYUAN, 1)

    bad = _get(client, statistician, "/api/migrants/rates?period=2026H3")
    assert bad.status_code == 400
    assert "半年" in bad.json()["detail"] or "2024H1" in bad.json()["detail"]
    clerk = make_user("clerk", Role.VILLAGE_CLERK, small_register.village)
    assert _get(client, clerk, "/api/migrants/rates?period=2026H1").status_code == 403
