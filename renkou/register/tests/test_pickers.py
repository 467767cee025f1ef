"""Pickers instead of typed numbers (issue 13, item 3): the person autocomplete
(``/persons/pick/``), a parent registered outside the user's units found by full ID
number, and the org-unit tree field.

The small county: 和平镇 (township) with 东村, where 张晓明 and 李秀英 live; 城关街道
(street) with 南门社区, where 王芳 and 赵强 live. 陈静 (born 1963, with an ID number) is
registered in 南门社区: outside the 东村 clerk's and the 和平镇 officer's units.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.accounts.roles import Role
from renkou.core.models import AuditAction, AuditEntry
from renkou.register import pickers, services
from renkou.register.forms import BirthForm, MoveWithinForm
from renkou.register.identity import mask_id_number
from renkou.register.models import EventType, HukouType, LifeEvent, Person, Sex
from renkou.testing.factories import make_id_number

pytestmark = pytest.mark.django_db

PICK = "/persons/pick/"


@pytest.fixture
def outsider(small_register):
    """陈静, born 1963, registered in 南门社区 with an ID number."""
    born = dt.date(1963, 4, 4)
    return services.enrol_person(
        name="陈静", sex="F", birth_date=born, org=small_register.community,
        id_number=make_id_number(born, "F", seq=33), hukou_type=HukouType.URBAN,
        event_date=dt.date(2020, 1, 1))


@pytest.fixture
def young_outsider(small_register):
    """孙丽, born 1995, registered in 南门社区: old enough to be a mother in 2024."""
    born = dt.date(1995, 9, 9)
    return services.enrol_person(
        name="孙丽", sex="F", birth_date=born, org=small_register.community,
        id_number=make_id_number(born, "F", seq=44), hukou_type=HukouType.URBAN,
        ethnicity="03", event_date=dt.date(2020, 1, 1))


def _client(client, user):
    client.force_login(user)
    return client


def _pick(client, q, **params):
    response = client.get(PICK, {"q": q, **params})
    return response, json.loads(response.content or b"{}")


def _lookups(user):
    return AuditEntry.objects.filter(user=user, details__lookup=pickers.LOOKUP)


# ---------------------------------------------------------------- the person autocomplete


def test_pinyin_initials_find_a_person_of_the_users_units(client, small_register, role_users):
    c = _client(client, role_users[Role.TOWNSHIP_OFFICER])
    response, answer = _pick(c, "lxy")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")  # never cached: it lists persons
    assert [r["value"] for r in answer["results"]] == [str(small_register.mother.pk)]
    assert answer["results"][0]["name"] == "李秀英" and answer["more"] is False
    # full pinyin, part of the name and the person number find her too
    for query in ("lixiu", "秀英", str(small_register.mother.pk)):
        assert [r["name"] for r in _pick(c, query)[1]["results"]] == ["李秀英"]


def test_a_township_officer_never_gets_persons_of_another_township(
        client, small_register, role_users, outsider):
    officer = role_users[Role.TOWNSHIP_OFFICER]  # 和平镇; 王芳, 赵强 and 陈静 are in 城关街道
    c = _client(client, officer)
    others = {small_register.wang, small_register.zhao, outsider}
    for person in others:
        for query in (person.name, person.name_initials, person.name[:1], str(person.pk),
                      person.id_number or "", "z", "w", "c"):
            if not query:
                continue
            answer = _pick(c, query)[1]
            assert {r["value"] for r in answer["results"]} <= {
                str(small_register.zxm.pk), str(small_register.mother.pk)}, query
            assert answer["outside"] is None  # no parent lookup without a parent picker
    # the county officer, whose units they are in, finds them
    county = _client(client, role_users[Role.COUNTY_OFFICER])
    assert [r["name"] for r in _pick(county, "wf")[1]["results"]] == ["王芳"]


def test_each_choice_tells_namesakes_apart_and_masks_the_id_number(client, small_register,
                                                                   officer):
    born = dt.date(1988, 11, 2)
    namesake = services.enrol_person(
        name="李秀英", sex="F", birth_date=born, org=small_register.community,
        id_number=make_id_number(born, "F", seq=71), hukou_type=HukouType.URBAN,
        event_date=dt.date(2020, 1, 1))
    response, answer = _pick(_client(client, officer), "lxy")
    rows = {r["value"]: r for r in answer["results"]}
    assert set(rows) == {str(small_register.mother.pk), str(namesake.pk)}
    mine, other = rows[str(small_register.mother.pk)], rows[str(namesake.pk)]
    assert (mine["birth_date"], mine["unit"]) == ("1992-05-10", "东村")
    assert (other["birth_date"], other["unit"]) == ("1988-11-02", "南门社区")
    # beside the birth date only the area code of the ID number is shown: nothing
    # rebuilds the number (the last four digits are hidden too)
    for person, row in ((small_register.mother, mine), (namesake, other)):
        assert row["id_number"] == mask_id_number(person.id_number, beside_birth_date=True)
        assert row["id_number"] == person.id_number[:6] + "*" * 12
        assert person.id_number not in response.content.decode()
        assert person.id_number[-4:] not in json.dumps(row)


def test_an_id_number_is_found_whole_never_by_its_first_digits(client, small_register,
                                                               officer):
    c = _client(client, officer)
    number = small_register.zxm.id_number
    assert [r["name"] for r in _pick(c, number)[1]["results"]] == ["张晓明"]
    for length in (13, 14, 16, 17):
        assert _pick(c, number[:length])[1]["results"] == []
    # full-width digits are the same number
    wide = number.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    assert [r["name"] for r in _pick(c, wide)[1]["results"]] == ["张晓明"]


def test_at_most_twenty_choices_and_a_note_that_there_are_more(client, small_register, officer):
    for n in range(25):
        services.enrol_person(name=f"刘{'一二三四五六七八九'[n % 9]}{n}", sex="M",
                              birth_date=dt.date(1960, 1, 1) + dt.timedelta(days=40 * n),
                              org=small_register.village, hukou_type=HukouType.RURAL,
                              event_date=dt.date(2020, 1, 1))
    answer = _pick(_client(client, officer), "l")[1]
    assert len(answer["results"]) == pickers.PICK_LIMIT == 20
    assert answer["more"] is True


def test_the_sex_narrows_a_name_search(client, small_register, officer):
    c = _client(client, officer)
    assert [r["name"] for r in _pick(c, "z", sex="F")[1]["results"]] == []
    assert {r["name"] for r in _pick(c, "z", sex="M")[1]["results"]} == {"张晓明", "赵强"}


def test_the_picker_needs_a_role_that_reads_person_records(client, small_register, role_users):
    assert client.get(PICK, {"q": "lxy"}).status_code == 302  # to the log-in page
    for role in (Role.STATISTICIAN, Role.AUDITOR):
        assert _client(client, role_users[role]).get(PICK, {"q": "lxy"}).status_code == 403


# ------------------------------------------------- a parent outside, by full ID number


def test_a_parent_outside_is_found_by_full_id_number_logged_and_named_by_nothing(
        client, small_register, role_users, outsider):
    clerk = role_users[Role.VILLAGE_CLERK]
    c = _client(client, clerk)
    response, answer = _pick(c, outsider.id_number, parent="mother", sex="F")
    assert response.status_code == 200
    assert answer["results"] == [] and answer["problem"] == ""
    assert answer["outside"]["label"] == str(pickers.OUTSIDE_LABEL)
    assert set(answer["outside"]) == {"value", "label"}
    shown = response.content.decode().replace(answer["outside"]["value"], "")  # a signature
    for clue in ("陈静", "南门", small_register.community.code, "1963", "城关",
                 outsider.name_pinyin):
        assert clue not in shown
    # the lookup is an access-log entry naming the person found, attributed to the clerk
    entry = _lookups(clerk).get()
    assert (entry.action, entry.object_type, entry.object_id) == (
        AuditAction.VIEW, "person", str(outsider.pk))
    assert entry.details == {"lookup": pickers.LOOKUP, "role": "mother", "found": True}
    # the reference names that log entry and this user, not the person
    signed = signing.TimestampSigner(salt=pickers._REFERENCE_SALT).unsign(
        answer["outside"]["value"])
    assert signed == f"{entry.pk}.{clerk.pk}"


def test_no_lookup_outside_without_a_parent_picker_or_with_the_wrong_sex(
        client, small_register, role_users, outsider):
    clerk = role_users[Role.VILLAGE_CLERK]
    c = _client(client, clerk)
    assert _pick(c, outsider.id_number)[1]["outside"] is None  # a spouse, an applicant
    answer = _pick(c, outsider.id_number, parent="father")[1]
    assert answer["outside"] is None and answer["problem"]  # the number is a woman's
    # a number nobody holds: looked up (and logged), nothing found
    nobody = make_id_number(dt.date(1970, 1, 1), "F", seq=99)
    assert _pick(c, nobody, parent="mother")[1]["outside"] is None
    assert list(_lookups(clerk).values_list("details__found", flat=True)) == [False]
    # a statistician reads no person records at all
    assert _client(client, role_users[Role.STATISTICIAN]).get(
        PICK, {"q": outsider.id_number, "parent": "mother"}).status_code == 403


def test_lookups_by_id_number_are_limited_per_hour(client, small_register, role_users,
                                                   outsider, settings):
    settings.RENKOU_PARENT_LOOKUPS_PER_HOUR = 2
    clerk = role_users[Role.VILLAGE_CLERK]
    c = _client(client, clerk)
    for _n in range(2):
        assert _pick(c, outsider.id_number, parent="mother")[1]["outside"] is not None
    response, answer = _pick(c, outsider.id_number, parent="mother")
    assert response.status_code == 429
    assert answer["outside"] is None and answer["problem"]
    assert _lookups(clerk).count() == 2


def _birth_post(client, page_person, **fields):
    data = {"name": "张小宝", "sex": Sex.MALE, "birth_date": "2024-06-01", "id_number": "",
            **fields}
    return client.post(reverse("register:event", args=[page_person.pk, "birth"]), data)


def test_a_birth_links_the_mother_found_outside_and_the_child_stays_with_the_father(
        client, small_register, role_users, young_outsider):
    clerk = role_users[Role.VILLAGE_CLERK]
    c = _client(client, clerk)
    reference = _pick(c, young_outsider.id_number, parent="mother")[1]["outside"]["value"]
    zxm = small_register.zxm
    response = _birth_post(c, zxm, mother=reference, father=zxm.pk)
    assert response.status_code == 302, response.context["form"].errors
    child = Person.objects.get(name="张小宝")
    assert (child.mother, child.father) == (young_outsider, zxm)
    # the child is registered where the father, whom the clerk may see, is: not in 南门社区,
    # and takes nothing from the mother's record (her hukou type, her ethnicity)
    assert (child.registered_org, child.household) == (small_register.village, zxm.household)
    assert (child.hukou_type, child.ethnicity) == (zxm.hukou_type, zxm.ethnicity)
    assert child.events.get().event_type == EventType.BIRTH
    # the use of the reference is logged as well
    assert _lookups(clerk).filter(details__linked=True, object_id=str(young_outsider.pk)).count() == 1
    # the child's page does not name the mother, nor link to her record
    page = c.get(reverse("register:person", args=[child.pk])).content.decode()
    assert "孙丽" not in page and f"/persons/{young_outsider.pk}/" not in page
    assert _("registered outside your units") in page


def test_a_full_id_number_typed_without_javascript_links_the_parent_too(
        client, small_register, role_users, young_outsider):
    clerk = role_users[Role.VILLAGE_CLERK]
    c = _client(client, clerk)
    response = _birth_post(c, small_register.zxm, mother=young_outsider.id_number,
                           father=small_register.zxm.pk)
    assert response.status_code == 302
    assert Person.objects.get(name="张小宝").mother == young_outsider
    assert _lookups(clerk).filter(object_id=str(young_outsider.pk)).count() == 1


def test_every_refusal_about_a_mother_outside_is_one_message(client, small_register,
                                                             role_users, outsider):
    """陈静 was 62 at a birth in 2025: the county is told her age; the clerk only that she
    cannot be this child's mother."""
    clerk = role_users[Role.VILLAGE_CLERK]
    c = _client(client, clerk)
    before = LifeEvent.objects.count()
    response = _birth_post(c, small_register.zxm, mother=outsider.id_number,
                           father=small_register.zxm.pk, birth_date="2025-06-01")
    assert response.status_code == 200
    assert response.context["form"].errors["mother"] == [services.outside_parent_message("mother")]
    assert "陈静" not in response.content.decode() and "南门" not in response.content.decode()
    assert "62" not in str(response.context["form"].errors)
    assert LifeEvent.objects.count() == before
    # her death is not told either
    services.record_death(outsider, event_date=dt.date(2021, 3, 3))
    response = _birth_post(c, small_register.zxm, mother=outsider.id_number,
                           father=small_register.zxm.pk, birth_date="2024-06-01")
    assert response.context["form"].errors == {
        "mother": [services.outside_parent_message("mother")]}


def test_a_reference_works_only_for_the_user_who_looked_up(client, small_register, role_users,
                                                           young_outsider):
    clerk = role_users[Role.VILLAGE_CLERK]
    reference = _pick(_client(client, clerk), young_outsider.id_number,
                      parent="mother")[1]["outside"]["value"]
    officer = role_users[Role.TOWNSHIP_OFFICER]
    form = BirthForm({"mother": reference, "father": small_register.zxm.pk, "name": "张小宝",
                      "sex": "M", "birth_date": "2024-06-01"}, user=officer,
                     person=small_register.zxm)
    assert not form.is_valid() and "mother" in form.errors
    # nor as the other parent, nor once tampered with
    for bad in (reference[:-2] + "xx", reference):
        form = BirthForm({"mother": small_register.mother.pk, "father": bad, "name": "张小宝",
                          "sex": "M", "birth_date": "2024-06-01"}, user=clerk,
                         person=small_register.zxm)
        assert not form.is_valid() and "father" in form.errors


def test_a_birth_with_neither_parent_in_the_users_units_is_refused(small_register, role_users,
                                                                  young_outsider):
    clerk = role_users[Role.VILLAGE_CLERK]
    with pytest.raises(services.ValidationError) as refused:
        services.record_birth(mother=young_outsider, name="无名", sex="M",
                              birth_date=dt.date(2024, 6, 1), user=clerk)
    assert "mother" in refused.value.message_dict


# ---------------------------------------------------------------- the form fields


def test_the_birth_form_renders_person_pickers_with_the_chosen_parent(small_register,
                                                                      role_users):
    clerk = role_users[Role.VILLAGE_CLERK]
    html = str(BirthForm(user=clerk, person=small_register.mother)["mother"])
    assert "data-person-picker" in html and 'data-parent="mother"' in html
    assert 'data-sex="F"' in html and f'value="{small_register.mother.pk}"' in html
    assert 'data-chosen="李秀英 · 1992-05-10 · 东村' in html
    assert small_register.mother.id_number not in html


def test_the_unit_field_is_a_tree_of_the_users_units_only(small_register, role_users):
    officer = role_users[Role.TOWNSHIP_OFFICER]
    form = MoveWithinForm(user=officer, person=small_register.zxm)
    html = str(form["org_code"])
    assert "<select" in html and "data-unit-tree" in html
    town, village = small_register.town, small_register.village
    assert f'value="{town.code}" data-parent="" data-name="和平镇"' in html
    assert f'value="{village.code}" data-parent="{town.code}" data-name="东村"' in html
    assert small_register.community.code not in html and "城关" not in html
    # indented for the list without JavaScript
    assert "\u3000东村" in html
    # a code sent from outside the user's units is refused with the form's own reason
    form = MoveWithinForm({"event_date": "2024-05-01", "org_code": small_register.community.code},
                          user=officer, person=small_register.zxm)
    assert not form.is_valid()
    assert small_register.community.code in form.errors["org_code"][0]


def test_the_export_filter_and_the_screening_scope_are_unit_pickers(officer_client,
                                                                    small_register):
    page = officer_client.get(reverse("register:search")).content.decode()
    assert 'id="export_org"' in page and "data-unit-tree" in page
    screen = officer_client.get(reverse("benefits:screen")).content.decode()
    assert 'name="org"' in screen and "data-unit-tree" in screen


def test_a_walk_in_applicant_is_chosen_with_the_picker_within_the_users_units(
        client, small_register, role_users):
    clerk = role_users[Role.VILLAGE_CLERK]
    c = _client(client, clerk)
    page = c.get(reverse("benefits:applications")).content.decode()
    assert 'name="person_id"' in page and "data-person-picker" in page
    response = c.post(reverse("benefits:walk_in"), {
        "person_id": small_register.wang.pk, "programme": "rural-reward", "year": "2025"})
    assert response.status_code == 302  # back to the list, with the reason
    assert response["Location"] == reverse("benefits:applications")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(str(small_register.wang.pk) in m for m in messages)


def test_a_cross_check_names_its_person_by_name_and_masked_id(client, small_register,
                                                              role_users):
    from renkou.reconciliation.models import CrossCheck

    c = _client(client, role_users[Role.TOWNSHIP_OFFICER])
    zxm = small_register.zxm
    response = c.post(reverse("reconciliation:crosscheck_new"), {
        "target_area_code": "330122", "person": zxm.pk, "subject": "户籍地待核实",
        "sent_date": "2024-05-01"})
    assert response.status_code == 302
    check = CrossCheck.objects.get()
    assert check.subject == f"张晓明 {mask_id_number(zxm.id_number)}：户籍地待核实"
    assert zxm.id_number not in check.subject
    # a person outside the user's units cannot be named
    c.post(reverse("reconciliation:crosscheck_new"), {
        "target_area_code": "330122", "person": small_register.wang.pk,
        "sent_date": "2024-05-01"})
    assert CrossCheck.objects.count() == 1


def test_a_household_number_is_not_taken_for_a_person_number(client, small_register, officer):
    c = _client(client, officer)
    assert _pick(c, "0010001")[1]["results"] == []
    assert _pick(c, str(small_register.zxm.pk))[1]["results"][0]["name"] == "张晓明"
