"""The service-record pages with Django's test client: a health worker finds the person,
records her consent and a service through the forms; a service without consent is
refused with the consent error and writes nothing; withdrawing the follow-up consent
takes her off the follow-up page; every other role gets 403 on the services pages and
sees on the register's person page only that a service was received; another unit's
record is withheld until a reason is written (a break-the-glass read, logged); the
printable summary is a logged export."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from renkou.accounts.roles import Role
from renkou.core.models import AuditAction, AuditEntry
from renkou.register.identity import mask_id_number
from renkou.services import services
from renkou.services.identify import LOOKUP, find_persons_to_serve
from renkou.services.models import Consent, Encounter, FollowUp, FollowUpState, Purpose

from .conftest import TODAY, consent, pre_pregnancy_check

pytestmark = pytest.mark.django_db

#: What a service record holds and the register's person page never shows.
RESULTS = ("补充叶酸", "高风险", "刘医生", "风险评估")


def _consent_post(org, **changes) -> dict:
    data = {"purpose": Purpose.SERVICE, "service_code": "PRE_PREGNANCY",
            "given_on": TODAY.isoformat(), "method": "paper", "witness": "",
            "information_version": "", "expires_on": "", "share_with": "", "org": org.code}
    data.update(changes)
    return data


def _encounter_post(org, **changes) -> dict:
    data = {"date": TODAY.isoformat(), "org": org.code, "place_kind": "township",
            "provider": "刘医生", "item_counselling": "yes", "item_blood_pressure": "118/76",
            "item_risk_assessment": "high", "item_advice": "补充叶酸", "referral_to": "",
            "next_appointment": "", "note": ""}
    data.update(changes)
    return data


@pytest.fixture
def health_client(client, stations):
    client.force_login(stations.health)
    return client


def test_a_health_worker_finds_the_person_and_records_a_consent_and_a_service(stations,
                                                                              health_client):
    woman, town = stations.register.mother, stations.register.town
    page = health_client.get(reverse("services:index"), {"q": "lxy"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "李秀英" in text and woman.id_number not in text
    assert mask_id_number(woman.id_number, beside_birth_date=True) in text

    url = reverse("services:consent_new", args=[woman.pk])
    form = health_client.get(url, {"purpose": "service", "service": "PRE_PREGNANCY"})
    assert "孕前优生健康检查知情同意书 2024 版" in form.content.decode()  # the catalogue's version
    answer = health_client.post(url, _consent_post(town))
    assert answer.status_code == 302 and answer["Location"] == reverse("services:person",
                                                                       args=[woman.pk])
    given = Consent.objects.get(person=woman)
    assert (given.purpose, given.service_code, given.org, given.information_version) == (
        Purpose.SERVICE, "PRE_PREGNANCY", town, "孕前优生健康检查知情同意书 2024 版")

    url = reverse("services:encounter_new", args=[woman.pk, "PRE_PREGNANCY"])
    form = health_client.get(url).content.decode()
    assert 'name="item_risk_assessment"' in form and 'name="item_counselling"' in form
    assert 'name="follow_ups"' not in form  # no follow-up consent: none offered
    answer = health_client.post(url, _encounter_post(town))
    assert answer.status_code == 302
    encounter = Encounter.objects.get(person=woman)
    assert encounter.values == {"counselling": True, "blood_pressure": "118/76",
                                "risk_assessment": "high", "advice": "补充叶酸"}
    assert encounter.at_risk is True and encounter.consent == given
    detail = health_client.get(answer["Location"])
    assert detail.status_code == 200
    shown = detail.content.decode()
    assert "补充叶酸" in shown and "高风险人群" in shown and "118/76 mmHg" in shown
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="service_encounter",
                                     object_id=str(encounter.pk)).exists()
    record = health_client.get(reverse("services:person", args=[woman.pk])).content.decode()
    assert "免费孕前优生健康检查" in record and 'id="withheld"' not in record
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="service_record",
                                     object_id=str(woman.pk)).exists()


def test_a_service_without_consent_shows_the_consent_error_and_writes_nothing(stations,
                                                                              health_client):
    woman, town = stations.register.mother, stations.register.town
    url = reverse("services:encounter_new", args=[woman.pk, "PRE_PREGNANCY"])
    answer = health_client.post(url, _encounter_post(town))
    assert answer.status_code == 400
    text = answer.content.decode()
    assert 'id="consent-missing"' in text
    consent_url = reverse("services:consent_new", args=[woman.pk])
    assert f'{consent_url}?purpose=service&amp;service=PRE_PREGNANCY' in text
    assert "李秀英" in text  # the refusal names her
    assert not Encounter.objects.exists()
    assert not AuditEntry.objects.filter(object_type="service_encounter").exists()


def test_a_bad_item_value_lands_on_its_field(stations, health_client):
    woman, town = stations.register.mother, stations.register.town
    consent(woman, stations.health, town)
    url = reverse("services:encounter_new", args=[woman.pk, "PRE_PREGNANCY"])
    answer = health_client.post(url, _encounter_post(town, item_risk_assessment="medium"))
    assert answer.status_code == 400
    assert 'id="id_item_risk_assessment_errors"' in answer.content.decode()
    # the service's refusal, on the field it names
    answer = health_client.post(url, _encounter_post(town, next_appointment="2026-06-01"))
    assert answer.status_code == 400
    assert 'id="id_next_appointment_errors"' in answer.content.decode()
    assert not Encounter.objects.exists()


def test_withdrawing_the_follow_up_consent_takes_her_off_the_follow_up_page(stations,
                                                                           health_client):
    woman, town = stations.register.mother, stations.register.town
    consent(woman, stations.health, town)
    follow = consent(woman, stations.health, town, purpose=Purpose.FOLLOW_UP)
    url = reverse("services:encounter_new", args=[woman.pk, "PRE_PREGNANCY"])
    assert 'name="follow_ups"' in health_client.get(url).content.decode()
    answer = health_client.post(url, {**_encounter_post(town), "follow_ups": ["risk_review"]})
    assert answer.status_code == 302
    assert FollowUp.objects.get(person=woman).kind == "risk_review"
    listed = health_client.get(reverse("services:follow_ups")).content.decode()
    assert "李秀英" in listed and "高风险人群复查" in listed

    answer = health_client.post(reverse("services:consent_withdraw", args=[follow.pk]),
                                {"note": "本人不再需要随访"})
    assert answer.status_code == 302
    follow.refresh_from_db()
    assert follow.withdrawn_on == TODAY and follow.withdrawal_note == "本人不再需要随访"
    assert "李秀英" not in health_client.get(reverse("services:follow_ups")).content.decode()
    assert health_client.get(reverse("services:index")).context["due"] == []
    assert FollowUp.objects.get(person=woman).state == FollowUpState.CANCELLED
    record = health_client.get(reverse("services:person", args=[woman.pk])).content.decode()
    assert "本人不再需要随访" in record  # the history is kept, with the note
    # and no follow-up is offered any more
    assert 'name="follow_ups"' not in health_client.get(url).content.decode()


def test_a_follow_up_is_closed_as_done_with_its_outcome(stations, health_client):
    woman, town = stations.register.mother, stations.register.town
    consent(woman, stations.health, town)
    consent(woman, stations.health, town, purpose=Purpose.FOLLOW_UP)
    pre_pregnancy_check(woman, stations.health, town, follow_ups=["risk_review"])
    row = FollowUp.objects.get()
    url = reverse("services:follow_up_close", args=[row.pk])
    answer = health_client.post(url, {"state": "done", "outcome": ""})
    assert answer.status_code == 400
    assert f'id="fu{row.pk}_outcome_errors"' in answer.content.decode()
    answer = health_client.post(url, {"state": "done", "outcome": "复查正常"})
    assert answer.status_code == 302
    row.refresh_from_db()
    assert (row.state, row.outcome) == (FollowUpState.DONE, "复查正常")


def _service_urls(stations) -> tuple[list[str], list[str]]:
    """Every services page (GET) and form target (POST), for one record of each kind."""
    woman, town = stations.register.mother, stations.register.town
    given = consent(woman, stations.health, town)
    follow = consent(woman, stations.health, town, purpose=Purpose.FOLLOW_UP)
    encounter = pre_pregnancy_check(woman, stations.health, town, follow_ups=["risk_review"])
    asked = services.request_service(woman, service_code="PREMARITAL", requested_on=TODAY,
                                     org=town, user=stations.health)
    p = woman.pk
    gets = [reverse("services:index"), reverse("services:follow_ups"),
            reverse("services:person", args=[p]), reverse("services:summary", args=[p]),
            reverse("services:consent_new", args=[p]), reverse("services:request_new", args=[p]),
            reverse("services:encounter_choose", args=[p]),
            reverse("services:encounter_new", args=[p, "PRE_PREGNANCY"]),
            reverse("services:encounter", args=[encounter.pk])]
    posts = [*gets[2:], reverse("services:consent_withdraw", args=[given.pk]),
             reverse("services:consent_withdraw", args=[follow.pk]),
             reverse("services:request_close", args=[asked.pk]),
             reverse("services:follow_up_close", args=[FollowUp.objects.get().pk])]
    return gets, posts


@pytest.mark.parametrize("role", [Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER,
                                  Role.STATISTICIAN, Role.AUDITOR])
def test_other_roles_get_403_and_see_only_that_a_service_was_received(stations, client, role):
    gets, posts = _service_urls(stations)
    client.force_login(stations.roles[role])
    assert {url: client.get(url).status_code for url in gets} == dict.fromkeys(gets, 403)
    assert {url: client.post(url, {"reason": "想看看", "state": "done", "outcome": "x"}).status_code
            for url in posts} == dict.fromkeys(posts, 403)
    assert Consent.objects.filter(withdrawn_on__isnull=False).count() == 0  # nothing changed
    # the catalogue holds no person's data: those who read the figures may read it
    catalogue = client.get(reverse("services:catalogue")).status_code
    assert catalogue == (200 if role in (Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER,
                                         Role.STATISTICIAN) else 403)
    woman = stations.register.mother
    page = client.get(reverse("register:person", args=[woman.pk]))
    if role in (Role.STATISTICIAN, Role.AUDITOR):
        assert page.status_code in (403, 404)  # no person-level data at all
        return
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="services-received"' in text and "免费孕前优生健康检查" in text
    assert TODAY.isoformat() in text
    assert not [word for word in RESULTS if word in text]


def test_a_health_worker_sees_no_services_received_section_on_a_register_page(stations, client):
    """Health workers do not open register pages; the section would show them nothing."""
    from django.template import Context, Template

    html = Template("{% load services %}{% services_received person %}").render(
        Context({"user": stations.health, "person": stations.register.mother}))
    assert html.strip() == ""


def test_another_units_record_is_withheld_until_a_reason_is_given(stations, client):
    woman, town = stations.register.mother, stations.register.town
    consent(woman, stations.health, town)
    pre_pregnancy_check(woman, stations.health, town)
    client.force_login(stations.street_health)
    url = reverse("services:person", args=[woman.pk])
    assert client.get(url).status_code == 404  # not of her units, not looked up
    # a name outside her units finds nobody; the full ID number finds her (logged)
    assert client.get(reverse("services:index"), {"q": "李秀英"}).context["found"].results == []
    found = client.post(reverse("services:index"), {"q": woman.id_number})
    lines = found.context["found"].results
    assert [(c.name, c.id_number) for c in lines] == [
        ("李秀英", mask_id_number(woman.id_number, beside_birth_date=True))]
    table = found.content.decode().split('id="found"')[1].split("</table>")[0]
    assert url in table and woman.id_number not in table
    assert AuditEntry.objects.filter(user=stations.street_health, object_id=str(woman.pk),
                                     details__lookup=LOOKUP).exists()

    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="withheld"' in text and "补充叶酸" not in text
    assert "孕前优生健康检查知情同意书" in text  # her consents are shown: what she agreed to
    assert page.context["record"].withheld == 1
    assert not AuditEntry.objects.filter(details__access="break_glass").exists()

    short = client.post(url, {"reason": "看"})
    assert short.status_code == 400 and 'id="id_reason_errors"' in short.content.decode()
    assert not AuditEntry.objects.filter(details__access="break_glass").exists()

    read = client.post(url, {"reason": "本人在城关街道就诊，需了解既往检查结果"})
    assert read.status_code == 200
    text = read.content.decode()
    assert 'id="broke-glass"' in text and 'id="withheld"' not in text
    assert "补充叶酸" in text and "高风险人群" in text
    entry = AuditEntry.objects.get(details__access="break_glass")
    assert (entry.user, entry.object_type, entry.object_id) == (
        stations.street_health, "service_record", str(woman.pk))
    assert entry.details["reason"] == "本人在城关街道就诊，需了解既往检查结果"
    # its own page stays its unit's
    encounter = Encounter.objects.get()
    assert client.get(reverse("services:encounter", args=[encounter.pk])).status_code == 404


def test_the_summary_a_person_asks_for_is_a_logged_export(stations, health_client):
    woman, town = stations.register.mother, stations.register.town
    consent(woman, stations.health, town)
    pre_pregnancy_check(woman, stations.health, town)
    page = health_client.get(reverse("services:summary", args=[woman.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "补充叶酸" in text and "高风险人群" in text and "孕前优生健康检查知情同意书" in text
    assert "@media print" in text and "data-print" in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="service_summary")
    assert entry.object_id == str(woman.pk) and entry.user == stations.health


def test_the_search_never_lists_by_part_of_an_id_number(stations):
    woman = stations.register.mother
    found = find_persons_to_serve(stations.health, woman.id_number[:10])
    assert found.results == [] and found.problem
    found = find_persons_to_serve(stations.health, woman.id_number[:-1] + "0")
    assert found.results == []
    # 王芳 lives in 南门社区: outside 和平镇's station
    assert find_persons_to_serve(stations.health, "王芳").results == []
    assert [c.name for c in find_persons_to_serve(stations.street_health, "王芳").results] == ["王芳"]
    # a migrant registered elsewhere but living here is found by name
    woman.current_org = stations.register.community
    woman.save(update_fields=["current_org"])
    lines = find_persons_to_serve(stations.street_health, "李秀英").results
    assert [c.name for c in lines] == ["李秀英"] and "南门社区" in lines[0].unit


def test_the_catalogue_page_lists_services_items_and_follow_ups(stations, health_client):
    text = health_client.get(reverse("services:catalogue")).content.decode()
    assert "免费孕前优生健康检查" in text and "计划怀孕的夫妇" in text
    assert "妊娠结局随访" in text and "风险评估" in text
    assert text.count('id="service-') >= 7


def test_a_consent_refusal_lands_on_its_field(stations, health_client):
    woman, town = stations.register.mother, stations.register.town
    url = reverse("services:consent_new", args=[woman.pk])
    answer = health_client.post(url, _consent_post(town, method="verbal"))
    assert answer.status_code == 400
    assert 'id="id_witness_errors"' in answer.content.decode()
    later = (TODAY + dt.timedelta(days=3)).isoformat()
    answer = health_client.post(url, _consent_post(town, given_on=later))
    assert answer.status_code == 400 and 'id="id_given_on_errors"' in answer.content.decode()
    assert not Consent.objects.exists()
