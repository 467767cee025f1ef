"""Walk-in applications from a list (来访申请名单): each row decided as the walk-in form
decides it, all rows or none."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.benefits.models import Application
from renkou.benefits.walk_in_lists import open_walk_in_list
from renkou.benefits.workflow import WorkflowError, open_walk_in
from renkou.core.models import AuditEntry
from renkou.core.tables import ImportRejected
from renkou.register.models import Sex
from renkou.testing.factories import write_xlsx

HEADER = ["公民身份号码", "姓名", "项目", "年度", "标准", "残疾等级"]


def test_a_row_is_refused_with_the_walk_in_forms_own_reason(users, person, tmp_path):
    mother = person("残母", Sex.FEMALE, dt.date(1970, 1, 1))
    person("残子", Sex.MALE, dt.date(1995, 1, 1), mother=mother)
    with pytest.raises(WorkflowError) as form_says:
        open_walk_in(users.clerk, "special-assistance", 2025, mother, attestations={})
    path = write_xlsx(tmp_path / "来访.xlsx", HEADER,
                      [[mother.id_number, "残母", "special-assistance", "2025", "", ""]])
    with pytest.raises(ImportRejected) as list_says:
        open_walk_in_list(path, users.clerk)
    assert [(e.row, e.reason) for e in list_says.value.errors] == [(2, str(form_says.value))]
    assert Application.objects.count() == 0


def test_a_list_opens_every_row_with_its_attestation_or_none(users, person, tmp_path):
    mother = person("残母", Sex.FEMALE, dt.date(1970, 1, 1))
    person("残子", Sex.MALE, dt.date(1995, 1, 1), mother=mother)
    other = person("另母", Sex.FEMALE, dt.date(1968, 1, 1))
    rows = [[mother.id_number, "残母", "special-assistance", "2025", "disability", "2"],
            [other.id_number, "另母", "special-assistance", "2025", "", ""]]
    path = write_xlsx(tmp_path / "来访.xlsx", HEADER, rows)
    with pytest.raises(ImportRejected) as refused:  # the second has no child: refused …
        open_walk_in_list(path, users.clerk)
    assert [e.row for e in refused.value.errors] == [3]
    assert Application.objects.count() == 0  # … and the first is not opened either
    path = write_xlsx(tmp_path / "来访.xlsx", HEADER, rows[:1])
    result = open_walk_in_list(path, users.clerk)
    [app] = Application.objects.all()
    assert result.opened == [app.pk]
    assert (app.source, app.rate, app.attestations["disability_grade"]["value"]) == (
        "walk_in", "disability", "2")
    assert AuditEntry.objects.filter(object_type="walk_in_list").count() == 1


def test_a_person_outside_the_clerks_village_is_not_found(users, person, county, tmp_path):
    elsewhere = person("外村", Sex.FEMALE, dt.date(1960, 1, 1), org=county.other)
    path = write_xlsx(tmp_path / "来访.xlsx", HEADER,
                      [[elsewhere.id_number, "外村", "special-assistance", "2025", "", ""]])
    with pytest.raises(ImportRejected) as refused:
        open_walk_in_list(path, users.clerk)
    assert [(e.row, e.field) for e in refused.value.errors] == [(2, "id_number")]
