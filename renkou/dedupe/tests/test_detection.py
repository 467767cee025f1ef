"""Duplicate detection on a hand-built register and on a small generated county."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.management import call_command

from renkou.core.models import AuditEntry
from renkou.dedupe import services
from renkou.dedupe.bench import score, true_pairs
from renkou.dedupe.models import CandidatePair, PairStatus
from renkou.register.models import EventType, LifeEvent, Person, PersonStatus


def _pair(a, b) -> CandidatePair | None:
    lo, hi = sorted((a.pk, b.pk))
    return CandidatePair.objects.filter(person_a_id=lo, person_b_id=hi).first()


def test_homophone_and_swapped_date_duplicates_are_found(dup_register):
    r = dup_register
    run = services.run_detection()
    assert run.persons == Person.objects.count()
    zhang = _pair(r.zxm, r.zhang_dup)
    assert zhang is not None and zhang.probability >= services.DEFAULT_THRESHOLD
    assert zhang.explanation["name"]["level"] == "same_pinyin"
    assert zhang.explanation["birth_date"]["level"] == "exact"
    assert zhang.explanation["id_number"]["level"] == "one_missing_adult"
    assert zhang.explanation["org"]["level"] == "other"
    wang = _pair(r.wang, r.wang_dup)
    assert wang is not None and wang.probability >= services.REVIEW_FLOOR
    assert wang.explanation["birth_date"]["level"] == "day_month_swapped"
    assert wang.explanation["name"]["level"] == "exact"


def test_different_valid_id_numbers_are_never_paired(dup_register):
    r = dup_register
    services.run_detection()
    assert _pair(r.mother, r.li_other) is None
    assert not CandidatePair.objects.filter(
        person_a__id_number__isnull=False, person_b__id_number__isnull=False).exists()


def test_a_pair_judged_different_is_never_proposed_again(dup_register, officer):
    r = dup_register
    services.run_detection()
    pair = _pair(r.zxm, r.zhang_dup)
    services.decide_different(pair, officer)
    second = services.run_detection()
    assert CandidatePair.objects.filter(person_a=pair.person_a, person_b=pair.person_b).count() == 1
    pair.refresh_from_db()
    assert pair.status == PairStatus.DIFFERENT and pair.run_id != second.pk
    assert _pair(r.wang, r.wang_dup).run_id == second.pk  # pending pairs are re-scored


def test_merge_then_unmerge(dup_register, officer):
    r = dup_register
    services.run_detection()
    pair = _pair(r.zxm, r.zhang_dup)
    services.decide_same(pair, r.zxm, officer, reason="同一人")
    r.zhang_dup.refresh_from_db()
    assert r.zhang_dup.status == PersonStatus.MERGED
    pair.refresh_from_db()
    assert pair.status == PairStatus.SAME and pair.merge_event.payload["kept_person_id"] == r.zxm.pk
    # merged records take no part in later runs; the decided pair stays
    services.run_detection()
    assert not CandidatePair.objects.filter(status=PairStatus.PENDING, person_b=r.zhang_dup).exists()
    services.undo_merge(pair, officer, reason="误合并")
    r.zhang_dup.refresh_from_db()
    assert r.zhang_dup.status == PersonStatus.RESIDENT
    pair.refresh_from_db()
    assert pair.status == PairStatus.PENDING and pair.merge_event is None
    kinds = list(LifeEvent.objects.filter(person=r.zhang_dup).order_by("pk")
                 .values_list("event_type", flat=True))
    assert kinds == [EventType.ENROL, EventType.MERGE, EventType.CORRECTION]


def test_export_columns_and_log(dup_register, officer, tmp_path):
    r = dup_register
    services.run_detection()
    out = tmp_path / "pairs.csv"
    n = services.export_pairs(out, user=officer)
    with open(out, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["person_a", "person_b", "source_ref_a", "source_ref_b", "probability"]
    assert rows[0][5:] == ["match_weight", "status", "name", "id_number", "birth_date", "sex",
                           "mother_name", "father_name", "org"]
    assert len(rows) == n + 1
    lo, hi = sorted((r.zxm.pk, r.zhang_dup.pk))
    assert [str(lo), str(hi)] in [row[:2] for row in rows[1:]]
    assert all(float(row[4]) >= services.DEFAULT_THRESHOLD for row in rows[1:])
    entry = AuditEntry.objects.filter(action="export", object_type="duplicate_pairs").get()
    assert entry.details["rows"] == n and entry.username == "officer"


def test_duplicate_counts_by_org(dup_register, officer):
    r = dup_register
    services.run_detection()
    counts = services.duplicate_counts_by_org()
    expected = CandidatePair.objects.filter(probability__gte=services.DEFAULT_THRESHOLD).count()
    assert sum(counts.values()) == expected
    assert counts[r.community.pk] >= 1  # 张小明, the later record, lives in the community
    services.decide_different(_pair(r.zxm, r.zhang_dup), officer)
    assert sum(services.duplicate_counts_by_org().values()) == expected - 1


def test_scoped_run_and_command(dup_register, officer, tmp_path):
    r = dup_register
    call_command("dedupe", "run", "--org", r.street.code, "--user", "officer")
    # only the street's persons were compared: the cross-township 张 pair is not there
    assert _pair(r.zxm, r.zhang_dup) is None
    assert _pair(r.wang, r.wang_dup) is not None
    out = tmp_path / "x.csv"
    call_command("dedupe", "export", "--out", str(out), "--threshold", "0.5", "--user", "officer")
    assert out.read_text(encoding="utf-8").startswith("person_a,person_b,source_ref_a")


def test_generated_county_recall_and_precision(db, tmp_path):
    from renkou.synthetic.service import generate_county

    generate_county(3_000, seed=3, end=dt.date(2026, 6, 30), defects=0.05,
                    truth_path=tmp_path / "truth.csv")
    services.run_detection()
    found = set(CandidatePair.objects.filter(probability__gte=services.DEFAULT_THRESHOLD)
                .values_list("person_a_id", "person_b_id"))
    s = score(found, true_pairs(tmp_path / "truth.csv"))
    assert s["true"] >= 50
    assert s["precision"] >= 0.9
    assert s["recall"] >= 0.85


@pytest.mark.date_sensitive
def test_prepare_demo_is_idempotent(dup_register):
    import io

    from renkou.dedupe.demo import prepare_demo
    from renkou.dedupe.models import DetectionRun

    out = io.StringIO()
    prepare_demo(out)
    prepare_demo(out)
    assert DetectionRun.objects.count() == 1
    assert CandidatePair.objects.exists()
