"""Demo preparation: candidate duplicate pairs for the review queue of the demo county."""

from __future__ import annotations

import time

from django.utils.translation import gettext as _

from .models import DetectionRun


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
