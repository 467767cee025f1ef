"""The review queue and the pair page: scoping, logging, merge and un-merge from the page."""

from __future__ import annotations

from django.urls import reverse

from renkou.core.models import AuditEntry
from renkou.dedupe import services
from renkou.dedupe.models import CandidatePair, PairStatus
from renkou.register.models import PersonStatus

from .conftest import Role, make_user


def _pair(a, b) -> CandidatePair:
    lo, hi = sorted((a.pk, b.pk))
    return CandidatePair.objects.get(person_a_id=lo, person_b_id=hi)


def test_queue_in_chinese_with_masked_ids(dup_register, officer_client):
    r = dup_register
    services.run_detection()
    response = officer_client.get(reverse("dedupe:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "疑似重复" in html
    assert r.zhang_dup.name in html
    assert r.zxm.id_number not in html  # masked in lists
    assert r.zxm.id_number[:6] + "********" in html


def test_queue_is_scoped_to_the_subtree(dup_register, client):
    r = dup_register
    services.run_detection()
    wang = _pair(r.wang, r.wang_dup)  # both in the street's community
    zhang = _pair(r.zxm, r.zhang_dup)  # across the township and the street
    street = make_user("street", Role.TOWNSHIP_OFFICER, r.street)
    town = make_user("town", Role.TOWNSHIP_OFFICER, r.town)
    assert set(services.review_queue(street)) == {wang}
    assert set(services.review_queue(town)) == set()
    client.force_login(town)
    assert client.get(reverse("dedupe:pair", args=[wang.pk])).status_code == 404
    assert client.get(reverse("dedupe:pair", args=[zhang.pk])).status_code == 404
    client.force_login(street)
    assert client.get(reverse("dedupe:pair", args=[wang.pk])).status_code == 200
    clerk = make_user("clerk", Role.VILLAGE_CLERK, r.community)
    client.force_login(clerk)
    assert client.get(reverse("dedupe:index")).status_code == 403


def test_pair_page_logs_both_persons_and_merges(dup_register, officer_client):
    r = dup_register
    services.run_detection()
    pair = _pair(r.zxm, r.zhang_dup)
    url = reverse("dedupe:pair", args=[pair.pk])
    html = officer_client.get(url).content.decode()
    assert "同音" in html or "拼音相同" in html
    views = set(AuditEntry.objects.filter(action="view", object_type="person")
                .values_list("object_id", flat=True))
    assert {str(r.zxm.pk), str(r.zhang_dup.pk)} <= views

    decide = reverse("dedupe:decide", args=[pair.pk])
    response = officer_client.post(decide, {"action": "same", "kept": r.zxm.pk, "reason": "同一人"})
    assert response.status_code == 302
    r.zhang_dup.refresh_from_db()
    assert r.zhang_dup.status == PersonStatus.MERGED
    officer_client.post(decide, {"action": "unmerge", "reason": "误合并"})
    r.zhang_dup.refresh_from_db()
    assert r.zhang_dup.status == PersonStatus.RESIDENT
    pair.refresh_from_db()
    assert pair.status == PairStatus.PENDING


def test_different_from_the_page(dup_register, officer_client):
    r = dup_register
    services.run_detection()
    pair = _pair(r.wang, r.wang_dup)
    officer_client.post(reverse("dedupe:decide", args=[pair.pk]), {"action": "different"})
    pair.refresh_from_db()
    assert pair.status == PairStatus.DIFFERENT
    assert officer_client.get(reverse("dedupe:decide", args=[pair.pk])).status_code == 405
