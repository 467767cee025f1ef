"""Office rules that cannot break the check (issue 12, item 6).

``CAST(id_body AS INTEGER) > 0`` is a valid expression over documented columns, but
DuckDB cannot run it on a register holding any ID number (17 digits do not fit an
INTEGER); installed, it used to make every quality check in the county fail. Now it is tried before it is
stored; one that starts failing later is switched off by the run that meets it, and
the other rules still run. 3,000 nested parentheses are refused with a message, not a
RecursionError.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from renkou.core.models import AuditEntry
from renkou.quality import office_rules
from renkou.quality.models import OfficeRule, Violation
from renkou.quality.rules import RuleError, checked_sql
from renkou.quality.services import run_checks
from renkou.testing.factories import make_id_number

from .conftest import person

BAD_CAST = """
rules:
  - code: ID_BODY_NUMERIC
    name: 身份证号码本体为数字
    message: 号码本体不是数字
    check: CAST(id_body AS INTEGER) > 0
"""

OVER_95 = """
rules:
  - code: OVER_95
    name: 95岁以上
    message: 请核实
    applies: status = 'resident'
    check: age <= 95
"""


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def with_an_id_number(tree):
    """A register holding an ID number: its 17-digit body does not fit an INTEGER."""
    person(tree.east, "王秀", "F", dt.date(1970, 1, 1),
           id_number=make_id_number(dt.date(1970, 1, 1), "F"))
    person(tree.east, "老人", "M", dt.date(1910, 1, 1))


def test_a_rule_that_cannot_run_is_refused_before_it_is_stored(tree, users, with_an_id_number, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_CAST, encoding="utf-8")
    with pytest.raises(RuleError, match="ID_BODY_NUMERIC cannot run on the register"):
        office_rules.install_office_rules(path, user=users.county)
    assert not OfficeRule.objects.exists()
    # the command line says why and exits with status 1, for --file alone too
    for extra in ([], ["--install"]):
        with pytest.raises(CommandError) as caught:
            call_command("quality", "rules", "--file", str(path), *extra, "--user", "county",
                         stdout=StringIO())
        assert caught.value.returncode == 1 and "Conversion Error" in str(caught.value)


def test_a_rule_that_starts_failing_is_switched_off_and_the_others_still_run(
        tree, users, with_an_id_number, tmp_path):
    # stored when it could still run (before the register held an ID number) …
    OfficeRule.objects.create(code="ID_BODY_NUMERIC", name_zh="本体为数字", message_zh="不是数字",
                              must_hold="CAST(id_body AS INTEGER) > 0", scope="person")
    (tmp_path / "ok.yaml").write_text(OVER_95, encoding="utf-8")
    office_rules.install_office_rules(tmp_path / "ok.yaml", user=users.county)
    report = run_checks(tree.county, user=users.county)
    assert set(report.failed) == {"ID_BODY_NUMERIC"} and report.disabled == ["ID_BODY_NUMERIC"]
    assert "Conversion Error" in report.failed["ID_BODY_NUMERIC"]
    assert not OfficeRule.objects.get(code="ID_BODY_NUMERIC").active
    # the built-in rules and the good office rule ran: the man born in 1910 is found by both
    assert {"OVER_95", "AGE_OVER_110"} <= set(Violation.objects.values_list("rule_code", flat=True))
    assert AuditEntry.objects.filter(object_type="office_rule", object_id="ID_BODY_NUMERIC",
                                     details__active=False).exists()
    # the next run does not meet it again
    assert run_checks(tree.county, user=users.county).failed == {}


def test_an_office_rule_is_switched_off_on_and_removed_within_the_users_subtree(
        tree, users, tmp_path):
    (tmp_path / "ok.yaml").write_text(OVER_95, encoding="utf-8")
    call_command("quality", "rules", "--file", str(tmp_path / "ok.yaml"), "--install",
                 "--user", "township", stdout=StringIO())
    # a clerk of another township's village may not touch it
    with pytest.raises(OfficeRule.DoesNotExist):
        office_rules.set_active("OVER_95", False, user=users.west_clerk)
    call_command("quality", "rules", "--disable", "OVER_95", "--user", "township", stdout=StringIO())
    assert not OfficeRule.objects.get(code="OVER_95").active
    call_command("quality", "rules", "--enable", "OVER_95", "--user", "township", stdout=StringIO())
    assert OfficeRule.objects.get(code="OVER_95").active
    call_command("quality", "rules", "--remove", "OVER_95", "--user", "county", stdout=StringIO())
    assert not OfficeRule.objects.exists()
    with pytest.raises(CommandError) as caught:
        call_command("quality", "rules", "--remove", "OVER_95", "--user", "county",
                     stdout=StringIO())
    assert caught.value.returncode == 1


@pytest.mark.parametrize("expression, reason", [
    ("(" * 3000 + "age > 1" + ")" * 3000, "characters, more than 2,000"),
    ("(" * 100 + "age > 1" + ")" * 100, "nest 100 deep, more than 32"),
    ("age > 1 AND " * 200 + "TRUE", "characters, more than 2,000"),
])
def test_expressions_too_long_or_too_deep_are_refused_with_a_message(expression, reason):
    with pytest.raises(RuleError, match=reason):
        checked_sql(expression, "person", where="R.check")


def test_a_long_but_reasonable_expression_still_checks():
    sql, columns = checked_sql(" AND ".join(f"age <> {n}" for n in range(120)), "person")
    assert columns == {"age"} and sql.count("<>") == 120


def test_the_rules_page_lists_the_rules_and_switches_an_office_rule_off(
        client, tree, users, tmp_path):
    (tmp_path / "ok.yaml").write_text(OVER_95, encoding="utf-8")
    office_rules.install_office_rules(tmp_path / "ok.yaml", user=users.township)
    client.force_login(users.township)
    page = client.get("/quality/rules/").content.decode()
    assert "OVER_95" in page and "AGE_OVER_110" in page
    assert client.post("/quality/rules/OVER_95/active/", {"active": "0"}).status_code == 302
    assert not OfficeRule.objects.get(code="OVER_95").active
    # a clerk of another township's village sees no such rule and cannot switch it
    client.force_login(users.west_clerk)
    assert '<td class="mono">OVER_95</td>' not in client.get("/quality/rules/").content.decode()
    assert client.post("/quality/rules/OVER_95/active/", {"active": "1"}).status_code == 404
    assert not OfficeRule.objects.get(code="OVER_95").active
