"""Put the demo county's benefits into a state the pages can show.

Screens every programme for the latest complete year (counts printed), then, in the
demo clerk's village and township, opens applications and walks them through the
workflow so that each state is present: awaiting village review, awaiting township
review, awaiting notice, on notice (one with an objection), approved with bank
accounts, a paid roster for that year, payments stopped by moves the ledger shows,
and one death: the death of an approved rural-reward recipient is recorded in the
ledger this year (through the register services, as the clerk, logged) and this
year's roster pays through the month of death and stops. That death is the only
write to the register. Idempotent: does nothing when applications already exist.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.utils.translation import gettext as _

from renkou.accounts.services import ensure_demo_users
from renkou.core import clock
from renkou.core.audit import acting
from renkou.register import services as reg
from renkou.register.models import Person

from .eligibility import evaluate
from .models import Application
from .programmes import programmes
from .requalification import requalify
from .rosters import generate_roster, mark_roster_paid
from .workflow import open_applications, open_notice, record_objection, review, set_bank_account

__all__ = ["prepare_demo"]


def _walk(users, apps, year: int, today: dt.date) -> None:
    """Spread ``apps`` (one programme) over the workflow's states."""
    clerk, township, county = users
    n = len(apps)
    if n == 0:
        return
    # the last ones go all the way: approved
    for i, app in enumerate(apps):
        if i == 0:
            continue  # awaiting village review
        review(clerk, app, approve=True, comment="入户核实，材料齐全")
        if i == 1:
            continue  # awaiting township review
        review(township, app, approve=True, comment="审核通过")
    waiting = [a for a in apps[2:]]
    if not waiting:
        return
    awaiting_notice, running, ended = waiting[:1], waiting[1:3], waiting[3:]
    del awaiting_notice
    if running:
        notice = open_notice(township, apps[0].programme, running, starts_on=today)
        record_objection(clerk, notice, running[-1], "群众反映其另有一子在外地（待核实）",
                         today)
    if ended:
        open_notice(township, apps[0].programme, ended,
                    starts_on=today - dt.timedelta(days=10), days=7)
        for app in ended:
            review(county, app, approve=True, comment="同意")
            set_bank_account(clerk, app, payee_name=app.payee_name or app.person.name,
                             bank_name="农村商业银行",
                             bank_account=f"62303{app.person_id:011d}")


def _death_stops_a_payment(clerk, county, today: dt.date, stdout) -> None:
    """Record, as the clerk would, the death of one approved rural-reward recipient this
    year, then generate this year's roster: it pays through the month of death and stops."""
    app = (Application.objects.filter(programme="rural-reward", state="approved")
           .select_related("person").order_by("pk").first())
    if app is None or app.person.status != "resident":
        return
    day = max(today - dt.timedelta(days=30), dt.date(today.year, 1, 1))
    reg.record_death(app.person, event_date=day, user=clerk)
    roster = generate_roster(county, "rural-reward", str(today.year))
    app.refresh_from_db()
    _say(stdout, _("benefits demo: the death of recipient %(person)s on %(day)s; application "
                   "%(app)s %(state)s, roster %(roster)s")
                 % {"person": app.person_id, "day": day, "app": app.pk,
                    "state": app.get_state_display(), "roster": roster.pk if roster else "—"})


def prepare_demo(stdout) -> None:
    if Application.objects.exists():
        _say(stdout, _("benefits demo: applications already present"))
        return
    start = time.perf_counter()
    today = clock.today()
    year = today.year - 1
    demo = {u: r for u, r, _o in ensure_demo_users()}
    from renkou.accounts.models import User

    users = [User.objects.select_related("org").get(username=name)
             for name in ("clerk", "township", "county") if name in demo]
    if len(users) < 3:
        _say(stdout, _("benefits demo: demo users missing; nothing prepared"))
        return
    clerk, township, county = users
    with acting(clerk, channel="cli"), transaction.atomic():
        for code, prog in programmes().items():
            found = [r for r in evaluate(prog, year) if r.eligible]
            _say(stdout, _("benefits demo: %(programme)s %(year)s: %(n)s eligible")
                         % {"programme": prog.label, "year": year, "n": f"{len(found):,}"})
            local = [r for r in found if r.org_id == clerk.org_id]
            # persons who died or left (in that year or since) go last, so that they are
            # approved and the roster or the requalification stops their payments
            ids = Person.objects.filter(pk__in=[r.person_id for r in local]).values("pk")
            left = {r.person_id for r in evaluate(prog, today.year, persons=ids) if r.left_on}
            left |= {r.person_id for r in local if r.left_on}
            local.sort(key=lambda r: (r.person_id in left, r.person_id))
            picked = [r.person_id for r in local[:6] + [r for r in local[6:] if r.person_id in left][-2:]]
            if not picked:
                continue
            apps = open_applications(clerk, code, year, picked)
            apps.sort(key=lambda a: (a.person_id in left, a.pk))
            _walk((clerk, township, county), apps, year, today)
        for code, prog in programmes().items():
            if not Application.objects.filter(programme=code, state="approved").exists():
                continue
            if prog.period == "year":
                roster = generate_roster(county, code, str(year))
                if roster is not None:
                    mark_roster_paid(county, roster, dt.date(year, 12, 20))
            else:
                for month in (3, 12):
                    generate_roster(county, code, f"{year}-{month:02d}")
        _death_stops_a_payment(clerk, county, today, stdout)
        for code in programmes():
            if Application.objects.filter(programme=code, state="approved").exists():
                report = requalify(county, code, today.year)
                _say(stdout, _("benefits demo: requalification %(code)s %(year)s: %(ok)s "
                               "confirmed, %(suspended)s suspended, %(stopped)s stopped")
                             % {"code": code, "year": today.year, "ok": report.confirmed,
                                "suspended": len(report.suspended),
                                "stopped": len(report.stopped)})
    _say(stdout, _("benefits demo: %(n)s applications in %(s).1f s")
                 % {"n": Application.objects.count(), "s": time.perf_counter() - start})


def _say(stdout, message: str) -> None:
    """One line of the demo's report, on a plain stream or a command's stdout alike."""
    stdout.write(message if message.endswith("\n") else message + "\n")
