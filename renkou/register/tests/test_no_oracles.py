"""No oracles (issue 12, item 4): what a user may not see, a refusal must not tell.

A village clerk of 东村 tries ID numbers of persons registered in 南门社区 (outside her
subtree): enrolling with one, importing a file that uses one, or naming one as a
parent. The refusal may say that the number is taken (uniqueness needs that much) but
not whose it is, where, or how old its holder is; a parent outside her units is
reported exactly as one who does not exist.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from renkou.accounts.roles import Role
from renkou.core import clock
from renkou.register import services
from renkou.register.importing import ImportRejected, import_persons
from renkou.register.models import HukouType, LifeEvent, Person
from renkou.testing.factories import make_id_number, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["name", "sex", "birth_date", "org_code", "hukou_type", "id_number",
          "mother_id_number", "enrolled_date"]
CHILD_BORN = dt.date(2025, 6, 1)


@pytest.fixture
def outsider(small_register):
    """陈静, born 1963, registered in 南门社区 with an ID number."""
    born = dt.date(1963, 4, 4)
    return services.enrol_person(
        name="陈静", sex="F", birth_date=born, org=small_register.community,
        id_number=make_id_number(born, "F", seq=33), hukou_type=HukouType.URBAN,
        event_date=dt.date(2020, 1, 1))


def _leaks(message: str, person: Person) -> list[str]:
    ages = {str(services.age_on(person.birth_date, day)) for day in (clock.today(), CHILD_BORN)}
    return [clue for clue in (str(person.pk), "南门", person.registered_org.code, *ages)
            if clue in message]


def test_enrolling_with_an_id_number_held_outside_the_subtree_names_nobody(
        small_register, role_users, outsider):
    clerk = role_users[Role.VILLAGE_CLERK]
    with pytest.raises(ValidationError) as caught:
        services.enrol_person(name="冒名", sex="F", birth_date=outsider.birth_date,
                              org=small_register.village, id_number=outsider.id_number,
                              hukou_type=HukouType.RURAL, user=clerk)
    message = caught.value.message_dict["id_number"][0]
    assert message == services.id_number_taken_message(outsider.pk, shown=False)
    assert _leaks(message, outsider) == []
    # the county officer, who may see 陈静, is told whose number it is
    county = role_users[Role.COUNTY_OFFICER]
    with pytest.raises(ValidationError) as caught:
        services.enrol_person(name="冒名", sex="F", birth_date=outsider.birth_date,
                              org=small_register.village, id_number=outsider.id_number,
                              hukou_type=HukouType.RURAL, user=county)
    assert str(outsider.pk) in caught.value.message_dict["id_number"][0]


def test_an_import_cannot_find_out_who_holds_a_number_or_link_a_parent_outside(
        small_register, role_users, outsider, tmp_path):
    clerk = role_users[Role.VILLAGE_CLERK]
    village = small_register.village.code
    rows = [
        # the outsider's own number
        ["冒名", "F", outsider.birth_date.isoformat(), village, "rural", outsider.id_number,
         "", "2024-01-01"],
        # the outsider as the mother of a child born when she was 62: the age would leak
        ["小明", "M", CHILD_BORN.isoformat(), village, "rural", "", outsider.id_number, "2025-07-01"],
    ]
    before = LifeEvent.objects.count()
    reasons = {}
    for n, row in enumerate(rows):
        path = write_xlsx(tmp_path / f"persons-{n}.xlsx", HEADER, [row])
        with pytest.raises(ImportRejected) as caught:
            import_persons(path, user=clerk)
        reasons.update({e.field: e.reason for e in caught.value.errors})
    assert set(reasons) == {"id_number", "mother_id_number"}
    for reason in reasons.values():
        assert _leaks(reason, outsider) == []
    assert reasons["id_number"] == services.id_number_taken_message(outsider.pk, shown=False)
    assert reasons["mother_id_number"] == _("no person has this ID number, in the file or "
                                            "the register")
    assert LifeEvent.objects.count() == before
    # imported by the county, the same mother is found and her age is the reason
    with pytest.raises(ImportRejected) as caught:
        import_persons(tmp_path / "persons-1.xlsx", user=role_users[Role.COUNTY_OFFICER])
    assert caught.value.errors[0].reason == _(
        "the mother was %(age)s at the birth, older than %(max)s") % {
            "age": 62, "max": services.MAX_MOTHER_AGE}
