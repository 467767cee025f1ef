"""The sample-file generator on a synthetic county: importing its files finds exactly
the perturbations it made (truth.json), through the services and the command line."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from renkou.reconciliation import services
from renkou.reconciliation.models import CrossCheck, Discrepancy, Survey
from renkou.reconciliation.samples import make_sample_files
from renkou.synthetic.service import generate_county

END = dt.date(2024, 12, 31)


@pytest.fixture
def synthetic(db):
    generate_county(persons=3000, seed=5, end=END)


def _list_counts(dl) -> dict[str, int]:
    items = Discrepancy.objects.filter(dept_list=dl)
    return {"list_only": items.filter(kind="list_only").count(),
            "not_listed": items.filter(kind="not_listed").count(),
            "crosschecks": CrossCheck.objects.filter(record__dept_list=dl).count()}


def test_imported_samples_match_the_truth(synthetic, tmp_path):
    truth = make_sample_files(tmp_path, villages=3, seed=2, survey_date=END)
    assert json.loads((tmp_path / "truth.json").read_text()) == truth
    start = dt.date.fromisoformat(truth["reference_start"])
    survey = services.import_survey(tmp_path / "survey.xlsx", name="样例", survey_date=END,
                                    reference_start=start)
    rows = {r.unit.code: r.counts for r in services.survey_rates(survey)}
    assert len(truth["survey"]["villages"]) == 3
    for code, expected in truth["survey"]["villages"].items():
        got = rows[code]
        for key in ("checked", "confirmed", "not_found", "found", "found_only", "births_found",
                    "births_missing", "households_visited", "households_visited_registered",
                    "households_in_register"):
            assert got[key] == expected[key], (code, key)
        assert Discrepancy.objects.filter(survey=survey, org__code=code,
                                          kind="mismatch").values("person").distinct().count() \
            == expected["mismatches"]
    county = next(r for r in services.survey_rates(survey) if r.unit.level == 1)
    assert county.counts["checked"] == truth["survey"]["total"]["checked"]
    assert county.counts["confirmed"] == truth["survey"]["total"]["confirmed"]
    for source in ("hospital", "police", "civil"):
        dl = services.import_list(tmp_path / f"{source}.xlsx", source, period_start=start,
                                  period_end=END)
        expected = truth[source]
        assert _list_counts(dl) == {k: expected[k] for k in
                                    ("list_only", "not_listed", "crosschecks")}, source
        assert dl.records.count() == expected["records"]
        assert dl.records.filter(person__isnull=False).count() >= expected["matched"]


def test_same_seed_same_files(synthetic, tmp_path):
    a = make_sample_files(tmp_path / "a", villages=2, seed=9, survey_date=END)
    b = make_sample_files(tmp_path / "b", villages=2, seed=9, survey_date=END)
    assert a == b


def test_command_line(synthetic, tmp_path):
    out = io.StringIO()
    call_command("reconciliation", "sample-files", "--out", str(tmp_path), "--villages", "2",
                 "--seed", "4", "--date", END.isoformat(), stdout=out)
    truth = json.loads((tmp_path / "truth.json").read_text())
    call_command("reconciliation", "import-survey", str(tmp_path / "survey.xlsx"),
                 "--name", "命令行", "--date", END.isoformat(),
                 "--reference-start", truth["reference_start"], stdout=out)
    survey = Survey.objects.get()
    out = io.StringIO()
    call_command("reconciliation", "rates", "--survey", str(survey.pk), "--json", stdout=out)
    rows = {r["code"]: r for r in json.loads(out.getvalue())}
    assert rows[next(iter(truth["survey"]["villages"]))]["counts"]["checked"] > 0
    out = io.StringIO()
    call_command("reconciliation", "import-list", "--source", "hospital",
                 str(tmp_path / "hospital.xlsx"), "--from", truth["reference_start"],
                 "--to", END.isoformat(), "--lang", "en", stdout=out)
    assert f"{truth['hospital']['list_only']} not in the register" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("village_code,household_no,name,sex,birth_date\n1,2,,X,never\n",
                   encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("reconciliation", "import-survey", str(bad), "--name", "x",
                     "--date", END.isoformat(), "--lang", "en", stdout=out)
    assert caught.value.returncode == 1
    assert "row 2, name: the name is required" in out.getvalue()
    assert Survey.objects.count() == 1

@pytest.mark.date_sensitive

def test_prepare_demo_is_idempotent(synthetic):
    from renkou.reconciliation.demo import prepare_demo
    from renkou.reconciliation.models import DepartmentList

    out = io.StringIO()
    prepare_demo(out)
    assert Survey.objects.count() == 1 and DepartmentList.objects.count() == 3
    assert CrossCheck.objects.filter(feedback_date__isnull=False).exists()
    assert Discrepancy.objects.exists()
    n = CrossCheck.objects.count()
    prepare_demo(out)
    assert Survey.objects.count() == 1 and CrossCheck.objects.count() == n


def test_export_worklist_and_reply_commands(synthetic, tmp_path):
    from renkou.accounts.models import Role, User
    from renkou.orgunits.models import OrgUnit

    make_sample_files(tmp_path, villages=1, seed=3, survey_date=END)
    survey = services.import_survey(tmp_path / "survey.xlsx", name="x", survey_date=END)
    User.objects.create_user(username="cty", password="renkou-test-pass-2024",
                             role=Role.COUNTY_OFFICER, org=OrgUnit.objects.get(level=1))
    out = io.StringIO()
    call_command("reconciliation", "export-worklist", "--out", str(tmp_path / "w.xlsx"),
                 "--survey", str(survey.pk), "--user", "cty", "--lang", "en", stdout=out)
    n = Discrepancy.objects.filter(survey=survey).count()
    assert f"{n} items written" in out.getvalue() and (tmp_path / "w.xlsx").exists()
    with pytest.raises(CommandError):
        call_command("reconciliation", "export-worklist", "--out", str(tmp_path / "x.xlsx"),
                     stdout=out)
    check = services.create_crosscheck(org=OrgUnit.objects.get(level=1),
                                       target_area_code="330122", subject="s",
                                       sent_date=dt.date(2024, 1, 1))
    call_command("reconciliation", "crosscheck-reply", str(check.pk), "--date", "2024-01-15",
                 "--result", "一致", "--user", "cty", stdout=out)
    check.refresh_from_db()
    assert check.answered_in_time and check.result == "一致"
