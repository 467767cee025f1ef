"""The rules against the generator's injected defects and their ground truth."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.utils import translation

from renkou.quality.demo import prepare_demo
from renkou.quality.models import ScorecardRow, Violation
from renkou.register.models import Person
from renkou.synthetic.service import generate_county

END = dt.date(2025, 12, 31)


def test_swapped_day_and_month_show_up_as_id_birth_date_disagreement(db, tmp_path):
    truth_path = tmp_path / "truth.csv"
    generate_county(3_000, seed=5, end=END, defects=0.05, truth_path=truth_path)
    with open(truth_path, encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    swapped = {int(r["person_id"]) for r in truth if r["defect_type"] == "swapped_day_month"}
    with_id = set(Person.objects.filter(pk__in=swapped).exclude(id_number=None)
                  .values_list("pk", flat=True))
    assert len(with_id) >= 10
    out = io.StringIO()
    with translation.override("zh-hans"):
        prepare_demo(out)
        prepare_demo(out)  # idempotent
    found = set(Violation.objects.filter(rule_code="ID_BIRTH_DATE").values_list("person_id",
                                                                                 flat=True))
    assert found == with_id  # every swapped record with an ID, and nothing else
    assert not Violation.objects.filter(rule_code__in=["ID_CHECK_DIGIT", "ID_AREA_CODE",
                                                       "ID_SEX", "DUPLICATE_ID"]).exists()
    assert ScorecardRow.objects.exists() and "待处理问题" in out.getvalue()
