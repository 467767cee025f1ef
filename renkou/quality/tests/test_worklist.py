"""Check runs, decisions kept across runs, scoping, the pages and the Excel export."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from renkou.core.models import AuditEntry
from renkou.quality import services
from renkou.quality.models import Violation, ViolationStatus
from renkou.register.models import Person

from .conftest import id_for, person

BAD = dt.date(1988, 4, 5)


@pytest.fixture
def defects(tree):
    east = person(tree.east, "东错", "F", BAD, id_number=id_for(dt.date(1988, 5, 4), "F"))
    west = person(tree.west, "西错", "M", dt.date(1910, 1, 1))
    south = person(tree.south, "南错", "M", dt.date(1905, 1, 1))
    return east, west, south


def _open(**filters):
    return set(Violation.objects.filter(status=ViolationStatus.OPEN, **filters)
               .values_list("rule_code", "person_id"))


def test_accepted_exception_is_remembered_until_the_data_changes(defects, users):
    east, west, south = defects
    report = services.run_checks()
    assert report.open["ID_BIRTH_DATE"] == 1 and report.open["AGE_OVER_110"] == 2
    found = Violation.objects.get(rule_code="AGE_OVER_110", person=west)
    services.resolve(found, status=ViolationStatus.ACCEPTED, comment="户口本核实，确为1910年生",
                     user=users.township)
    again = services.run_checks()
    assert again.accepted["AGE_OVER_110"] == 1 and again.open["AGE_OVER_110"] == 1
    assert ("AGE_OVER_110", west.pk) not in _open()
    assert Violation.objects.filter(status=ViolationStatus.OPEN).count() == 2  # replaced, not added
    # the data the rule reads changes: the finding is new and reported again
    Person.objects.filter(pk=west.pk).update(birth_date=dt.date(1911, 1, 1))
    services.run_checks()
    assert ("AGE_OVER_110", west.pk) in _open()
    assert Violation.objects.get(status=ViolationStatus.ACCEPTED).comment == "户口本核实，确为1910年生"


def test_fixed_but_still_wrong_comes_back_and_truly_fixed_goes(defects, users):
    east, west, _south = defects
    services.run_checks()
    for v in Violation.objects.filter(person__in=[east, west]):
        services.resolve(v, status=ViolationStatus.FIXED, comment="", user=users.township)
    Person.objects.filter(pk=east.pk).update(birth_date=dt.date(1988, 5, 4))  # really fixed
    services.run_checks()
    assert _open(person__in=[east, west]) == {("AGE_OVER_110", west.pk)}


def test_accepting_needs_a_reason(defects, users):
    services.run_checks()
    v = Violation.objects.first()
    with pytest.raises(Exception, match="comment"):
        services.resolve(v, status=ViolationStatus.ACCEPTED, comment=" ", user=users.clerk)


def test_a_subtree_run_leaves_other_units_alone(defects, tree):
    east, west, south = defects
    services.run_checks()
    Person.objects.filter(pk=south.pk).update(birth_date=dt.date(1990, 1, 1))
    services.run_checks(tree.town)  # 南村 is outside 和平镇: its finding stays as it was
    assert ("AGE_OVER_110", south.pk) in _open()


def test_clerk_sees_only_her_village(defects, users, tree, client):
    east, west, south = defects
    services.run_checks()
    assert {v.person_id for v in services.worklist(users.clerk, tree.east)} == {east.pk}
    assert {v.person_id for v in services.worklist(users.township, tree.town)} == {east.pk, west.pk}
    client.force_login(users.clerk)
    page = client.get(f"/quality/worklist/{tree.east.code}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "东错" in text and "西错" not in text
    assert "身份证与出生日期不符" in text  # Chinese by default
    assert east.id_number not in text and "110101********" in text  # masked
    assert client.get(f"/quality/worklist/{tree.west.code}/").status_code == 404
    assert client.get("/quality/violations/?org=" + tree.county.code).status_code == 404


def test_drill_down_counts(defects, users, tree, client):
    services.run_checks()
    client.force_login(users.county)
    text = client.get("/quality/violations/").content.decode()
    assert "和平镇" in text and "平安乡" in text and "年龄超过110岁" in text
    summary = services.violation_summary(users.county, tree.county)
    by_unit = {r["unit"].name: r["total"] for r in summary["rows"]}
    assert by_unit == {"和平镇": 2, "平安乡": 1} and summary["total"] == 3
    town = services.violation_summary(users.county, tree.town)
    assert {r["unit"].name: r["total"] for r in town["rows"]} == {"东村": 1, "西村": 1}


def test_clerk_marks_a_finding_from_the_page(defects, users, tree, client):
    services.run_checks()
    v = Violation.objects.get(person=defects[0])
    client.force_login(users.clerk)
    response = client.post(f"/quality/violations/{v.pk}/resolve/",
                           {"status": "accepted", "comment": "出生证明为准"})
    assert response.status_code == 302
    v.refresh_from_db()
    assert (v.status, v.comment, v.resolved_by) == ("accepted", "出生证明为准", users.clerk)
    other = Violation.objects.get(person=defects[1])
    assert client.post(f"/quality/violations/{other.pk}/resolve/",
                       {"status": "fixed"}).status_code == 404
    client.force_login(users.statistician)
    assert client.get(f"/quality/worklist/{tree.east.code}/").status_code == 403
    assert client.get("/quality/").status_code == 302


def test_worklist_export_to_excel_is_logged(defects, users, tree, client, tmp_path):
    services.run_checks()
    client.force_login(users.township)
    response = client.get(f"/quality/worklist/{tree.town.code}/export/")
    assert response.status_code == 200
    path = tmp_path / "w.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    rows = list(load_workbook(path).active.values)
    assert rows[0][:4] == ("violation_id", "org_code", "org_name", "rule")
    assert {r[7] for r in rows[1:]} == {"东错", "西错"}
    assert all("*" in (r[8] or "*") for r in rows[1:])
    entry = AuditEntry.objects.filter(action="export", object_type="violations").get()
    assert entry.details["rows"] == 2 and entry.username == "township"


def test_check_command_prints_counts_per_rule(defects, tree):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("quality", "check", "--org", tree.town.code, "--lang", "en", stdout=out)
    text = out.getvalue()
    assert "AGE_OVER_110" in text and "2 open violations in 和平镇" in text
    assert "scorecard recomputed" in text
