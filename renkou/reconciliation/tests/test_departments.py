"""Department lists against the hand-built county (conftest.py), both directions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from renkou.core.tables import ImportRejected
from renkou.reconciliation import services
from renkou.reconciliation.departments import COLUMNS
from renkou.reconciliation.models import (
    CrossCheck,
    DepartmentList,
    DepartmentRecord,
    Discrepancy,
    DiscrepancyKind,
    Source,
)
from renkou.register.models import Sex
from renkou.testing.factories import make_id_number, write_xlsx

OUTSIDE_MOTHER = make_id_number(dt.date(1995, 1, 1), Sex.FEMALE, area="110102")
LIST_ONLY, NOT_LISTED = DiscrepancyKind.LIST_NOT_IN_REGISTER, DiscrepancyKind.REGISTER_NOT_IN_LIST


def _header(source):
    required, optional = COLUMNS[source]
    return list(required) + list(optional)


def _items(dept_list):
    return sorted((i.kind, i.org.code, i.person.name if i.person else i.record.name)
                  for i in Discrepancy.objects.filter(dept_list=dept_list))


def test_hospital_certificates_both_ways(county, tmp_path):
    k = county
    path = write_xlsx(tmp_path / "hospital.xlsx", _header(Source.HOSPITAL), [
        ["C001", "张丽", "女", "2023-10-01", "李秀英", k.lxy.id_number, "县医院", "县人民医院"],
        ["C002", "张小红", "女", "2024-05-05", "李秀英", k.lxy.id_number, "县医院", "县人民医院"],
        ["C003", "外地娃", "男", "2024-03-03", "外地妈", OUTSIDE_MOTHER, "县医院", "县人民医院"],
    ])
    dl = services.import_list(path, Source.HOSPITAL, period_start=dt.date(2023, 7, 1),
                              period_end=dt.date(2024, 12, 31))
    matched = DepartmentRecord.objects.get(reference="C001")
    assert matched.person == k.zl and matched.event.event_type == "birth"
    # a certificate with no registered birth (possible 漏报) at the mother's village; the
    # registered birth of 陈宝 with no certificate at its village
    assert _items(dl) == sorted([(LIST_ONLY, "110101001201", "张小红"),
                                 (NOT_LISTED, "110101002201", "陈宝")])
    check = CrossCheck.objects.get()
    assert check.target_area_code == "110102000000" and check.record.reference == "C003"
    assert check.due_date - check.sent_date == dt.timedelta(days=30)
    rows = {u.code: c for u, c in services.list_counts(dl)}
    assert rows["110101000000"]["list_only"] == 1 and rows["110101000000"]["not_listed"] == 1
    assert rows["110101001000"]["list_only"] == 1 and rows["110101001000"]["not_listed"] == 0
    assert rows["110101002201"]["not_listed"] == 1


def test_police_registrations_and_cancellations(county, tmp_path):
    k = county
    stranger = make_id_number(dt.date(1999, 9, 9), Sex.MALE, area="110101", seq=77)
    path = write_xlsx(tmp_path / "police.xlsx", _header(Source.POLICE), [
        [k.zj.id_number, "赵军", "男", "1970-02-02", "注销", "2024-03-05", "", "城关派出所"],
        [k.zh.id_number, "周华", "男", "1975-07-07", "cancellation", "2024-04-01", "", "城关派出所"],
        [k.zxm.id_number, "张晓明", "男", "1990-03-07", "登记", "2024-01-10", "", "城关派出所"],
        [stranger, "新户", "男", "1999-09-09", "registration", "2024-02-02", "110101001202", ""],
    ])
    with translation.override("en"):
        dl = services.import_list(path, Source.POLICE, period_start=dt.date(2024, 1, 1),
                                  period_end=dt.date(2024, 12, 31))
    # 赵军's move-out matched (4 days apart); 周华 cancelled but still resident (水分);
    # the stranger registered in 西村 is not in the register; 王强's death (2024-09-01)
    # has no cancellation.
    assert _items(dl) == sorted([(LIST_ONLY, "110101002201", "周华"),
                                 (LIST_ONLY, "110101001202", "新户"),
                                 (NOT_LISTED, "110101001201", "王强")])
    zhou = Discrepancy.objects.get(dept_list=dl, person=k.zh)
    assert (zhou.field, zhou.register_value) == ("status", "resident")
    assert not CrossCheck.objects.exists()


def test_civil_deaths_and_marriages(county, tmp_path):
    k = county
    unknown = make_id_number(dt.date(1950, 5, 5), Sex.MALE, area="110101", seq=55)
    path = write_xlsx(tmp_path / "civil.xlsx", _header(Source.CIVIL), [
        ["死亡", k.wq.id_number, "王强", "2024-09-01", "男", "1960-01-01", "", "", "民政局"],
        ["结婚", k.zh.id_number, "周华", "2024-02-01", "", "", "陈静", k.cj.id_number, "民政局"],
        ["death", unknown, "无名", "2024-05-05", "", "", "", "", "民政局"],
    ])
    dl = services.import_list(path, Source.CIVIL, period_start=dt.date(2024, 1, 1),
                              period_end=dt.date(2024, 12, 31))
    # the marriage record covers both spouses' marriage events; the unknown death
    # (an ID number of this county, nobody in the register) goes to the county's list
    assert _items(dl) == [(LIST_ONLY, "110101000000", "无名")]


def test_marriage_missing_from_the_list(county, tmp_path):
    k = county
    path = write_xlsx(tmp_path / "civil.xlsx", _header(Source.CIVIL), [
        ["死亡", k.wq.id_number, "王强", "2024-09-01", "", "", "", "", ""],
        ["结婚", k.zxm.id_number, "张晓明", "2024-02-01", "", "", "某某", "", ""],
    ])
    dl = services.import_list(path, Source.CIVIL, period_start=dt.date(2024, 1, 1),
                              period_end=dt.date(2024, 12, 31))
    assert _items(dl) == sorted([(LIST_ONLY, "110101001201", "张晓明"),
                                 (NOT_LISTED, "110101002201", "周华"),
                                 (NOT_LISTED, "110101002201", "陈静")])


def test_civil_deaths_only_do_not_report_marriages(county, tmp_path):
    k = county
    path = write_xlsx(tmp_path / "civil.xlsx", _header(Source.CIVIL), [
        ["死亡", k.wq.id_number, "王强", "2024-09-01", "", "", "", "", ""],
    ])
    dl = services.import_list(path, Source.CIVIL, period_start=dt.date(2024, 1, 1),
                              period_end=dt.date(2024, 12, 31))
    assert _items(dl) == []


def test_list_import_errors_write_nothing(county, tmp_path):
    k = county
    path = write_xlsx(tmp_path / "police.xlsx", _header(Source.POLICE), [
        [k.zj.id_number, "赵军", "男", "1970-02-02", "注销", "2024-03-05", "", ""],
        ["12345", "某", "男", "1970-02-02", "迁移", "2024-13-05", "999", ""],
    ])
    with pytest.raises(ImportRejected) as caught:
        services.import_list(path, Source.POLICE)
    assert {(e.row, e.field) for e in caught.value.errors} == {
        (3, "id_number"), (3, "event_type"), (3, "event_date"), (3, "org_code")}
    assert not DepartmentList.objects.exists() and not DepartmentRecord.objects.exists()


def test_a_township_import_sends_other_townships_records_as_crosschecks(county, users,
                                                                        tmp_path):
    k = county
    path = write_xlsx(tmp_path / "police.xlsx", _header(Source.POLICE), [
        [k.zh.id_number, "周华", "男", "1975-07-07", "注销", "2024-04-01", "", ""],
    ])
    dl = services.import_list(path, Source.POLICE, user=users.township,
                              period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31))
    check = CrossCheck.objects.get()
    # sent to the county office, not to the village where 周华 is registered: the
    # township may not see that village's register, so it must not learn it from here
    assert check.org == k.t1 and check.target_area_code == "110101000000"
    assert "110101002201" not in check.subject
    # the township's own register events: 王强's death and 赵军's move-out, not cancelled
    assert _items(dl) == [(NOT_LISTED, "110101001201", "王强"),
                          (NOT_LISTED, "110101001201", "赵军")]
