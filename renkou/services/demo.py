"""The demo's service records (``renkou demo``): a year of the stations' work, and the
people the issue's walk needs.

A health worker is placed at each township station of the demo county (the demo user
``health`` at the demo village's township; one account per other station, with no
password: they only record), and :func:`~renkou.services.synthetic.generate_service_records`
records the last year of their work through the services. Then, at the station of
``health``, in the demo village (where the demo clerk works, so she sees that a service
was received and nothing more):

- a married woman who asked for the free pre-pregnancy check 24 days ago, gave her
  service, follow-up and statistics consents, and was checked 20 days ago (assessed at
  risk): her risk review is due within the fortnight, her pregnancy-outcome follow-up
  later — she is on the health worker's follow-up list, and withdrawing her follow-up
  consent takes her off it;
- a woman checked 45 days ago who withdrew her follow-up consent 12 days ago: her
  follow-up was cancelled, she is on no list;
- the health worker of another township read that woman's record with a reason (she
  came to his station): a break-the-glass read, in the access log for the auditor.

Idempotent: does nothing when there are encounters already.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import clock
from renkou.core.audit import acting
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.models import MaritalStatus, Person, PersonStatus, Sex

from . import services
from .models import ConsentMethod, Encounter, Purpose
from .synthetic import generate_service_records, recording_days

__all__ = ["prepare_demo", "station_users", "DEMO_SEED", "BREAK_GLASS_REASON"]

DEMO_SEED = 16
BREAK_GLASS_REASON = "本人到我所就诊，需了解其孕前优生健康检查结果"


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def station_users(health) -> dict[int, object]:
    """A health worker at each township station of the county of ``health`` (the demo
    user, at its own station): station pk → user. The others are made once, with no
    password (``health_<township digits>``)."""
    from renkou.accounts.models import User
    from renkou.accounts.roles import Role

    county = health.org.path.split("/")[0]
    stations = OrgUnit.objects.filter(level=OrgLevel.TOWNSHIP, path__startswith=county + "/")
    users: dict[int, object] = {}
    for station in stations.order_by("code"):
        if station.pk == health.org_id:
            users[station.pk] = health
            continue
        user = User.objects.filter(role=Role.HEALTH_WORKER, org=station).order_by("pk").first()
        if user is None:
            user = User.objects.create_user(username=f"health_{station.code[6:9]}", password=None,
                                            role=Role.HEALTH_WORKER, org=station,
                                            full_name=f"{station.name}服务所")
        users[station.pk] = user
    return users


def _fresh_women(village: OrgUnit, township: OrgUnit, today: dt.date) -> list[Person]:
    """Two married women aged 21–45 with no pre-pregnancy record nor sharing consent yet,
    registered and living in ``village`` (the clerk's, so that she sees their services
    received) or, when it has too few, elsewhere in ``township``: the village's first."""
    from django.db.models import Case, IntegerField, Q, Value, When

    day = today - dt.timedelta(days=1) if (today.month, today.day) == (2, 29) else today
    young, old = day.replace(year=day.year - 21), day.replace(year=day.year - 45)
    in_village = Q(registered_org__path=village.path) | Q(registered_org__path__startswith=village.path + "/")
    women = (Person.objects.filter(
        status=PersonStatus.RESIDENT, sex=Sex.FEMALE, marital_status=MaritalStatus.MARRIED,
        birth_date__lte=young, birth_date__gt=old, current_org=None,
        registered_org__path__startswith=township.path + "/")
        .exclude(service_consents__service_code="PRE_PREGNANCY")
        .exclude(service_requests__service_code="PRE_PREGNANCY")
        .exclude(service_consents__purpose=Purpose.SHARE)  # the read breaks the glass
        .annotate(here=Case(When(in_village, then=Value(0)), default=Value(1),
                            output_field=IntegerField()))
        .order_by("here", "pk")[:2])
    women = list(women)
    return women if len(women) == 2 else []


def _walk(health, other, village: OrgUnit, today: dt.date) -> dict[str, Person]:
    """The people of the walk (see the module), recorded as they were lived."""
    town = health.org
    women = _fresh_women(village, town, today)
    if not women:
        return {}
    on_list, withdrew = women
    days = {name: today - dt.timedelta(days=n) for name, n in
            (("asked", 24), ("checked", 20), ("withdrew_checked", 45), ("withdrew", 12))}
    with recording_days() as calendar, acting(health):
        calendar.move_to(days["withdrew_checked"])
        consent_kw = {"method": ConsentMethod.PAPER, "org": town, "user": health}
        services.give_consent(withdrew, purpose=Purpose.SERVICE, service_code="PRE_PREGNANCY",
                              given_on=days["withdrew_checked"], **consent_kw)
        follow = services.give_consent(withdrew, purpose=Purpose.FOLLOW_UP,
                                       service_code="PRE_PREGNANCY",
                                       given_on=days["withdrew_checked"], **consent_kw)
        services.record_encounter(
            withdrew, service_code="PRE_PREGNANCY", date=days["withdrew_checked"], org=town,
            provider="刘医生", values={"counselling": True, "history": "既往体健",
                                      "blood_pressure": "116/74", "risk_assessment": "low",
                                      "advice": "孕前三个月起补充叶酸"},
            follow_ups=["pregnancy_outcome"], user=health, via="demo")
        calendar.move_to(days["asked"])
        request = services.request_service(on_list, service_code="PRE_PREGNANCY",
                                           requested_on=days["asked"], org=town, user=health)
        calendar.move_to(days["checked"])
        for purpose, code in ((Purpose.SERVICE, "PRE_PREGNANCY"), (Purpose.FOLLOW_UP, "PRE_PREGNANCY"),
                              (Purpose.STATISTICS, "")):
            services.give_consent(on_list, purpose=purpose, service_code=code,
                                  given_on=days["checked"], information_version=(
                                      "" if code else "个人信息使用知情同意书 2024 版"), **consent_kw)
        services.record_encounter(
            on_list, service_code="PRE_PREGNANCY", date=days["checked"], org=town,
            provider="刘医生", values={
                "counselling": True, "history": "有甲状腺疾病史", "physical_exam": "未见异常",
                "blood_pressure": "124/80", "lab_tests": "甲状腺功能异常",
                "risk_assessment": "high", "advice": "建议到上级医疗机构进一步咨询，孕前补充叶酸"},
            referred=True, referral_to="县妇幼保健计划生育服务中心",
            follow_ups=["risk_review", "pregnancy_outcome"], request=request, user=health,
            via="demo")
        calendar.move_to(days["withdrew"])
        services.withdraw_consent(follow, user=health, note="本人不再希望被随访", via="demo")
    if other is not None:
        with acting(other):
            services.service_record(other, withdrew, reason=BREAK_GLASS_REASON)
    return {"on_list": on_list, "withdrew": withdrew}


def prepare_demo(stdout) -> None:
    if Encounter.objects.exists():
        _say(stdout, _("services demo: service records already present"))
        return
    start = time.perf_counter()
    from renkou.accounts.models import User
    from renkou.accounts.services import ensure_demo_users

    demo = {u for u, _r, _o in ensure_demo_users()}
    health = User.objects.filter(username="health").select_related("org").first() \
        if "health" in demo else None
    clerk = User.objects.filter(username="clerk").select_related("org").first()
    if health is None or health.org is None:
        return
    today = clock.today()
    with transaction.atomic():
        users = station_users(health)
        stations = list(OrgUnit.objects.filter(pk__in=users).order_by("code"))
        report = generate_service_records(seed=DEMO_SEED, stations=stations, health_users=users,
                                          today=today)
        other = next((u for pk, u in users.items() if pk != health.org_id), None)
        village = clerk.org if clerk is not None and clerk.org is not None else health.org
        _walk(health, other, village, today)
    counts = _counts(today)
    _say(stdout, _("services demo: %(consents)s consents (%(withdrawn)s withdrawn, %(expired)s "
                   "expired), %(encounters)s encounters (%(migrants)s of migrants at their "
                   "residence), %(follow_ups)s follow-ups (%(due)s due), %(waiting)s requests "
                   "waiting (%(seconds).1f s)")
         % {**counts, "migrants": report.migrants_served, "seconds": time.perf_counter() - start})


def _counts(today: dt.date) -> dict[str, int]:
    from django.db.models import Count, Q

    from .models import Consent, FollowUp, FollowUpState, RequestState, ServiceRequest

    consents = Consent.objects.aggregate(
        consents=Count("pk"), withdrawn=Count("pk", filter=~Q(withdrawn_on=None)),
        expired=Count("pk", filter=Q(withdrawn_on=None, expires_on__lt=today)))
    follow_ups = FollowUp.objects.aggregate(
        follow_ups=Count("pk"), due=Count("pk", filter=Q(state=FollowUpState.DUE)))
    return {**consents, **follow_ups, "encounters": Encounter.objects.count(),
            "waiting": ServiceRequest.objects.filter(state=RequestState.OPEN).count()}
