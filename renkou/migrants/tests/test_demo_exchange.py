"""The demo's exchange with the neighbouring office (邻县, 341322) on a small generated county:
every state present, two requests overdue, the neighbour a registered peer whose batches
were checked and imported, our batches delivered by file, the outflow migrants the
neighbour notified shown as living there, and nothing done twice."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone, translation

from renkou.core import clock
from renkou.migrants import demo
from renkou.migrants.models import (
    Batch,
    Box,
    Direction,
    MatchStatus,
    Message,
    MessageState,
    MessageType,
    MigrantSpell,
    OfficeKey,
    Peer,
)
from renkou.migrants.services import current_spell, office_code
from renkou.synthetic.service import generate_county

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

NEIGHBOUR = "341322000000"


@pytest.fixture
def exchanged():
    report = generate_county(1_000, seed=2)
    assert report.outflow > 30 and report.inflow > 20
    out = io.StringIO()
    with translation.override("zh-hans"):
        demo.prepare_demo(out)
    return out.getvalue()


def test_every_state_appears_and_two_requests_are_overdue(exchanged):
    assert set(Message.objects.values_list("state", flat=True)) == set(MessageState.values)
    assert {s for s, in Message.objects.filter(box=Box.OUTGOING).values_list("state")} \
        == set(MessageState.values)
    assert {MessageState.RECEIVED, MessageState.ANSWERED, MessageState.REJECTED,
            MessageState.CLOSED} <= set(Message.objects.filter(box=Box.INCOMING)
                                        .values_list("state", flat=True))
    today = clock.today()
    overdue = Message.objects.filter(box=Box.INCOMING).overdue(today)
    assert overdue.count() == 2
    assert all((today - m.sent_at.date()).days > 30 for m in overdue)
    assert Message.objects.filter(box=Box.OUTGOING).overdue(today).count() == 0
    rejected = Message.objects.get(box=Box.INCOMING, state=MessageState.REJECTED)
    assert rejected.reason and rejected.match == MatchStatus.NOT_FOUND
    assert Message.objects.filter(box=Box.OUTGOING, state=MessageState.REJECTED).get().reason
    kinds = set(Message.objects.values_list("type", flat=True))
    assert kinds == set(MessageType.values) - {MessageType.DEPARTURE_NOTICE}
    # the requests we answered, and ours the neighbour answered (one still open)
    ours = Message.objects.filter(box=Box.OUTGOING, type=MessageType.VERIFICATION_REQUEST)
    assert ours.filter(state__in=(MessageState.ANSWERED, MessageState.CLOSED)).count() == 3
    assert ours.filter(state=MessageState.RECEIVED).count() == 1
    assert Message.objects.filter(box=Box.INCOMING, type=MessageType.VERIFICATION_REQUEST,
                                  state=MessageState.ANSWERED).count() == 3
    assert "341322000000 邻县" in exchanged and "2 件已超期" in exchanged


def test_the_neighbour_is_a_peer_and_the_batches_went_the_real_way(exchanged):
    peer = Peer.objects.get(code=NEIGHBOUR)
    assert peer.name == "邻县" and peer.url == "" and peer.public_key.startswith("ed25519:")
    assert OfficeKey.objects.filter(office_code=office_code()).exists()
    incoming = Batch.objects.filter(box=Box.INCOMING, sender=NEIGHBOUR)
    assert incoming.count() == 3 and all(b.answer.get("signature") for b in incoming)
    outgoing = Batch.objects.filter(box=Box.OUTGOING, receiver=NEIGHBOUR)
    assert outgoing.count() == 2
    assert all(b.transport == "file" and b.delivered_at for b in outgoing)
    assert all(m.signature for m in Message.objects.exclude(state=MessageState.DRAFT))
    assert Message.objects.filter(state=MessageState.DRAFT, box=Box.OUTGOING, batch=None).count() == 1


def test_the_outflow_migrants_the_neighbour_notified_live_there(exchanged):
    notices = Message.objects.filter(box=Box.INCOMING, type=MessageType.ARRIVAL_NOTICE)
    # about those the generator already had living there (confirmed, then closed) …
    known = notices.filter(match=MatchStatus.ALREADY_KNOWN)
    assert 1 <= known.count() <= 2 and {m.state for m in known} == {MessageState.CLOSED}
    # … and about four we did not know of: now marked as living there
    new = notices.filter(match=MatchStatus.MATCHED)
    assert new.count() == 4 and notices.count() == known.count() + 4
    for notice in notices.select_related("person"):
        spell = current_spell(notice.person, Direction.OUTFLOW)
        assert spell is not None and spell.residence_code.startswith("341322")
        assert notice.person.status == "resident"  # still registered here
    assert MigrantSpell.objects.filter(recorded_via="exchange", direction=Direction.OUTFLOW,
                                       person__in=new.values("person")).count() == 4
    # the birth there is not in our register: the cross-checks show it
    birth = Message.objects.get(type=MessageType.BIRTH_NOTICE)
    assert birth.match == MatchStatus.NOT_FOUND and birth.person is not None


def test_preparing_again_changes_nothing(exchanged):
    n, batches = Message.objects.count(), Batch.objects.count()
    out = io.StringIO()
    demo.prepare_demo(out)
    assert Message.objects.count() == n and Batch.objects.count() == batches


def test_the_year_s_earlier_arrivals_were_mostly_notified_in_time(exchanged):
    from renkou.migrants.deadlines import notice_deadline

    today = clock.today()
    past = list(Message.objects.filter(type=MessageType.ARRIVAL_NOTICE, batch=None,
                                       box=Box.OUTGOING).select_related("spell"))
    assert len(past) >= 5 and all(m.sent_at.date() < today for m in past)
    in_time = [m for m in past if timezone.localtime(m.sent_at).date() <= notice_deadline(m.spell.start_date)]
    assert 0.7 < len(in_time) / len(past) < 0.95  # most within 3 working days, some late
