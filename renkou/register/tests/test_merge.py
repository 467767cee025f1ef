"""The merge event (合并重复): a duplicate record folded to ``merged``, and its undoing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from renkou.register import services
from renkou.register.ledger import EventRecord, fold
from renkou.register.models import EventType, HukouType, LifeEvent, PersonStatus, Sex


def _duplicate(r):
    return services.enrol_person(name="张小明", sex=Sex.MALE, birth_date=dt.date(1990, 3, 7),
                                 org=r.community, event_date=dt.date(2021, 6, 1),
                                 hukou_type=HukouType.URBAN)


def _state(person):
    return fold(EventRecord(e.pk, e.person_id, e.event_type, e.event_date, e.org_id, e.payload,
                            e.supersedes_id) for e in LifeEvent.objects.filter(person=person))


def test_merge_then_unmerge_restores_the_record(small_register, officer):
    r = small_register
    dup = _duplicate(r)
    before = _state(dup)
    event = services.record_merge(dup, r.zxm, officer, reason="同一人")
    dup.refresh_from_db()
    assert dup.status == PersonStatus.MERGED
    assert _state(dup)["merged_into_id"] == r.zxm.pk
    assert event.payload["kept_person_id"] == r.zxm.pk
    assert services.effective_merge_event(dup) == event
    r.zxm.refresh_from_db()
    assert r.zxm.status == PersonStatus.RESIDENT  # the kept record is untouched

    services.void_event(event, reason="不是同一人", user=officer)
    dup.refresh_from_db()
    assert dup.status == PersonStatus.RESIDENT
    assert _state(dup) == before
    assert services.effective_merge_event(dup) is None
    kinds = list(LifeEvent.objects.filter(person=dup).order_by("pk").values_list("event_type", flat=True))
    assert kinds == [EventType.ENROL, EventType.MERGE, EventType.CORRECTION]


def test_merge_refuses_itself_and_merged_records(small_register, officer):
    r = small_register
    dup = _duplicate(r)
    with pytest.raises(ValidationError):
        services.record_merge(dup, dup, officer)
    services.record_merge(dup, r.zxm, officer)
    with pytest.raises(ValidationError):
        services.record_merge(dup, r.zxm, officer)
    with pytest.raises(ValidationError):
        services.record_merge(r.mother, dup, officer)
    dup.refresh_from_db()
    with pytest.raises(ValidationError):  # a merged record records no further life events
        services.record_death(dup, event_date=dt.date(2024, 1, 1))
    with pytest.raises(ValidationError):
        services.record_move_in(dup, org=r.village, event_date=dt.date(2024, 1, 1))


def test_fold_of_a_merge_event():
    events = [EventRecord(1, 1, "enrol", dt.date(2020, 1, 1), 10, {}),
              EventRecord(2, 1, "merge", dt.date(2024, 1, 1), 10, {"kept_person_id": 7})]
    assert fold(events)["status"] == "merged"
    assert fold(events)["merged_into_id"] == 7
    assert fold(events, dt.date(2023, 12, 31))["status"] == "resident"
    voided = [*events, EventRecord(3, 1, "correction", dt.date(2024, 2, 1), 10, {"void": True}, 2)]
    assert fold(voided) == fold(events[:1])


def test_person_page_of_a_merged_record_links_to_the_kept_one(small_register, officer, client):
    r = small_register
    dup = _duplicate(r)
    services.record_merge(dup, r.zxm, officer, reason="同一人")
    client.force_login(officer)
    page = client.get(f"/persons/{dup.pk}/").content.decode()
    assert "已作为重复记录合并到" in page and f'href="/persons/{r.zxm.pk}/"' in page
    assert "已作为重复记录合并到" not in client.get(f"/persons/{r.zxm.pk}/").content.decode()


def test_a_merged_duplicate_counts_nowhere_at_any_date(small_register, officer, tmp_path):
    """One rule over history: the export now, the export as of a date before the merge and
    the scorecard's persons all leave the merged duplicate out (as the statistics do)."""
    import csv

    from renkou.quality.relations import load_register
    from renkou.register.exporting import export_persons

    r = small_register
    dup = _duplicate(r)
    services.record_merge(dup, r.zxm, officer, reason="同一人")
    for as_of in (None, dt.date(2022, 1, 1)):
        out = tmp_path / f"persons-{as_of}.csv"
        export_persons(out, as_of=as_of)
        with open(out, encoding="utf-8-sig") as f:
            ids = {int(row["person_id"]) for row in csv.DictReader(f)}
        assert dup.pk not in ids and r.zxm.pk in ids, as_of
    loaded = load_register()
    persons = loaded.con.execute("SELECT persons FROM unit WHERE org_id = ?",
                                 [r.county.pk]).fetchone()[0]
    assert persons == 4  # 张晓明, 李秀英, 王芳, 赵强: not the duplicate
