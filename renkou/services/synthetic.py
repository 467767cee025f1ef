"""Service records of a synthetic county (服务记录): a year of the stations' work.

:func:`generate_service_records` writes, for the township stations it is given, what
their health workers would have recorded over the last year — every row through
:mod:`renkou.services.services`, so that every rule of the service records holds of the
result as of any page (no encounter without the person's active service consent on its
day, no follow-up without her follow-up consent, a withdrawal cancels her follow-ups):

- **requests** (服务需求): most encounters answer one, asked for a few days before; some
  requests are still waiting (asked in the last weeks), some were withdrawn by the person,
  a few referred elsewhere;
- **consents**: the service consent on the day of the service, on a signed paper form,
  electronically or verbally before a witness; some with a six-month expiry (expired by
  now when given long enough ago), a few withdrawn later; a follow-up consent from most
  people offered a follow-up, some withdrawn later (her follow-ups are then cancelled); a
  consent to anonymous statistics from most people; a sharing consent from some inflow
  migrants (with the offices of the county) and from some people living away from their
  township of registration (with that township);
- **encounters** of every service in the catalogue, sized to the stations' population
  (about 11 a year per 1,000 residents): free pre-pregnancy checks of married couples aged
  20–45 (both partners, sometimes one; about 15 % assessed at risk, about 8 % referred),
  premarital checks of single people aged 20–35, screening of women aged 35–64, contraceptive
  counselling with the supplies the person chose (any, or none), maternal visits before
  and after a birth the register holds, child health of children aged 0–6 (some seen
  twice), psychological counselling; an office's own services get a few encounters with
  plain values. Inflow migrants (a current inflow spell) are among the people served, at
  the station of their residence (``migrant_at_residence``);
- **follow-ups** only for people who gave follow-up consent: the pregnancy-outcome
  follow-up of some women checked before a pregnancy, the review of a risk found; most of
  those due by now done or declined on or after their day, some still open (overdue).

History is recorded as it was lived. The services read "today" from
:mod:`renkou.core.clock` (a withdrawal is dated today, a follow-up is closed today, an
encounter needs a consent active today), so while this history is written that clock
reads the day being recorded (:func:`recording_days`), from a year ago up to ``today``,
never later; the process's own clock is not moved (the access log's times say truthfully
when the history was written). Deterministic: ``random.Random(seed)`` draws everything
before the first row is written, from persons listed in a fixed order; the same county
and seed give the same records.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from renkou.core import clock
from renkou.core.audit import acting
from renkou.orgunits.models import OrgUnit
from renkou.register.models import MaritalStatus, Person, PersonStatus, Relationship, Sex

from . import services
from .catalogue import Service
from .catalogue import services as catalogue
from .models import (
    Consent,
    ConsentMethod,
    Encounter,
    FollowUp,
    FollowUpState,
    PlaceKind,
    Purpose,
    RequestState,
    ServiceRequest,
)

__all__ = ["ServiceRecordsReport", "RATES", "generate_service_records", "recording_days"]

#: Encounters a year per 1,000 residents of the stations, by service (a pre-pregnancy
#: check counts couples); at least :data:`AT_LEAST` of each on a small county.
RATES = {"PRE_PREGNANCY": 1.6, "PREMARITAL": 0.8, "SCREENING": 2.2,
         "CONTRACEPTIVE_COUNSELLING": 1.4, "MATERNAL_VISIT": 0.8, "CHILD_HEALTH": 2.4,
         "PSYCHOLOGICAL_COUNSELLING": 0.3}
#: An office's own services (not in :data:`RATES`).
OTHER_RATE = 0.2
AT_LEAST = 4
#: Share of the people served who are current inflow migrants (when there are any).
MIGRANT_SHARE = 0.08

#: How consents are given (paper, electronic, verbal before a witness).
METHODS = ((ConsentMethod.PAPER, 0.6), (ConsentMethod.ELECTRONIC, 0.25), (ConsentMethod.VERBAL, 0.15))
#: Share of service consents with an expiry, and the expiry (days after it was given).
EXPIRING, EXPIRY_DAYS = 0.4, 180
#: Of the people offered a follow-up, the share who agree; of those, the share who
#: withdraw later.
FOLLOW_UP_CONSENT, FOLLOW_UP_WITHDRAWN = 0.7, 0.1
SERVICE_WITHDRAWN, STATISTICS_CONSENT, STATISTICS_WITHDRAWN = 0.03, 0.85, 0.02
MIGRANT_SHARING, AWAY_SHARING = 0.4, 0.3
#: Encounters that answer a request (the rest are walk-ins); requests besides: waiting,
#: withdrawn, referred (shares of the encounters).
ANSWERS_REQUEST = 0.85
WAITING, WITHDRAWN, REFERRED = 0.05, 0.03, 0.015
#: A follow-up due by now: done, declined (the rest stay open, overdue).
DONE, DECLINED = 0.72, 0.1

PROVIDERS = ("刘医生", "王医生", "张医生", "陈医生", "李医生", "杨医生", "赵医生", "黄医生",
             "周医生", "吴医生", "徐医生", "孙医生", "马医生", "朱医生", "胡医生", "郭医生")
WITNESSES = ("王护士", "李护士", "张护士", "陈护士", "刘护士", "杨护士")
REFERRAL_TO = "县妇幼保健计划生育服务中心"


@dataclass
class ServiceRecordsReport:
    """What :func:`generate_service_records` wrote."""

    requests: int = 0
    consents: int = 0
    encounters: int = 0
    follow_ups: int = 0
    by_service: dict[str, int] = field(default_factory=dict)
    consents_withdrawn: int = 0
    consents_expired: int = 0
    follow_ups_due: int = 0
    requests_waiting: int = 0
    migrants_served: int = 0
    seconds: float = 0.0


# ------------------------------------------------------------------------- the clock

class _Calendar:
    """The day the services read as today while a history is recorded, and a time of
    that day that moves on a minute with every row."""

    def __init__(self) -> None:
        self.day: dt.date | None = None
        self._minutes = 0

    def move_to(self, day: dt.date) -> None:
        if day != self.day:
            self.day, self._minutes = day, 0

    def today(self) -> dt.date:
        assert self.day is not None
        return self.day

    def now(self) -> dt.datetime:
        assert self.day is not None
        self._minutes += 1
        at = dt.datetime.combine(self.day, dt.time(8, 30)) + dt.timedelta(
            minutes=min(self._minutes, 9 * 60))
        return timezone.make_aware(at)


@contextmanager
def recording_days() -> Iterator[_Calendar]:
    """While inside, :mod:`renkou.core.clock` reads the day set with ``move_to`` on the
    calendar yielded (and a time of that day): the services then date a withdrawal, a
    closing and a record's time on the day being recorded, and check "not after today"
    against it. Restored on leaving. One thread: the demo and the tests, never a server."""
    calendar = _Calendar()
    saved = clock.today, clock.now
    clock.today, clock.now = calendar.today, calendar.now
    try:
        yield calendar
    finally:
        clock.today, clock.now = saved


# ------------------------------------------------------------------------- the people

@dataclass(frozen=True)
class _Resident:
    pk: int
    sex: str
    birth_date: dt.date
    marital_status: str
    household_id: int | None
    relationship: str
    station: int  # the township station of where the person lives
    registered_station: int
    mother_id: int | None
    migrant_since: dt.date | None  # a current inflow spell since that day

    def age_on(self, day: dt.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def _stations_of_units(stations: Sequence[OrgUnit]) -> dict[int, int]:
    """Unit pk → the pk of the station (township unit) whose subtree holds it."""
    by_path = {s.path: s.pk for s in stations}
    out: dict[int, int] = {}
    for pk, path in OrgUnit.objects.values_list("pk", "path"):
        parts = path.split("/")
        for i in range(len(parts), 0, -1):
            station = by_path.get("/".join(parts[:i]))
            if station is not None:
                out[pk] = station
                break
    return out


def _inflow_since() -> dict[int, dt.date]:
    """Person pk → start of her current inflow spell (none without the migrants app)."""
    if not apps.is_installed("renkou.migrants"):
        return {}
    spells = apps.get_model("migrants", "MigrantSpell").objects
    return dict(spells.filter(direction="in", end_date=None).exclude(end_reason="corrected")
                .order_by("person_id", "start_date").values_list("person_id", "start_date"))


def _residents(persons: QuerySet[Person], stations: Sequence[OrgUnit]) -> list[_Resident]:
    station_of = _stations_of_units(stations)
    migrants = _inflow_since()
    out = []
    for (pk, sex, birth, marital, household, rel, registered, current, mother) in (
            persons.filter(status=PersonStatus.RESIDENT).order_by("pk").values_list(
                "pk", "sex", "birth_date", "marital_status", "household_id", "relationship",
                "registered_org_id", "current_org_id", "mother_id").iterator(chunk_size=5000)):
        station = station_of.get(current or registered)
        if station is None:
            continue
        out.append(_Resident(pk, sex, birth, marital, household, rel or "", station,
                             station_of.get(registered, station), mother, migrants.get(pk)))
    return out


# ------------------------------------------------------------------------- the plan

@dataclass
class _Story:
    """One person's service: her request, consents and encounters, planned."""

    index: int
    person: int
    service: str
    station: int
    org: int  # where the encounters are kept (the station, or a village room's village)
    place_kind: str
    days: list[dt.date]  # the encounters
    values: list[dict[str, Any]]
    referred: list[bool]
    follow_ups: list[list[str]]
    next_appointment: list[dt.date | None]
    request_day: dt.date | None = None
    consent_day: dt.date | None = None
    method: str = ConsentMethod.PAPER
    witness: str = ""
    expires_on: dt.date | None = None
    follow_up_consent: bool = False
    # filled while the history is recorded
    request: ServiceRequest | None = None
    consent: Consent | None = None
    follow_consent: Consent | None = None
    encounters: list[Encounter] = field(default_factory=list)


@dataclass(order=True)
class _Step:
    day: dt.date
    rank: int
    index: int
    kind: str = field(compare=False)
    story: _Story | None = field(compare=False, default=None)
    extra: Any = field(compare=False, default=None)


#: The order of the steps of one day.
_RANK = {"request": 0, "consent": 1, "person_consent": 2, "follow_consent": 3, "encounter": 4,
         "close_request": 5, "close_follow_up": 6, "withdraw": 7}


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _w in options], weights=[w for _o, w in options])[0]


def _weekday(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day between ``start`` and ``end`` (both included), a working day when one is."""
    span = (end - start).days
    for _ in range(6):
        day = start + dt.timedelta(days=rng.randint(0, max(span, 0)))
        if day.weekday() < 5:
            return day
    return day


def _blood_pressure(rng: random.Random, high: bool) -> str:
    return (f"{rng.randint(140, 160)}/{rng.randint(90, 100)}" if high and rng.random() < 0.4
            else f"{rng.randint(100, 132)}/{rng.randint(62, 86)}")


def _values(code: str, chosen: Service, rng: random.Random, person: _Resident,
            extra: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The plausible items of one encounter, and whether the person was referred."""
    if code == "PRE_PREGNANCY":
        high = rng.random() < 0.15
        referred = rng.random() < (0.4 if high else 0.024)
        return {"counselling": True,
                "history": rng.choice(("既往体健", "无特殊病史", "既往体健，无家族遗传病史")
                                      if not high else ("有高血压病史", "有甲状腺疾病史",
                                                        "有不良孕产史", "家族有遗传病史")),
                "physical_exam": "未见异常" if not high or rng.random() < 0.5 else "体重指数偏高",
                "blood_pressure": _blood_pressure(rng, high),
                "lab_tests": ("血常规、尿常规、肝肾功能、血糖、TORCH 等未见异常" if not high
                              else rng.choice(("风疹病毒抗体阴性，建议接种疫苗", "血糖偏高",
                                               "乙肝表面抗原阳性", "甲状腺功能异常"))),
                "risk_assessment": "high" if high else "low",
                "advice": ("孕前三个月起补充叶酸，健康生活方式" if not high
                           else "建议到上级医疗机构进一步咨询，孕前补充叶酸")}, referred
    if code == "PREMARITAL":
        advice = rng.random() < 0.08
        return {"counselling": True, "history": "无特殊病史",
                "physical_exam": "未见异常" if not advice else "需进一步检查",
                "lab_tests": "血常规、尿常规、传染病筛查未见异常" if not advice else "地中海贫血筛查阳性",
                "medical_opinion": "advice" if advice else "none",
                "advice": "婚前卫生指导，知情选择" if not advice else "建议双方到上级医院进行遗传咨询"
                }, advice and rng.random() < 0.5
    if code == "SCREENING":
        high = rng.random() < 0.08
        return {"rti_test": "未见异常" if rng.random() < 0.8 else "阴道炎，已给予治疗建议",
                "cervical": "HPV 阴性，TCT 未见异常" if not high else "HPV 阳性，建议阴道镜检查",
                "breast": ("乳腺超声未见异常" if not high or rng.random() < 0.6
                           else "乳腺结节（BI-RADS 4 类）"),
                "result": "high" if high else "low"}, high and rng.random() < 0.7
    if code == "CONTRACEPTIVE_COUNSELLING":
        return {"counselling": True,
                "supplies_chosen": _weighted(rng, (("none", 0.3), ("condoms", 0.4), ("oral", 0.15),
                                                   ("emergency", 0.08), ("other", 0.07))),
                "advice": "介绍各种方法的特点和注意事项，由本人知情选择"}, False
    if code == "MATERNAL_VISIT":
        high = rng.random() < 0.1
        return {"visit_kind": extra["visit_kind"],
                "physical_exam": "血压、体重正常" if not high else "血压偏高",
                "risk_assessment": "high" if high else "low",
                "advice": ("营养与休息指导" if extra["visit_kind"] == "antenatal"
                           else "母乳喂养与产后康复指导")}, high and rng.random() < 0.5
    if code == "CHILD_HEALTH":
        return {"growth": "身高、体重在正常范围" if rng.random() < 0.92 else "体重偏低，给予喂养指导",
                "development": "按月龄给予早期发展指导", "parenting": True}, False
    if code == "PSYCHOLOGICAL_COUNSELLING":
        return {"topic": rng.choice(("育儿压力", "家庭关系", "产后情绪", "工作压力", "睡眠问题")),
                "advice": "倾听与支持，介绍心理援助热线"}, rng.random() < 0.1
    # an office's own service: the first choice of each choice item, yes for yes/no
    values: dict[str, Any] = {}
    for item in chosen.items:
        if item.kind == "choice" and item.choices:
            values[item.code] = item.choices[0].code
        elif item.kind == "yes_no":
            values[item.code] = True
    return values, False


def _at_risk(s: _Story, i: int, follow_up: str) -> list[str]:
    """``[follow_up]`` when encounter ``i`` of the story found a risk, else ``[]``."""
    risk = catalogue()[s.service].risk_item
    return [follow_up] if risk and s.values[i].get(risk) == "high" else []


class _Planner:
    def __init__(self, rng: random.Random, people: list[_Resident], start: dt.date,
                 today: dt.date, stations: Sequence[OrgUnit], scale: float) -> None:
        self.rng, self.people, self.start, self.today = rng, people, start, today
        self.stations, self.scale = stations, scale
        self.stories: list[_Story] = []
        self.steps: list[_Step] = []
        self.years = max((today - start).days, 1) / 365.25
        self.villages: dict[int, list[int]] = defaultdict(list)  # station → its villages' pks
        station_paths = {s.pk: s.path for s in stations}
        for pk, path in OrgUnit.objects.filter(level=3).order_by("code").values_list("pk", "path"):
            for station, spath in station_paths.items():
                if path.startswith(spath + "/"):
                    self.villages[station].append(pk)

    def count(self, code: str) -> int:
        rate = RATES.get(code, OTHER_RATE)
        return max(AT_LEAST, round(rate * len(self.people) / 1000 * self.years * self.scale))

    def choose(self, pool: list[_Resident], n: int) -> list[_Resident]:
        """``n`` of ``pool`` (fewer when it is smaller), about :data:`MIGRANT_SHARE` of them
        inflow migrants when the pool has some."""
        migrants = [p for p in pool if p.migrant_since is not None]
        others = [p for p in pool if p.migrant_since is None]
        k = min(len(migrants), max(1, round(n * MIGRANT_SHARE))) if migrants else 0
        chosen = self.rng.sample(migrants, k) + self.rng.sample(others, min(len(others), n - k))
        return sorted(chosen, key=lambda p: p.pk)

    def day_for(self, person: _Resident, low: dt.date | None = None) -> dt.date | None:
        first = max(self.start, low or self.start, person.migrant_since or self.start)
        return None if first > self.today else _weekday(self.rng, first, self.today)

    # ---- stories

    def story(self, person: _Resident, code: str, days: list[dt.date], *,
              extra: dict[str, Any] | None = None, village_room: float = 0.0) -> _Story:
        rng, chosen = self.rng, catalogue()[code]
        org, kind = person.station, PlaceKind.TOWNSHIP_STATION
        if self.villages[person.station] and rng.random() < village_room:
            org, kind = rng.choice(self.villages[person.station]), PlaceKind.VILLAGE_ROOM
        values: list[dict[str, Any]] = []
        referred: list[bool] = []
        follow_ups: list[list[str]] = []
        appointments: list[dt.date | None] = []
        for _day in days:
            v, r = _values(code, chosen, rng, person, extra or {})
            values.append(v)
            referred.append(r)
            follow_ups.append([])
            appointments.append(None)
        method = _weighted(rng, METHODS)
        s = _Story(len(self.stories), person.pk, code, person.station, org, kind, days, values,
                   referred, follow_ups, appointments, method=method,
                   witness=rng.choice(WITNESSES) if method == ConsentMethod.VERBAL else "")
        s.consent_day = days[0]
        if rng.random() < ANSWERS_REQUEST:
            s.request_day = max(self.start, days[0] - dt.timedelta(days=rng.randint(0, 14)))
        last = days[-1]
        if rng.random() < EXPIRING:
            expiry = s.consent_day + dt.timedelta(days=EXPIRY_DAYS)
            if expiry > last:
                s.expires_on = expiry
        self.stories.append(s)
        return s

    def follow_up(self, s: _Story, offered: list[list[str]]) -> None:
        """Offer the follow-ups ``offered[i]`` after encounter i; arranged when she agrees."""
        if not any(offered):
            return
        s.follow_up_consent = self.rng.random() < FOLLOW_UP_CONSENT
        if s.follow_up_consent:
            s.follow_ups = offered

    def plan(self) -> None:
        rng, today = self.rng, self.today
        people = self.people
        ages = {p.pk: p.age_on(today) for p in people}
        available = catalogue()

        # ---- pre-pregnancy checks: couples of one household, both married, 20–45
        married = [p for p in people if p.marital_status == MaritalStatus.MARRIED
                   and 21 <= ages[p.pk] <= 45 and p.household_id is not None]
        by_household: dict[int, list[_Resident]] = defaultdict(list)
        for p in married:
            by_household[p.household_id].append(p)  # type: ignore[index]
        pairs: dict[str, str] = {
            Relationship.HEAD: Relationship.SPOUSE, Relationship.SPOUSE: Relationship.HEAD,
            Relationship.CHILD: Relationship.CHILD_IN_LAW, Relationship.CHILD_IN_LAW: Relationship.CHILD}
        women = [p for p in married if p.sex == Sex.FEMALE]
        husband = {}
        for w in women:
            partner = next((m for m in by_household[w.household_id]  # type: ignore[index]
                            if m.sex == Sex.MALE and pairs.get(w.relationship) == m.relationship), None)
            husband[w.pk] = partner
        if "PRE_PREGNANCY" in available:
            for w in self.choose(women, self.count("PRE_PREGNANCY")):
                day = self.day_for(w)
                if day is None:
                    continue
                s = self.story(w, "PRE_PREGNANCY", [day])
                outcome = ["pregnancy_outcome"] if rng.random() < 0.8 else []  # if she likes
                self.follow_up(s, [outcome + _at_risk(s, 0, "risk_review")])
                partner = husband.get(w.pk)
                if partner is not None and rng.random() < 0.85 and partner.station == w.station:
                    m = self.story(partner, "PRE_PREGNANCY", [day])
                    self.follow_up(m, [_at_risk(m, 0, "risk_review")])

        # ---- premarital checks: single people 20–35
        if "PREMARITAL" in available:
            singles = [p for p in people if p.marital_status == MaritalStatus.SINGLE
                       and 21 <= ages[p.pk] <= 35]
            for p in self.choose(singles, self.count("PREMARITAL")):
                day = self.day_for(p)
                if day is not None:
                    self.story(p, "PREMARITAL", [day])

        # ---- screening: women 35–64
        if "SCREENING" in available:
            pool = [p for p in people if p.sex == Sex.FEMALE and 36 <= ages[p.pk] <= 64]
            for p in self.choose(pool, self.count("SCREENING")):
                day = self.day_for(p)
                if day is None:
                    continue
                s = self.story(p, "SCREENING", [day])
                self.follow_up(s, [_at_risk(s, 0, "further_examination")])

        # ---- contraceptive counselling: anyone 18–49 who asks
        if "CONTRACEPTIVE_COUNSELLING" in available:
            pool = [p for p in people if 18 <= ages[p.pk] <= 49]
            for p in self.choose(pool, self.count("CONTRACEPTIVE_COUNSELLING")):
                day = self.day_for(p)
                if day is not None:
                    self.story(p, "CONTRACEPTIVE_COUNSELLING", [day], village_room=0.3)

        # ---- maternal visits: women who gave birth in the year (before or after it)
        if "MATERNAL_VISIT" in available:
            resident = {p.pk: p for p in people}
            births: dict[int, dt.date] = {}
            for p in people:
                if p.mother_id in resident and self.start <= p.birth_date <= today:
                    births.setdefault(p.mother_id, p.birth_date)
            mothers = [resident[m] for m in sorted(births)]
            for mother in self.choose(mothers, self.count("MATERNAL_VISIT")):
                born = births[mother.pk]
                before = born - dt.timedelta(days=rng.randint(30, 150))
                after = born + dt.timedelta(days=rng.randint(3, 28))
                kind, day = (("antenatal", before) if before >= max(self.start, mother.migrant_since
                                                                     or self.start)
                             and (after > today or rng.random() < 0.4) else ("postnatal", after))
                if day > today or day < self.start:
                    continue
                self.story(mother, "MATERNAL_VISIT", [day], extra={"visit_kind": kind})

        # ---- child health: children 0–6 (a parent asks), some seen twice
        if "CHILD_HEALTH" in available:
            pool = [p for p in people if ages[p.pk] <= 6 and p.birth_date < today - dt.timedelta(days=30)]
            for child in self.choose(pool, self.count("CHILD_HEALTH")):
                first = self.day_for(child, low=child.birth_date + dt.timedelta(days=28))
                if first is None:
                    continue
                days = [first]
                again = first + dt.timedelta(days=rng.randint(60, 150))
                if rng.random() < 0.25 and again <= today:
                    days.append(again)
                s = self.story(child, "CHILD_HEALTH", days, village_room=0.4)
                if len(days) == 1 and rng.random() < 0.3:
                    s.next_appointment[0] = first + dt.timedelta(days=90)

        # ---- psychological counselling: adults
        if "PSYCHOLOGICAL_COUNSELLING" in available:
            pool = [p for p in people if 18 <= ages[p.pk] <= 70]
            for p in self.choose(pool, self.count("PSYCHOLOGICAL_COUNSELLING")):
                day = self.day_for(p)
                if day is not None:
                    self.story(p, "PSYCHOLOGICAL_COUNSELLING", [day])

        # ---- an office's own services: a few encounters with plain values
        for code in sorted(set(available) - set(RATES)):
            pool = [p for p in people if ages[p.pk] >= 18]
            for p in self.choose(pool, self.count(code)):
                day = self.day_for(p)
                if day is not None:
                    self.story(p, code, [day])

        self._requests_without_encounter()
        self._steps()

    def _requests_without_encounter(self) -> None:
        """Requests still waiting, withdrawn by the person, referred elsewhere."""
        rng, n = self.rng, len(self.stories)
        adults = [p for p in self.people if p.age_on(self.today) >= 18]
        codes = sorted(catalogue())
        plain = [c for c in codes if c not in ("MATERNAL_VISIT", "CHILD_HEALTH")]
        for share, state in ((WAITING, RequestState.OPEN), (WITHDRAWN, RequestState.WITHDRAWN),
                             (REFERRED, RequestState.REFERRED)):
            for p in self.choose(adults, max(2, round(n * share))):
                code = rng.choice(plain)
                if state == RequestState.OPEN:
                    day = _weekday(rng, max(self.start, self.today - dt.timedelta(days=20)), self.today)
                else:
                    day = _weekday(rng, self.start, self.today)
                closed = min(self.today, day + dt.timedelta(days=rng.randint(1, 10)))
                self.steps.append(_Step(day, _RANK["request"], len(self.steps), "request_only",
                                        extra=(p.pk, p.station, code, state, closed)))

    def _withdrawers(self, stories: list[_Story], share: float) -> set[int]:
        chosen = {s.index for s in stories if self.rng.random() < share}
        return chosen or {s.index for s in stories[:1]}

    def _steps(self) -> None:
        rng, today = self.rng, self.today
        first_day: dict[int, dt.date] = {}
        person_of: dict[int, _Resident] = {p.pk: p for p in self.people}
        # who withdraws a consent later: drawn by share, at least one of each kind when
        # anyone could (the demo shows a withdrawal)
        follow_withdraws = self._withdrawers(
            [s for s in self.stories if s.follow_up_consent and any(s.follow_ups)
             and s.days[-1] < today], FOLLOW_UP_WITHDRAWN)
        service_withdraws = self._withdrawers(
            [s for s in self.stories if s.days[-1] < today], SERVICE_WITHDRAWN)
        for s in self.stories:
            day = s.days[0]
            if s.request_day is not None:
                self.steps.append(_Step(s.request_day, _RANK["request"], s.index, "request", s))
            self.steps.append(_Step(s.consent_day or day, _RANK["consent"], s.index, "consent", s))
            if s.follow_up_consent:
                self.steps.append(_Step(day, _RANK["follow_consent"], s.index, "follow_consent", s))
            for i, d in enumerate(s.days):
                self.steps.append(_Step(d, _RANK["encounter"], s.index, "encounter", s, i))
            first_day[s.person] = min(first_day.get(s.person, day), day)
            withdrawn_on = None
            if s.index in follow_withdraws:
                withdrawn_on = _weekday(rng, s.days[-1] + dt.timedelta(days=1), today)
                self.steps.append(_Step(withdrawn_on, _RANK["withdraw"], s.index, "withdraw", s,
                                        "follow_up"))
            for i, d in enumerate(s.days):
                for kind in s.follow_ups[i]:
                    spec = catalogue()[s.service].follow_up(kind)
                    assert spec is not None
                    due = d + dt.timedelta(days=spec.after_days)
                    if due > today:
                        continue
                    draw = rng.random()
                    if draw >= DONE + DECLINED:
                        continue  # still open: overdue
                    closed = min(today, due + dt.timedelta(days=rng.randint(0, 10)))
                    if withdrawn_on is not None and closed >= withdrawn_on:
                        continue  # cancelled by the withdrawal first
                    state = FollowUpState.DONE if draw < DONE else FollowUpState.DECLINED
                    self.steps.append(_Step(closed, _RANK["close_follow_up"], s.index,
                                            "close_follow_up", s, (i, kind, state)))
            if s.index in service_withdraws:
                self.steps.append(_Step(_weekday(rng, s.days[-1] + dt.timedelta(days=1), today),
                                        _RANK["withdraw"], s.index, "withdraw", s, "service"))
        # the person's own consents (statistics, sharing), on her first day
        county = OrgUnit.objects.filter(path=self.stations[0].path.split("/")[0]).values_list(
            "pk", flat=True).first()
        for n, (pk, day) in enumerate(sorted(first_day.items())):
            p = person_of[pk]
            kinds: list[tuple[str, int | None]] = []
            if rng.random() < STATISTICS_CONSENT:
                kinds.append(("statistics", None))
            if p.migrant_since is not None and county and rng.random() < MIGRANT_SHARING:
                kinds.append(("share", county))  # with every office of the county
            elif p.registered_station != p.station and rng.random() < AWAY_SHARING:
                kinds.append(("share", p.registered_station))
            withdraw_statistics = rng.random() < STATISTICS_WITHDRAWN and day < today
            withdrawn = _weekday(rng, day + dt.timedelta(days=1), today) if withdraw_statistics else None
            for purpose, share_with in kinds:
                self.steps.append(_Step(day, _RANK["person_consent"], n, "person_consent",
                                        extra=(p.pk, p.station, purpose, share_with,
                                               _weighted(rng, METHODS), rng.choice(WITNESSES),
                                               withdrawn if purpose == "statistics" else None)))
        self.steps.sort()


# ------------------------------------------------------------------------- recording

class _Recorder:
    """Runs the steps, each on its day, as the station's health worker."""

    def __init__(self, calendar: _Calendar, users: Mapping[int, Any], persons: dict[int, Person],
                 units: dict[int, OrgUnit], providers: dict[int, list[str]]) -> None:
        self.calendar, self.users, self.persons, self.units = calendar, users, persons, units
        self.providers = providers
        self.later: list[_Step] = []

    def run(self, step: _Step) -> None:
        self.calendar.move_to(step.day)
        getattr(self, f"_{step.kind}")(step)

    def _user(self, station: int):
        return self.users[station]

    def _request(self, step: _Step) -> None:
        s = step.story
        assert s is not None
        user = self._user(s.station)
        with acting(user):
            s.request = services.request_service(self.persons[s.person], service_code=s.service,
                                                 requested_on=step.day, org=self.units[s.station],
                                                 user=user)

    def _request_only(self, step: _Step) -> None:
        pk, station, code, state, closed = step.extra
        user = self._user(station)
        with acting(user):
            request = services.request_service(self.persons[pk], service_code=code,
                                               requested_on=step.day, org=self.units[station],
                                               user=user)
        if state != RequestState.OPEN:
            self.later.append(_Step(closed, _RANK["close_request"], request.pk, "close_request",
                                     extra=(request, state, station)))

    def _close_request(self, step: _Step) -> None:
        request, state, station = step.extra
        user = self._user(station)
        note = "本人表示暂不需要" if state == RequestState.WITHDRAWN else "转县妇幼保健计划生育服务中心"
        with acting(user):
            services.close_request(request, state=state, user=user, note=note)

    def _consent(self, step: _Step) -> None:
        s = step.story
        assert s is not None
        user = self._user(s.station)
        with acting(user):
            s.consent = services.give_consent(
                self.persons[s.person], purpose=Purpose.SERVICE, service_code=s.service,
                given_on=step.day, method=s.method, witness=s.witness, expires_on=s.expires_on,
                org=self.units[s.station], user=user)

    def _follow_consent(self, step: _Step) -> None:
        s = step.story
        assert s is not None
        user = self._user(s.station)
        with acting(user):
            s.follow_consent = services.give_consent(
                self.persons[s.person], purpose=Purpose.FOLLOW_UP, service_code=s.service,
                given_on=step.day, method=s.method, witness=s.witness,
                org=self.units[s.station], user=user)

    def _person_consent(self, step: _Step) -> None:
        pk, station, purpose, share_with, method, witness, withdrawn = step.extra
        user = self._user(station)
        shared = self.units[share_with] if share_with is not None else None
        with acting(user):
            consent = services.give_consent(
                self.persons[pk], purpose=purpose, given_on=step.day, method=method,
                witness=witness if method == ConsentMethod.VERBAL else "",
                information_version="个人信息使用知情同意书 2024 版", share_with=shared,
                org=self.units[station], user=user)
        if withdrawn is not None:
            self.later.append(_Step(withdrawn, _RANK["withdraw"], consent.pk, "withdraw_consent",
                                     extra=(consent, station)))

    def _encounter(self, step: _Step) -> None:
        s, i = step.story, step.extra
        assert s is not None
        user = self._user(s.station)
        request = s.request if i == 0 else None
        with acting(user):
            encounter = services.record_encounter(
                self.persons[s.person], service_code=s.service, date=step.day,
                org=self.units[s.org], provider=self.providers[s.station][s.index % 3],
                values=s.values[i], place_kind=s.place_kind, referred=s.referred[i],
                referral_to=REFERRAL_TO if s.referred[i] else "",
                next_appointment=s.next_appointment[i], follow_ups=s.follow_ups[i],
                request=request, user=user, via="synthetic")
        s.encounters.append(encounter)

    def _close_follow_up(self, step: _Step) -> None:
        s = step.story
        assert s is not None
        i, kind, state = step.extra
        follow_up = next((f for f in s.encounters[i].follow_ups.all() if f.kind == kind), None)
        if follow_up is None or follow_up.state != FollowUpState.DUE:
            return
        outcome = {"pregnancy_outcome": "电话随访，本人愿意告知的情况已记录并给予保健指导",
                   "risk_review": "复查完成，结果已告知本人",
                   "further_examination": "已到上级医院进一步检查，结果已告知本人"}.get(kind, "已随访")
        user = self._user(s.station)
        with acting(user):
            services.close_follow_up(follow_up, state=state, user=user,
                                     outcome=outcome if state == FollowUpState.DONE
                                     else "本人表示暂不需要随访")

    def _withdraw(self, step: _Step) -> None:
        s = step.story
        assert s is not None
        consent = s.follow_consent if step.extra == "follow_up" else s.consent
        if consent is None:
            return
        user = self._user(s.station)
        with acting(user):
            services.withdraw_consent(consent, user=user, note="本人要求撤回", via="synthetic")

    def _withdraw_consent(self, step: _Step) -> None:
        consent, station = step.extra
        user = self._user(station)
        with acting(user):
            services.withdraw_consent(consent, user=user, note="本人要求撤回", via="synthetic")


def generate_service_records(*, seed: int, stations: Sequence[OrgUnit],
                             health_users: Mapping[int, Any],
                             persons: QuerySet[Person] | None = None,
                             today: dt.date | None = None, days: int = 365,
                             scale: float = 1.0) -> ServiceRecordsReport:
    """Record a year (``days``) of the service records of ``stations`` up to ``today`` (see
    the module), by the health worker of each station (``health_users``: station pk →
    user). ``persons`` (residents by default) are the people who may ask; ``scale``
    multiplies the volumes of :data:`RATES`.

    Raises ``ValueError`` for a ``today`` after the clock's today or a station without its
    health worker (naming it)."""
    started = time.perf_counter()
    real_today = clock.today()
    today = today or real_today
    if today > real_today:
        raise ValueError(f"today: {today.isoformat()} is after the clock's today "
                         f"({real_today.isoformat()}); the services record nothing dated later")
    stations = sorted(stations, key=lambda s: s.code)
    missing = [s for s in stations if s.pk not in health_users]
    if missing:
        raise ValueError("health_users: no health worker for the station "
                         + ", ".join(f"{s.code} {s.name}" for s in missing))
    if not stations:
        return ServiceRecordsReport()
    rng = random.Random(seed)
    people = _residents(persons if persons is not None else Person.objects.all(), stations)
    start = today - dt.timedelta(days=days)
    planner = _Planner(rng, people, start, today, stations, scale)
    planner.plan()

    story_persons = {s.person for s in planner.stories} | {
        st.extra[0] for st in planner.steps if st.kind in ("request_only", "person_consent")}
    persons_by_pk = Person.objects.in_bulk(sorted(story_persons))
    unit_pks = {s.pk for s in stations} | {s.org for s in planner.stories} | {
        st.extra[3] for st in planner.steps if st.kind == "person_consent" and st.extra[3]}
    units = OrgUnit.objects.in_bulk(sorted(unit_pks))
    providers = {s.pk: rng.sample(PROVIDERS, 3) for s in stations}
    report = ServiceRecordsReport()
    with transaction.atomic(), recording_days() as calendar:
        recorder = _Recorder(calendar, health_users, persons_by_pk, units, providers)
        # the plan's steps in their order, and the steps a step plans (closing the request
        # it made, withdrawing the consent it recorded) on their day
        steps = list(planner.steps)
        heapq.heapify(steps)
        while steps:
            recorder.run(heapq.heappop(steps))
            for later in recorder.later:
                heapq.heappush(steps, later)
            recorder.later.clear()
    _count(report, stations, today)
    report.seconds = time.perf_counter() - started
    return report


def _count(report: ServiceRecordsReport, stations: Sequence[OrgUnit], today: dt.date) -> None:
    from django.db.models import Q

    from renkou.core.scoping import subtree_q

    where = Q()
    for s in stations:
        where |= subtree_q(s.path, "org__path")
    encounters = Encounter.objects.filter(where)
    consents = Consent.objects.filter(where)
    report.requests = ServiceRequest.objects.filter(where).count()
    report.requests_waiting = ServiceRequest.objects.filter(where, state=RequestState.OPEN).count()
    report.consents = consents.count()
    report.consents_withdrawn = consents.exclude(withdrawn_on=None).count()
    report.consents_expired = consents.filter(withdrawn_on=None, expires_on__lt=today).count()
    report.encounters = encounters.count()
    report.by_service = dict(Counter(encounters.values_list("service_code", flat=True)))
    report.migrants_served = encounters.filter(migrant_at_residence=True).count()
    report.follow_ups = FollowUp.objects.filter(where).count()
    report.follow_ups_due = FollowUp.objects.filter(where, state=FollowUpState.DUE).count()
