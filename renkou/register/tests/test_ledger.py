"""The fold of the ledger (活台帐) and reconstruction as of a date (pure, no database)."""

import datetime as dt

from renkou.register.ledger import EventRecord, effective_events, fold, fold_many

D = dt.date


def ev(id, kind, date, org=1, payload=None, supersedes=None, person=1):
    return EventRecord(id, person, kind, date, org, payload or {}, supersedes)


LIFE = [
    ev(1, "enrol", D(2020, 1, 1), org=10, payload={"household_id": 5, "relationship": "head",
                                                   "marital_status": "single",
                                                   "hukou_type": "rural"}),
    ev(2, "marriage", D(2021, 5, 1), org=10, payload={"spouse_id": 2}),
    ev(3, "move_within", D(2022, 3, 1), org=11, payload={"household_id": 6}),
    ev(4, "move_out", D(2023, 7, 1), org=11),
    ev(5, "move_in", D(2024, 2, 1), org=12, payload={"household_id": 7, "relationship": "head"}),
    ev(6, "death", D(2025, 1, 1), org=12),
]


def test_not_in_register_before_entry():
    assert fold(LIFE, as_of=D(2019, 12, 31)) is None


def test_state_as_of_each_date():
    assert fold(LIFE, D(2020, 1, 1)) == {
        "status": "resident", "registered_org_id": 10, "current_org_id": None,
        "household_id": 5, "relationship": "head", "marital_status": "single",
        "hukou_type": "rural",
    }
    assert fold(LIFE, D(2021, 5, 1))["marital_status"] == "married"
    mid = fold(LIFE, D(2022, 6, 30))
    assert (mid["registered_org_id"], mid["household_id"]) == (11, 6)
    assert fold(LIFE, D(2023, 7, 1))["status"] == "moved_out"
    back = fold(LIFE, D(2024, 2, 1))
    assert (back["status"], back["registered_org_id"], back["household_id"]) == ("resident", 12, 7)
    assert back["marital_status"] == "married"  # a return keeps the marital status
    assert fold(LIFE)["status"] == "dead"


def test_order_of_input_does_not_matter():
    assert fold(list(reversed(LIFE))) == fold(LIFE)


def test_void_correction_removes_event_at_every_date():
    events = [*LIFE, ev(7, "correction", D(2025, 2, 1), payload={"void": True}, supersedes=6)]
    assert fold(events)["status"] == "resident"
    assert [e.event_type for e in effective_events(events)][-1] == "move_in"


def test_replacing_correction_moves_the_event_date():
    # the move out really happened in 2022-12, not 2023-07
    events = [*LIFE, ev(7, "correction", D(2025, 2, 1), payload={"event_date": "2022-12-01"},
                        supersedes=4)]
    assert fold(events, D(2022, 12, 31))["status"] == "moved_out"
    assert fold(LIFE, D(2022, 12, 31))["status"] == "resident"


def test_correction_of_a_correction_replaces_it():
    events = [
        *LIFE,
        ev(7, "correction", D(2025, 2, 1), payload={"void": True}, supersedes=6),
        ev(8, "correction", D(2025, 3, 1), payload={"event_date": "2024-12-30"}, supersedes=7),
    ]
    state_30 = fold(events, D(2024, 12, 30))
    assert state_30["status"] == "dead"
    assert fold(events, D(2024, 12, 29))["status"] == "resident"


def test_second_correction_starts_from_the_event_as_the_first_left_it():
    # the move out was in 2022-12 (first correction), and then it was to unit 13 (second):
    # the second names only the unit, so the date stays as the first corrected it
    events = [*LIFE,
              ev(7, "correction", D(2025, 2, 1), payload={"event_date": "2022-12-01"},
                 supersedes=4),
              ev(8, "correction", D(2025, 3, 1), payload={"org_id": 13}, supersedes=7)]
    move_out = next(e for e in effective_events(events) if e.event_type == "move_out")
    assert (move_out.event_date, move_out.org_id) == (D(2022, 12, 1), 13)


def test_voiding_a_correction_restores_the_event_as_it_stood_before_it():
    events = [*LIFE,
              ev(7, "correction", D(2025, 2, 1), payload={"event_date": "2022-12-01"},
                 supersedes=4),
              ev(8, "correction", D(2025, 3, 1), payload={"org_id": 13}, supersedes=7),
              ev(9, "correction", D(2025, 4, 1), payload={"void": True}, supersedes=8)]
    move_out = next(e for e in effective_events(events) if e.event_type == "move_out")
    assert (move_out.event_date, move_out.org_id) == (D(2022, 12, 1), 11)
    # and voiding the first correction as well brings back the recorded event
    events.append(ev(10, "correction", D(2025, 5, 1), payload={"void": True}, supersedes=9))
    events.append(ev(11, "correction", D(2025, 5, 2), payload={"void": True}, supersedes=10))
    assert fold(events, D(2022, 12, 31))["status"] == "moved_out"  # 10 undid 9
    move_out = next(e for e in effective_events(events) if e.event_type == "move_out")
    assert (move_out.event_date, move_out.org_id) == (D(2022, 12, 1), 11)  # 11 undid 10


def test_voiding_the_void_of_an_event_brings_it_back():
    events = [*LIFE, ev(7, "correction", D(2025, 2, 1), payload={"void": True}, supersedes=6),
              ev(8, "correction", D(2025, 3, 1), payload={"void": True}, supersedes=7)]
    assert fold(events)["status"] == "dead"


def test_field_correction_sets_ledger_fields_from_its_date():
    events = [*LIFE[:2], ev(7, "correction", D(2021, 9, 1),
                            payload={"fields": {"hukou_type": {"old": "rural", "new": "urban"},
                                                "name": {"old": "张小明", "new": "张晓明"}}})]
    assert fold(events, D(2021, 8, 31))["hukou_type"] == "rural"
    assert fold(events, D(2021, 9, 1))["hukou_type"] == "urban"


def test_payload_may_set_household_on_marriage():
    events = [LIFE[0], ev(2, "marriage", D(2021, 5, 1),
                          payload={"spouse_id": 9, "household_id": 8, "relationship": "spouse"})]
    state = fold(events)
    assert (state["household_id"], state["relationship"]) == (8, "spouse")


def test_fold_many_streams_people():
    stream = [ev(1, "enrol", D(2020, 1, 1), person=1), ev(2, "birth", D(2021, 1, 1), person=2),
              ev(3, "death", D(2022, 1, 1), person=2), ev(4, "enrol", D(2023, 1, 1), person=3)]
    states = dict(fold_many(stream, as_of=D(2021, 6, 1)))
    assert set(states) == {1, 2}
    assert states[2]["status"] == "resident"
    assert dict(fold_many(stream))[2]["status"] == "dead"
