"""Demo data for reconciliation: a field-check survey of a few villages, the three
department lists and a year of cross-checks, made from the demo county's own register
with known perturbations (:mod:`renkou.reconciliation.samples`). Idempotent."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from django.utils.translation import gettext as _

from renkou.core import clock
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.models import Person

from .crosschecks import create_crosscheck, record_feedback
from .departments import import_list
from .models import Source, Survey
from .samples import make_sample_files
from .survey import import_survey

DEMO_SURVEY_NAME = "示范县入户核查（演示）"
DEMO_VILLAGES = 6


def prepare_demo(stdout) -> None:
    """Import a demo survey and department lists once; later calls do nothing."""
    if Survey.objects.filter(name=DEMO_SURVEY_NAME).exists() or not Person.objects.exists():
        return
    started = time.perf_counter()
    today = clock.today()
    with tempfile.TemporaryDirectory(prefix="renkou-reconciliation-") as folder:
        truth = make_sample_files(folder, villages=DEMO_VILLAGES, seed=1, survey_date=today)
        start = dt.date.fromisoformat(truth["reference_start"])
        import_survey(Path(folder) / "survey.xlsx", name=DEMO_SURVEY_NAME, survey_date=today,
                      reference_start=start)
        for source in (Source.HOSPITAL, Source.POLICE, Source.CIVIL):
            import_list(Path(folder) / f"{source}.xlsx", source, period_start=start,
                        period_end=today)
    _past_crosschecks(today)
    stdout.write(_("reconciliation demo: a survey of %(n)s villages, three department lists "
                   "and cross-checks (%(s).1f s)")
                 % {"n": DEMO_VILLAGES, "s": time.perf_counter() - started})


def _past_crosschecks(today: dt.date) -> None:
    """Cross-checks sent by the townships over the past year, most answered in time."""
    rng = random.Random(7)
    townships = list(OrgUnit.objects.filter(level=OrgLevel.TOWNSHIP).order_by("code")[:8])
    areas = ("330122", "350121", "340121", "430121")
    for i in range(24):
        org = townships[i % len(townships)] if townships else OrgUnit.objects.first()
        sent = today - dt.timedelta(days=rng.randint(35, 330))
        check = create_crosscheck(org=org, target_area_code=rng.choice(areas),
                                  subject=f"流动人口婚育情况协查 {i + 1:02d}", sent_date=sent,
                                  due_date=sent + dt.timedelta(days=30))
        roll = rng.random()
        if roll < 0.7:
            reply = min(sent + dt.timedelta(days=rng.randint(3, 30)), today)
            record_feedback(check, feedback_date=reply, result="已核实，信息一致")
        elif roll < 0.85:
            reply = min(sent + dt.timedelta(days=rng.randint(31, 60)), today)
            if reply > check.due_date:
                record_feedback(check, feedback_date=reply, result="已核实（逾期反馈）")
