"""The demo county after the demo's own ledger stories (a voided correction, a correction
of a correction, a voided birth) and merge: the register agrees with its ledger, and an
independent recount of the population from ``export persons --as-of`` agrees with the
statistics engine's POP."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from renkou.accounts.services import ensure_demo_users
from renkou.analytics import services as analytics
from renkou.analytics import store
from renkou.core import clock, registry
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.exporting import export_persons
from renkou.register.models import EventType, LifeEvent, PersonStatus
from renkou.register.verification import verify_register
from renkou.synthetic.service import generate_county

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def test_the_demo_ledger_stories_leave_the_register_true_and_the_statistics_recountable(
        tmp_path, settings):
    settings.RENKOU_ANALYTICS_DIR = str(tmp_path / "analytics")
    generate_county(2_500, seed=5, defects=0.03)
    ensure_demo_users()
    for step in registry.demo_steps():
        if step.app in ("renkou.register", "renkou.dedupe"):
            step.run(io.StringIO())
    corrections = LifeEvent.objects.filter(event_type=EventType.CORRECTION)
    assert corrections.filter(supersedes__event_type=EventType.CORRECTION).count() >= 2
    assert corrections.filter(payload__void=True,
                              supersedes__event_type=EventType.BIRTH).exists()
    assert LifeEvent.objects.filter(event_type=EventType.MERGE).exists()
    assert verify_register() == []

    analytics.refresh()
    county = OrgUnit.objects.get(level=OrgLevel.COUNTY)
    year = clock.today().year - 1
    out = tmp_path / "persons.csv"
    export_persons(out, as_of=dt.date(year, 12, 31))
    with open(out, encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == PersonStatus.RESIDENT]
    con = store.connect()
    try:
        pop = dict(con.execute(
            "SELECT sex, value FROM indicator_values WHERE indicator = 'POP' AND period = ? "
            "AND org_code = ? AND age_group = '' AND birth_order = '' AND urban_rural = ''",
            [str(year), county.code]).fetchall())
    finally:
        con.close()
    assert pop[""] == len(rows)
    assert pop["F"] == sum(r["sex"] == "F" for r in rows)
