"""The service records in the statistics catalogue (issue 16, item 5 "Figures").

On the small register (和平镇 with 东村; 城关街道), a few requests, consents and encounters
recorded through the service rules, then ``renkou analytics refresh``:

- people served (distinct in the unit and period, and over every service together),
  services given and requests, by service, counted in the service unit, the township and
  the county; a unit with none has 0;
- coverage among the people who asked (requests served by the period's end / requests,
  Wilson interval), and the mean wait of the requests served;
- the pre-pregnancy check's shares assessed at risk and referred, over the checks of
  people with an active statistics consent only (numerator and denominator), flagged as
  small numbers, missing where there is none;
- migrants served at their residence;
- and no result leaves the database: the snapshot holds no item value, and no risk or
  referral of a person who did not agree to statistics.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.dataset as ds
import pytest

from renkou.analytics import services as analytics
from renkou.analytics import store
from renkou.analytics.catalogue import CatalogueError, ServiceMeasure, load_catalogue, parse_catalogue
from renkou.analytics.schema import DIMENSION_COLUMNS
from renkou.analytics.snapshot import snapshot_dir
from renkou.demography import poisson_interval, wilson_interval
from renkou.migrants import services as migrants
from renkou.services import services
from renkou.services.models import Purpose
from renkou.testing.factories import make_id_number

from .conftest import consent, pre_pregnancy_check

pytestmark = pytest.mark.django_db

D = dt.date
PP = "PRE_PREGNANCY"
ADVICE = "补充叶酸，三个月后复诊"


def served_request(person, health, unit, *, asked: dt.date, on: dt.date, risk: str,
                   referred: bool = False):
    """A pre-pregnancy check asked for on ``asked`` and given on ``on`` (with its consent)."""
    request = services.request_service(person, service_code=PP, requested_on=asked, org=unit,
                                       user=health)
    consent(person, health, unit, given_on=asked)
    return pre_pregnancy_check(person, health, unit, date=on, request=request, referred=referred,
                               values={"counselling": True, "risk_assessment": risk,
                                       "advice": ADVICE})


@pytest.fixture
def figures(stations, settings, tmp_path):
    """The records, then a refresh. In 2026Q1, at 和平镇's station:

    - 李秀英 asked on 02-02, checked on 02-08 (6 days), at risk, referred; agreed to
      statistics for every service; a screening on 03-05 too;
    - 张晓明 asked on 02-02, checked on 02-18 (16 days), at risk, referred; agreed to
      statistics, then withdrew it (today): his results are not used;
    - an inflow migrant living in 东村 since 01-10, checked on 03-10 without a request, not
      at risk; agreed to statistics for the pre-pregnancy check only;
    - 赵强 asked on 03-20, checked on 04-09 (20 days: served in the half-year, not in Q1).

    At 城关街道: 王芳 asked on 03-01 and is still waiting, and had psychological
    counselling on 03-03. 东村 itself (a village room) recorded nothing."""
    settings.RENKOU_ANALYTICS_DIR = str(tmp_path / "analytics")
    r, health, town = stations.register, stations.health, stations.register.town
    everything = dict(purpose=Purpose.STATISTICS, service_code="",
                      information_version="统计使用知情同意书 2024 版")

    served_request(r.mother, health, town, asked=D(2026, 2, 2), on=D(2026, 2, 8), risk="high",
                   referred=True)
    consent(r.mother, health, town, given_on=D(2026, 2, 2), **everything)
    consent(r.mother, health, town, service_code="SCREENING", given_on=D(2026, 3, 5))
    services.record_encounter(r.mother, service_code="SCREENING", date=D(2026, 3, 5), org=town,
                              provider="刘医生", values={"result": "low"}, user=health)

    served_request(r.zxm, health, town, asked=D(2026, 2, 2), on=D(2026, 2, 18), risk="high",
                   referred=True)
    withdrawn = consent(r.zxm, health, town, given_on=D(2026, 2, 2), **everything)
    services.withdraw_consent(withdrawn, user=health, note="不再同意用于统计")

    birth = D(1996, 4, 12)
    migrant = migrants.register_arrival(
        hukou_code="410102", residence_org=r.village, arrival_date=D(2026, 1, 10), name="孙丽",
        sex="F", birth_date=birth, id_number=make_id_number(birth, "F", area="410102", seq=7),
        notify=False).person
    consent(migrant, health, town, given_on=D(2026, 3, 10))
    consent(migrant, health, town, purpose=Purpose.STATISTICS, service_code=PP,  # this one only
            given_on=D(2026, 3, 10))
    check = pre_pregnancy_check(migrant, health, town, date=D(2026, 3, 10),
                                values={"risk_assessment": "low", "advice": ADVICE})
    assert check.migrant_at_residence

    served_request(r.zhao, health, town, asked=D(2026, 3, 20), on=D(2026, 4, 9), risk="low")

    street_health, street = stations.street_health, r.street
    services.request_service(r.wang, service_code=PP, requested_on=D(2026, 3, 1), org=street,
                             user=street_health)
    consent(r.wang, street_health, street, service_code="PSYCHOLOGICAL_COUNSELLING",
            given_on=D(2026, 3, 3))
    services.record_encounter(r.wang, service_code="PSYCHOLOGICAL_COUNSELLING",
                              date=D(2026, 3, 3), org=street, provider="陈医生", user=street_health)

    report = analytics.refresh()
    con = store.connect()
    yield report, con, r
    con.close()


#: No breakdown but (possibly) the service.
BY_SERVICE_ONLY = " AND ".join(f"{c} = ''" for c in DIMENSION_COLUMNS if c != "service")


def row(con, unit, period: str, code: str, service: str = "") -> dict:
    """The row of ``code`` for the unit and period: its total, or one service's."""
    found = store.rows(con, "SELECT * FROM indicator_values WHERE org_code = ? AND period = ? "
                            f"AND indicator = ? AND {BY_SERVICE_ONLY} AND service = ?",
                       [unit.code, period, code, service])
    assert len(found) == 1, (unit.code, period, code, service, found)
    return found[0]


def value(con, unit, period: str, code: str, service: str = ""):
    return row(con, unit, period, code, service)["value"]


def test_people_served_encounters_and_requests(figures):
    report, con, r = figures
    assert report["service_encounters"] == 6 and report["service_requests"] == 4
    # the township: 3 people (李秀英 twice, by two services, counted once), 5 encounters
    # by 04-09 in the half-year, 4 in the quarter
    assert value(con, r.town, "2026Q1", "SVC_SERVED") == 3
    assert value(con, r.town, "2026Q1", "SVC_SERVED", PP) == 3
    assert value(con, r.town, "2026Q1", "SVC_SERVED", "SCREENING") == 1
    assert value(con, r.town, "2026Q1", "SVC_ENCOUNTERS") == 4
    assert value(con, r.town, "2026Q1", "SVC_ENCOUNTERS", PP) == 3
    assert value(con, r.town, "2026-03", "SVC_SERVED") == 2  # the screening, the migrant
    assert value(con, r.town, "2026H1", "SVC_SERVED") == 4  # and 赵强 in April
    assert value(con, r.town, "2026Q1", "SVC_REQUESTS") == 3
    # the county: every station below it
    assert value(con, r.county, "2026Q1", "SVC_SERVED") == 4
    assert value(con, r.county, "2026Q1", "SVC_SERVED", "PSYCHOLOGICAL_COUNSELLING") == 1
    assert value(con, r.county, "2026Q1", "SVC_ENCOUNTERS") == 5
    assert value(con, r.county, "2026Q1", "SVC_REQUESTS") == 4
    assert value(con, r.county, "2026", "SVC_SERVED") == 5
    # a count has its exact Poisson interval
    served = row(con, r.county, "2026Q1", "SVC_SERVED")
    lo, hi = poisson_interval(4)
    assert (served["ci_low"], served["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert served["flag"] == ""  # the quarter is over
    # a unit that recorded nothing: 0, and no row for a service it never had
    assert value(con, r.village, "2026Q1", "SVC_SERVED") == 0
    assert value(con, r.village, "2026Q1", "SVC_REQUESTS") == 0
    assert con.execute("SELECT count(*) FROM indicator_values WHERE org_code = ? AND "
                       "service <> ''", [r.village.code]).fetchone()[0] == 0
    # before any service: zero, not missing
    assert value(con, r.county, "2025", "SVC_SERVED") == 0
    # migrants served at their residence (the migrant checked in 和平镇, living in 东村)
    assert value(con, r.town, "2026Q1", "SVC_MIGRANTS_SERVED") == 1
    assert value(con, r.county, "2026Q1", "SVC_MIGRANTS_SERVED", PP) == 1
    assert value(con, r.street, "2026Q1", "SVC_MIGRANTS_SERVED") == 0


def test_coverage_and_waiting_time(figures):
    _report, con, r = figures
    # 2026Q1 at the township: 3 asked, 2 served by 03-31 (赵强's in April is not)
    coverage = row(con, r.town, "2026Q1", "SVC_COVERAGE")
    assert (coverage["numerator"], coverage["denominator"]) == (2, 3)
    assert coverage["value"] == pytest.approx(200 / 3)
    lo, hi = wilson_interval(2, 3)
    assert coverage["ci_low"] == pytest.approx(lo * 100)
    assert coverage["ci_high"] == pytest.approx(hi * 100)
    assert coverage["flag"] == "small_number"  # fewer than 20 requests
    wait = row(con, r.town, "2026Q1", "SVC_WAIT")
    assert (wait["numerator"], wait["denominator"], wait["value"]) == (22, 2, 11)
    # the half-year holds 赵强's service (20 days)
    wait = row(con, r.town, "2026H1", "SVC_WAIT")
    assert (wait["numerator"], wait["denominator"]) == (42, 3)
    assert wait["value"] == pytest.approx(14)
    assert row(con, r.town, "2026H1", "SVC_COVERAGE")["value"] == 100
    # the street: 王芳 is still waiting
    street = row(con, r.street, "2026Q1", "SVC_COVERAGE")
    assert (street["numerator"], street["denominator"], street["value"]) == (0, 1, 0)
    assert row(con, r.street, "2026Q1", "SVC_WAIT")["value"] is None
    county = row(con, r.county, "2026Q1", "SVC_COVERAGE")
    assert (county["numerator"], county["denominator"]) == (2, 4)
    assert value(con, r.county, "2026Q1", "SVC_COVERAGE", PP) == 50
    # no request: missing, never 0
    village = row(con, r.village, "2026Q1", "SVC_COVERAGE")
    assert village["value"] is None and "missing" in village["flag"].split(",")


def test_result_shares_use_only_the_checks_agreed_to_statistics(figures):
    _report, con, r = figures
    for unit in (r.town, r.county):
        # 李秀英 (at risk, referred) and the migrant (not at risk, not referred) agreed;
        # 张晓明 (at risk, referred) withdrew his consent: in neither numerator nor
        # denominator (over every check it would be 2 / 3)
        at_risk = row(con, unit, "2026Q1", "PPC_AT_RISK")
        assert (at_risk["numerator"], at_risk["denominator"], at_risk["value"]) == (1, 2, 50)
        lo, hi = wilson_interval(1, 2)
        assert (at_risk["ci_low"], at_risk["ci_high"]) == (pytest.approx(lo * 100),
                                                           pytest.approx(hi * 100))
        assert at_risk["flag"] == "small_number"
        referred = row(con, unit, "2026Q1", "PPC_REFERRED")
        assert (referred["numerator"], referred["denominator"], referred["value"]) == (1, 2, 50)
    # 赵强's check in April: he never agreed to statistics
    half = row(con, r.town, "2026H1", "PPC_AT_RISK")
    assert (half["numerator"], half["denominator"]) == (1, 2)
    assert "incomplete" in half["flag"].split(",")
    # no check agreed to statistics: missing (and small), never 0
    for unit in (r.village, r.street):
        none = row(con, unit, "2026Q1", "PPC_AT_RISK")
        assert none["value"] is None and none["denominator"] == 0
        assert none["flag"] == "small_number,missing"
    # counted once over every service: the shares are the pre-pregnancy check's alone
    assert con.execute("SELECT count(*) FROM indicator_values WHERE indicator LIKE 'PPC_%' "
                       "AND service <> ''").fetchone()[0] == 0


def test_no_result_leaves_the_database(figures):
    _report, _con, r = figures
    folder = snapshot_dir()
    encounters = ds.dataset(folder / "service_encounters", format="parquet",
                            partitioning="hive").to_table().to_pylist()
    requests = ds.dataset(folder / "service_requests", format="parquet",
                          partitioning="hive").to_table().to_pylist()
    assert set(encounters[0]) == {"encounter_id", "person_id", "service_code", "org_id", "date",
                                  "stats_consent", "at_risk", "referred",
                                  "migrant_at_residence", "county"}
    assert set(requests[0]) == {"request_id", "person_id", "service_code", "org_id",
                                "requested_on", "state", "served_on", "county"}
    # no item value, in any column of any file of the snapshot
    for path in folder.rglob("*.parquet"):
        for column in ds.dataset(path, format="parquet").to_table().to_pylist():
            text = repr(column)
            assert ADVICE not in text and "risk_assessment" not in text, path
    # the risk and the referral only of the people who agreed to statistics
    by_person = {}
    for e in encounters:
        by_person.setdefault(e["person_id"], []).append(e)
    for e in encounters:
        if not e["stats_consent"]:
            assert e["at_risk"] is None and e["referred"] is None, e
    zxm = by_person[r.zxm.pk][0]
    assert (zxm["stats_consent"], zxm["at_risk"], zxm["referred"]) == (False, None, None)
    mother_check = next(e for e in by_person[r.mother.pk] if e["service_code"] == PP)
    assert (mother_check["at_risk"], mother_check["referred"]) == (True, True)
    zhao = next(q for q in requests if q["person_id"] == r.zhao.pk)
    assert (zhao["state"], zhao["served_on"]) == ("served", D(2026, 4, 9))
    wang = next(q for q in requests if q["person_id"] == r.wang.pk)
    assert (wang["state"], wang["served_on"]) == ("open", None)
    assert not (folder.parent / "snapshot.raw").exists()  # the raw files are gone


def test_the_catalogue_keeps_the_figures_to_services_asked_for():
    from django.utils import translation

    def refused(entry: dict, words: str) -> None:
        with translation.override("en"), pytest.raises(CatalogueError, match=words):
            parse_catalogue({"indicators": [entry]})

    base = {"code": "X", "name_zh": "x", "name_en": "x", "unit": "%", "multiplier": 100,
            "numerator": {"services": {"what": "persons_served"}}, "interval": "wilson"}
    # coverage among a target population is refused (DESIGN.md §2)
    refused({**base, "denominator": {"population": {"kind": "end", "sex": "F",
                                                    "age": [15, 49]}}}, "target population")
    # no measure reads an item: the supplies a person chose are never counted
    refused({**base, "numerator": {"services": {"what": "encounters",
                                                "item": "supplies_chosen"}}}, "unknown field")
    refused({**base, "numerator": {"services": {"what": "supplies_chosen"}}}, "what")
    refused({**base, "numerator": {"services": {"what": "encounters", "service": "NO_SUCH"}},
             "interval": "none"}, "NO_SUCH")
    refused({**base, "numerator": {"services": {"what": "at_risk", "service": PP}},
             "denominator": {"services": {"what": "assessed"}}}, "same service")
    count = {**base, "unit": "persons", "interval": "none"}
    refused({**count, "disaggregations": ["sex"]}, "broken down by service only")
    refused({**count, "numerator": {"services": {"what": "encounters", "service": PP}},
             "disaggregations": ["service"]}, "already limited to one service")
    refused({**count, "numerator": {"events": {"type": "birth"}}, "disaggregations": ["service"]},
            "service records")
    refused({**count, "numerator": {"services": {"what": "wait_days"}}, "interval": "poisson"},
            "Poisson")
    shipped = {i.code: i for i in load_catalogue()}
    assert shipped["PPC_AT_RISK"].numerator == ServiceMeasure(what="at_risk", service=PP)
    assert shipped["PPC_AT_RISK"].denominator == ServiceMeasure(what="assessed", service=PP)
    assert shipped["SVC_COVERAGE"].interval == "wilson"
    assert (shipped["SVC_SERVED"].name_zh, shipped["SVC_MIGRANTS_SERVED"].name_zh) == (
        "服务人数", "流动人口现居住地服务人数")
    # no indicator counts a contraceptive method or supplies (DESIGN.md §2)
    for ind in shipped.values():
        for m in (ind.numerator, ind.denominator):
            if isinstance(m, ServiceMeasure):
                assert m.service != "CONTRACEPTIVE_COUNSELLING"
                assert "suppl" not in m.what and "method" not in m.what


def test_the_statistics_pages_have_a_services_table(figures):
    """The unit's report (pages, printable tables, Excel) gains a services table, with the
    people served by service; a unit with no service record has none."""
    from django.utils import translation

    from renkou.analytics.reports import org_report

    _report, _con, r = figures
    with translation.override("zh-hans"):
        town = org_report(r.town.code, "2026Q1")
        village = org_report(r.village.code, "2026Q1")
    table = next(t for t in town.tables if t.key == "services")
    labels = [row.label for row in table.rows]
    assert labels[0] == "服务人数" and "免费孕前优生健康检查" in labels
    served = next(row for row in table.rows if row.code == "SVC_SERVED" and row.label == "服务人数")
    assert served.cells[0].value == 3
    assert "services" not in [t.key for t in village.tables]


def test_the_service_figures_page(figures, client, stations):
    """Health workers and statisticians read the services table of their subtree; a
    village clerk may not; a unit outside the health worker's subtree is 404."""
    from django.urls import reverse

    from renkou.accounts.roles import Role

    _report, _con, r = figures
    url = reverse("services:figures")
    client.force_login(stations.health)
    page = client.get(url, {"period": "2026Q1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="table-services"' in html and "免费孕前优生健康检查" in html
    assert ADVICE not in html  # aggregates only
    assert client.get(url, {"org": r.street.code, "period": "2026Q1"}).status_code == 404
    client.force_login(stations.roles[Role.STATISTICIAN])
    assert client.get(url, {"org": r.street.code, "period": "2026Q1"}).status_code == 200
    client.force_login(stations.roles[Role.VILLAGE_CLERK])
    assert client.get(url).status_code == 403
