"""Demo preparation: the ledger stories a clerk meets, recorded on the demo county so its
pages show them — a correction of a correction, a voided correction, a voided birth —
each through the services the forms use, by the demo village clerk.

Idempotent: the stories are recorded once (their reasons mark them), and the register
still agrees with its ledger afterwards (``renkou register verify``).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from renkou.accounts.models import User
from renkou.core import clock

from . import services
from .models import EventType, LifeEvent, Person, PersonStatus, Sex

#: Marks the demo's own corrections (so a second run finds them and does nothing).
MARK = "（演示）"


@transaction.atomic
def prepare_demo(stdout) -> None:
    if LifeEvent.objects.filter(event_type=EventType.CORRECTION,
                                payload__reason__endswith=MARK).exists():
        return
    clerk = User.objects.filter(username="clerk").first()
    if clerk is None or clerk.org is None:
        return
    residents = (Person.objects.filter(registered_org=clerk.org, status=PersonStatus.RESIDENT)
                 .order_by("pk"))
    today = clock.today()
    stories = 0
    # a death whose date was "corrected" by mistake, and that correction voided: the death
    # stands as first recorded
    mover = residents.filter(birth_date__lt=today - dt.timedelta(days=365 * 30)).first()
    if mover is not None:
        move = services.record_death(mover, event_date=today - dt.timedelta(days=40), user=clerk)
        first = services.correct_event(move, reason="死亡日期登记错误" + MARK,
                                       event_date=today - dt.timedelta(days=45), user=clerk)
        services.void_event(first, reason="原日期无误，撤销更正" + MARK, user=clerk)
        stories += 1
    # a birth registered by mistake (the child is registered in another county): voided
    mother = residents.filter(sex=Sex.FEMALE, birth_date__lt=today - dt.timedelta(days=365 * 22),
                              birth_date__gt=today - dt.timedelta(days=365 * 40)).last()
    if mother is not None:
        child = services.record_birth(mother=mother, name=mother.name[0] + "演示",
                                      sex=Sex.FEMALE, birth_date=today - dt.timedelta(days=20),
                                      user=clerk)
        birth = child.events.get(event_type=EventType.BIRTH)
        services.void_event(birth, reason="已在外县登记出生，此处重复" + MARK, user=clerk)
        stories += 1
    # a death recorded a week late: its date corrected twice (the second only the unit)
    late = residents.exclude(pk=getattr(mover, "pk", None)).filter(
        birth_date__lt=today - dt.timedelta(days=365 * 70)).first()
    if late is not None:
        death = services.record_death(late, event_date=today - dt.timedelta(days=10), user=clerk)
        fixed = services.correct_event(death, reason="死亡日期应为一周前" + MARK,
                                       event_date=today - dt.timedelta(days=17), user=clerk)
        services.correct_event(fixed, reason="死亡地点登记单位有误" + MARK, org=clerk.org,
                               user=clerk)
        stories += 1
    stdout.write(_("register: %(n)s corrected ledger stories recorded in %(unit)s")
                 % {"n": stories, "unit": clerk.org.name} + "\n")
