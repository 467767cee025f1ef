"""Demo preparation: candidate duplicate pairs for the review queue of the demo county."""

from __future__ import annotations

import time

from django.utils.translation import gettext as _

from .models import CandidatePair, DetectionRun, PairStatus


def prepare_demo(stdout) -> None:
    """Run duplicate detection over the whole register once (about 10 s for the
    200,000-person demo county with ``--defects 0.01``); later calls find the finished
    run and do nothing."""
    from .services import run_detection

    if DetectionRun.objects.filter(finished_at__isnull=False, org__isnull=True).exists():
        return
    started = time.perf_counter()
    run = run_detection()
    stdout.write(_("duplicate detection: %(n)s candidate pairs queued for review (%(s).1f s)")
                 % {"n": f"{run.stored_pairs:,}", "s": time.perf_counter() - started})
    _merge_one(stdout)


def _merge_one(stdout) -> None:
    """The county officer confirms the surest pair, so the demo shows a merged record
    (the newer one merged into the older; undo it on the pair's page)."""
    from renkou.accounts.models import User

    from .services import decide_same

    officer = User.objects.filter(username="county").first()
    pair = (CandidatePair.objects.filter(status=PairStatus.PENDING, probability__gte=0.99)
            .select_related("person_a", "person_b").order_by("-probability", "pk").first())
    if officer is None or pair is None:
        return
    kept = min(pair.person_a, pair.person_b, key=lambda p: p.pk)
    decide_same(pair, kept, officer, reason="演示：同一人重复登记")
    stdout.write(_("duplicate detection: one pair confirmed and merged for the demo") + "\n")
