"""Model rules enforced when events are recorded, and the register staying the ledger's fold."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from renkou.core import clock
from renkou.register import services
from renkou.register.ledger import LEDGER_FIELDS, EventRecord, fold
from renkou.register.models import EventType, LedgerIsAppendOnly, LifeEvent, Person
from renkou.register.verification import Disagreement, verify_register

from .conftest import make_id_number


def errors(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


def assert_row_is_fold(person: Person) -> None:
    person.refresh_from_db()
    events = [EventRecord(e.pk, e.person_id, e.event_type, e.event_date, e.org_id, e.payload,
                          e.supersedes_id) for e in person.events.all()]
    state = fold(events)
    assert {f: getattr(person, f) for f in LEDGER_FIELDS} == state


def test_id_number_checked_with_stdnum_and_cross_checked(small_register):
    r = small_register
    kw = dict(name="周一", sex="M", birth_date=dt.date(2000, 1, 2), org=r.village,
              hukou_type="rural", event_date=dt.date(2021, 1, 1))
    good = make_id_number(dt.date(2000, 1, 2), "M", seq=55)
    with pytest.raises(ValidationError) as bad_check:
        services.enrol_person(id_number=good[:-1] + ("0" if good[-1] != "0" else "1"), **kw)
    assert "id_number" in errors(bad_check)
    with pytest.raises(ValidationError) as wrong_sex:
        services.enrol_person(id_number=make_id_number(dt.date(2000, 1, 2), "F", seq=55), **kw)
    assert "id_number" in errors(wrong_sex)
    with pytest.raises(ValidationError) as wrong_birth:
        services.enrol_person(id_number=make_id_number(dt.date(2000, 1, 3), "M", seq=55), **kw)
    assert "2000-01-03" in errors(wrong_birth)["id_number"][0]
    with pytest.raises(ValidationError) as bad_area:
        body = "99999920000102551"
        from stdnum.cn import ric
        services.enrol_person(id_number=body + ric.calc_check_digit(body + "0"), **kw)
    assert "id_number" in errors(bad_area)
    person = services.enrol_person(id_number=good.lower(), **kw)
    assert person.id_number == good  # normalised to upper case


def test_id_number_optional_but_unique(small_register):
    r = small_register
    kw = dict(sex="M", birth_date=dt.date(1990, 3, 7), org=r.village, hukou_type="rural",
              event_date=dt.date(2021, 1, 1))
    services.enrol_person(name="无证甲", **kw)
    services.enrol_person(name="无证乙", **kw)  # two persons without ID numbers are fine
    with pytest.raises(ValidationError) as clash:
        services.enrol_person(name="重复", id_number=r.zxm.id_number, **kw)
    assert str(r.zxm.pk) in errors(clash)["id_number"][0]


@pytest.mark.date_sensitive
def test_birth_rules(small_register):
    r = small_register
    with pytest.raises(ValidationError) as future:
        services.record_birth(mother=r.mother, father=r.zxm, name="张一", sex="M",
                              birth_date=clock.today() + dt.timedelta(days=1))
    assert "event_date" in errors(future)
    with pytest.raises(ValidationError) as man:
        services.record_birth(mother=r.zxm, name="张一", sex="M", birth_date=dt.date(2022, 1, 1))
    assert "mother" in errors(man)
    young = services.enrol_person(name="小红", sex="F", birth_date=dt.date(2011, 1, 1),
                                  org=r.village, hukou_type="rural",
                                  event_date=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as too_young:
        services.record_birth(mother=young, name="张一", sex="M", birth_date=dt.date(2022, 6, 1))
    assert "11" in errors(too_young)["mother"][0] and "12" in errors(too_young)["mother"][0]
    boy = services.enrol_person(name="小刚", sex="M", birth_date=dt.date(2010, 1, 1),
                                org=r.village, hukou_type="rural", event_date=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as young_father:
        services.record_birth(mother=r.mother, father=boy, name="张一", sex="M",
                              birth_date=dt.date(2022, 6, 1))
    assert "father" in errors(young_father)


def test_birth_creates_child_in_mothers_household_with_order(small_register):
    r = small_register
    first = services.record_birth(mother=r.mother, father=r.zxm, name="张一", sex="F",
                                  birth_date=dt.date(2021, 6, 1))
    second = services.record_birth(mother=r.mother, father=r.zxm, name="张二", sex="M",
                                   birth_date=dt.date(2023, 8, 1))
    assert (first.birth_order, second.birth_order) == (1, 2)
    assert second.household == r.household and second.registered_org == r.village
    event = second.events.get()
    assert event.event_type == EventType.BIRTH and event.payload["birth_order"] == 2
    assert_row_is_fold(second)


def test_death_before_birth_and_events_after_death(small_register):
    r = small_register
    with pytest.raises(ValidationError) as before_birth:
        services.record_death(r.zxm, event_date=dt.date(1989, 1, 1))
    assert "event_date" in errors(before_birth)
    services.record_death(r.zxm, event_date=dt.date(2023, 1, 1))
    r.zxm.refresh_from_db()
    assert r.zxm.status == "dead"
    with pytest.raises(ValidationError):
        services.record_death(r.zxm, event_date=dt.date(2023, 2, 1))  # not a resident
    with pytest.raises(ValidationError) as posthumous:
        services.record_birth(mother=r.mother, father=r.zxm, name="张遗", sex="M",
                              birth_date=dt.date(2024, 6, 1))
    assert "father" in errors(posthumous) or "event_date" in errors(posthumous)


def test_marriage_divorce_and_legal_age(small_register):
    r = small_register
    teen = services.enrol_person(name="少女", sex="F", birth_date=dt.date(2006, 1, 1),
                                 org=r.community, hukou_type="urban",
                                 event_date=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as under_age:
        services.record_marriage(r.zhao, teen, event_date=dt.date(2024, 1, 1))
    assert "spouse" in errors(under_age)
    with pytest.raises(ValidationError):
        services.record_marriage(r.zxm, r.wang, event_date=dt.date(2024, 1, 1))  # married
    services.record_marriage(r.zhao, r.wang, event_date=dt.date(2024, 1, 1))
    r.wang.refresh_from_db()
    assert r.wang.marital_status == "married"
    services.record_divorce(r.zhao, spouse=r.wang, event_date=dt.date(2025, 1, 1))
    r.wang.refresh_from_db()
    r.zhao.refresh_from_db()
    assert (r.wang.marital_status, r.zhao.marital_status) == ("divorced", "divorced")
    assert_row_is_fold(r.wang)


def test_moves_and_as_of_reconstruction(small_register):
    r = small_register
    services.record_move_within(r.zhao, org=r.village, event_date=dt.date(2021, 3, 1))
    services.record_move_out(r.zhao, event_date=dt.date(2022, 3, 1), destination="合肥市")
    with pytest.raises(ValidationError):
        services.record_move_out(r.zhao, event_date=dt.date(2022, 4, 1))
    services.record_move_in(r.zhao, org=r.community, event_date=dt.date(2023, 3, 1))
    r.zhao.refresh_from_db()
    assert (r.zhao.status, r.zhao.registered_org) == ("resident", r.community)
    events = [EventRecord(e.pk, e.person_id, e.event_type, e.event_date, e.org_id, e.payload,
                          e.supersedes_id) for e in r.zhao.events.all()]
    assert fold(events, dt.date(2021, 6, 1))["registered_org_id"] == r.village.pk
    assert fold(events, dt.date(2022, 6, 1))["status"] == "moved_out"
    assert_row_is_fold(r.zhao)


def test_ledger_is_append_only_and_corrections_supersede(small_register):
    r = small_register
    death = services.record_death(r.wang, event_date=dt.date(2023, 1, 1))
    death.payload = {"cause": "edited"}
    with pytest.raises(LedgerIsAppendOnly):
        death.save()
    with pytest.raises(LedgerIsAppendOnly):
        death.delete()
    with pytest.raises(ValidationError):
        services.void_event(death, reason="")
    correction = services.void_event(death, reason="登记错误，本人健在")
    r.wang.refresh_from_db()
    assert r.wang.status == "resident"
    assert LifeEvent.objects.filter(person=r.wang).count() == 3  # nothing deleted
    with pytest.raises(ValidationError):
        services.void_event(death, reason="again")  # already corrected
    services.correct_event(correction, reason="确认死亡，日期为2023-02-01",
                           event_date=dt.date(2023, 2, 1), payload={})
    r.wang.refresh_from_db()
    assert r.wang.status == "dead"
    assert_row_is_fold(r.wang)


def test_second_correction_through_the_service_keeps_the_first_ones_date(small_register):
    r = small_register
    move = services.record_move_out(r.wang, event_date=dt.date(2023, 5, 1))
    first = services.correct_event(move, reason="日期登记错误", event_date=dt.date(2023, 4, 1))
    services.correct_event(first, reason="迁出登记单位错误", org=r.community)
    effective = [e for e in services.effective_ledger(r.wang) if e.event_type == "move_out"]
    assert [(e.event_date, e.org_id) for e in effective] == [(dt.date(2023, 4, 1), r.community.pk)]
    assert_row_is_fold(r.wang)


def test_date_correction_of_a_birth_corrects_the_birth_date(small_register):
    r = small_register
    child = services.record_birth(mother=r.mother, name="张小宝", sex="M",
                                  birth_date=dt.date(2024, 3, 1))
    birth = child.events.get(event_type=EventType.BIRTH)
    correction = services.correct_event(birth, reason="出生日期登记错误",
                                        event_date=dt.date(2024, 2, 27))
    child.refresh_from_db()
    assert child.birth_date == dt.date(2024, 2, 27)
    services.void_event(correction, reason="原日期无误")
    child.refresh_from_db()
    assert child.birth_date == dt.date(2024, 3, 1)
    assert_row_is_fold(child)


def test_identity_field_correction_keeps_old_value(small_register):
    r = small_register
    event = services.correct_fields(r.wang, {"name": "王方"}, reason="户口簿为王方")
    r.wang.refresh_from_db()
    assert (r.wang.name, r.wang.name_initials) == ("王方", "wf")
    assert event.payload["fields"]["name"] == {"old": "王芳", "new": "王方"}
    with pytest.raises(ValidationError):
        services.correct_fields(r.wang, {"status": "dead"}, reason="x")


def test_voided_birth_leaves_no_resident(small_register):
    r = small_register
    child = services.record_birth(mother=r.mother, name="张小宝", sex="M",
                                  birth_date=dt.date(2024, 3, 1))
    assert child.household_id == r.mother.household_id
    birth = child.events.get(event_type=EventType.BIRTH)
    services.void_event(birth, reason="重复登记的出生")
    child.refresh_from_db()
    assert child.status == "void"
    assert (child.household_id, child.current_org_id, child.relationship) == (None, None, "")
    assert not Person.objects.filter(household=r.mother.household_id, pk=child.pk).exists()
    assert verify_register() == []
    # voiding the void brings the child back, into the household it was born into
    services.void_event(child.events.get(supersedes=birth), reason="出生属实")
    child.refresh_from_db()
    assert child.status == "resident" and child.household_id == r.mother.household_id
    assert verify_register() == []


def test_verify_reports_a_row_that_disagrees_with_the_ledger(small_register):
    r = small_register
    assert verify_register() == []
    Person.objects.filter(pk=r.wang.pk).update(status="dead")  # behind the ledger's back
    assert verify_register() == [Disagreement(r.wang.pk, "status", "dead", "resident")]
    assert verify_register(r.town) == []  # 王芳 lives under the street, not 和平镇
    Person.objects.filter(pk=r.wang.pk).update(status="resident")


def test_second_birth_same_mother_same_day_same_name_is_refused(small_register):
    r = small_register
    first = services.record_birth(mother=r.mother, name="张小宝", sex="M",
                                  birth_date=dt.date(2024, 3, 1))
    with pytest.raises(ValidationError) as again:
        services.record_birth(mother=r.mother, name="张小宝", sex="M",
                              birth_date=dt.date(2024, 3, 1))
    assert str(first.pk) in errors(again)["name"][0]


def test_twins_are_recorded_together_each_with_own_name_and_order(small_register):
    r = small_register
    with pytest.raises(ValidationError):
        services.record_multiple_birth(mother=r.mother, birth_date=dt.date(2024, 3, 1),
                                       children=[{"name": "张大宝", "sex": "M"},
                                                 {"name": "张大宝", "sex": "F"}])
    assert not r.mother.children_as_mother.exists()  # all or none
    twins = services.record_multiple_birth(mother=r.mother, birth_date=dt.date(2024, 3, 1),
                                           children=[{"name": "张大宝", "sex": "M"},
                                                     {"name": "张小妹", "sex": "F"}])
    assert [(c.name, c.birth_order) for c in twins] == [("张大宝", 1), ("张小妹", 2)]


def test_impossible_events_are_refused_by_the_effective_ledger(small_register):
    r = small_register
    with pytest.raises(ValidationError) as before_entry:
        services.record_move_out(r.wang, event_date=dt.date(2019, 1, 1))  # enrolled 2020
    assert "event_date" in errors(before_entry)
    services.record_move_out(r.wang, event_date=dt.date(2024, 1, 1))
    r.wang.refresh_from_db()
    with pytest.raises(ValidationError) as twice:
        services.record_move_out(r.wang, event_date=dt.date(2024, 2, 1))
    assert "person" in errors(twice)
    death = services.record_death(r.zxm, event_date=dt.date(2024, 5, 1))
    services.correct_event(death, reason="日期有误", event_date=dt.date(2024, 4, 1))
    r.zxm.refresh_from_db()
    with pytest.raises(ValidationError) as after_death:  # the corrected death counts
        services.record_divorce(r.zxm, event_date=dt.date(2024, 4, 15))
    assert "2024-04-01" in errors(after_death)["event_date"][0]


def test_ethnicity_accepts_gb3304_codes_or_names():
    from renkou.register.ethnicity import ethnicity_name, parse_ethnicity

    assert [parse_ethnicity(t) for t in ("1", "01", "汉族", "汉", "维吾尔族", "56", "97", "99",
                                         "火星族")] == [
        "01", "01", "01", "01", "05", "56", "97", None, None]
    assert ethnicity_name("05") == "维吾尔族"
