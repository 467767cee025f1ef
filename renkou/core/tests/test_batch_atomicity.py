"""A batch job and its entry in the access log are one transaction (issue 12, item 2):
if writing the entry fails — as a kill between the two would leave it — the job's
changes are gone too. Before, a committed 200,000-row import could have no entry."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.core import audit
from renkou.core.models import AuditEntry
from renkou.orgunits.models import OrgUnit
from renkou.quality.models import Violation
from renkou.reconciliation.models import DepartmentList, Survey
from renkou.register.models import LifeEvent, Person
from renkou.testing.factories import make_id_number, write_xlsx

pytestmark = pytest.mark.django_db


class LogDown(Exception):
    """The log entry could not be written."""


@pytest.fixture
def log_fails_for(monkeypatch):
    def fail(object_type: str) -> None:
        real = audit.record

        def record(action, kind="", *args, **kwargs):
            if kind == object_type:
                raise LogDown(kind)
            return real(action, kind, *args, **kwargs)

        monkeypatch.setattr(audit, "record", record)

    return fail


def _stored() -> tuple[int, ...]:
    from renkou.dedupe.models import DetectionRun

    return (Person.objects.count(), LifeEvent.objects.count(), OrgUnit.objects.count(),
            Survey.objects.count(), DepartmentList.objects.count(), Violation.objects.count(),
            DetectionRun.objects.count(), AuditEntry.objects.count())


def _persons(tmp_path, village):
    from renkou.register.importing import import_persons

    path = write_xlsx(tmp_path / "p.xlsx", ["name", "sex", "birth_date", "org_code",
                                            "hukou_type"],
                      [["赵六", "M", "1980-01-01", village.code, "rural"]])
    import_persons(path)


def _orgunits(tmp_path, village):
    from renkou.orgunits.excel import import_orgunits

    path = write_xlsx(tmp_path / "o.xlsx", ["code", "name", "kind", "parent_code", "urban_rural"],
                      [["110101001202", "西村", "village", village.parent.code, "rural"]])
    import_orgunits(path)


def _survey(tmp_path, village):
    from renkou.reconciliation.survey import SURVEY_REQUIRED, import_survey

    path = write_xlsx(tmp_path / "s.xlsx", list(SURVEY_REQUIRED),
                      [[village.code, "0010001", "张晓明", "男", "1990-03-07"]])
    import_survey(path, name="核查", survey_date=dt.date(2024, 6, 30))


def _police_list(tmp_path, village):
    from renkou.reconciliation.departments import COLUMNS, import_list

    path = write_xlsx(tmp_path / "l.xlsx", list(COLUMNS["police"][0]),
                      [[make_id_number(dt.date(1970, 2, 2), "M", seq=77), "张三", "男",
                        "1970-02-02", "注销", "2024-03-05"]])
    import_list(path, "police")


def _quality_check(tmp_path, village):
    from renkou.quality.services import run_checks

    run_checks()


def _duplicate_detection(tmp_path, village):
    from renkou.dedupe.services import run_detection

    run_detection()


JOBS = {"duplicate_detection": _duplicate_detection, "persons": _persons,
        "orgunits": _orgunits, "survey": _survey, "department_list": _police_list,
        "quality_check": _quality_check}


@pytest.mark.parametrize("kind", JOBS)
def test_a_batch_whose_log_entry_fails_leaves_nothing(kind, small_register, tmp_path,
                                                      log_fails_for):
    before = _stored()
    log_fails_for(kind)
    with pytest.raises(LogDown):
        JOBS[kind](tmp_path, small_register.village)
    assert _stored() == before
