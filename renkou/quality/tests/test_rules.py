"""Rules are data: the shipped YAML, the expression whitelist, office rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from renkou.quality.checks import evaluate
from renkou.quality.models import OfficeRule
from renkou.quality.relations import load_register
from renkou.quality.rules import RuleError, builtin_rules, checked_sql, parse_rules
from renkou.quality.rules_in_force import active_rules

from .conftest import TODAY, person

BUILT_IN = {"ID_FORMAT", "ID_CHECK_DIGIT", "ID_AREA_CODE", "ID_BIRTH_DATE", "ID_SEX",
            "DUPLICATE_ID", "MOTHER_AGE", "FATHER_AGE", "BIRTH_AFTER_MOTHER_DEATH",
            "DEATH_BEFORE_BIRTH", "AGE_OVER_110", "MOTHER_SEX", "FATHER_SEX", "LATE_RECORDING",
            "UNIT_NO_EVENTS"}


def test_shipped_rules_load_with_chinese_and_english_texts():
    rules = {r.code: r for r in builtin_rules()}
    assert set(rules) == BUILT_IN
    for r in rules.values():
        assert r.name["zh"] and r.name["en"] and r.message["zh"] and r.message["en"]
        assert r.importance in ("high", "medium", "low")
    assert rules["LATE_RECORDING"].scope == "event"
    assert rules["UNIT_NO_EVENTS"].scope == "aggregate"
    # the DHIS2 form left / operator / right becomes one comparison
    assert rules["ID_BIRTH_DATE"].check == "(id_birth_date) = (birth_date)"



@pytest.fixture(autouse=True)
def _english_messages():
    """The checks below match the English wording, whatever language is active."""
    with translation.override("en"):
        yield

@pytest.mark.parametrize("expression, reason", [
    ("(SELECT count(*) FROM person) > 0", "Subquery"),
    ("person_id IN (SELECT person_id FROM person)", "subqueries"),
    ("read_csv('/etc/passwd') IS NULL", "ReadCSV"),
    ("getvariable('x') = 1", "getvariable is not allowed"),
    ("age > 1; DROP TABLE person", "exactly one"),
    ("salary > 3", "unknown column salary"),
    ("p.age > 3", "without a table"),
    ("CAST(age AS BLOB) IS NULL", "type"),
])
def test_expressions_outside_the_whitelist_are_refused(expression, reason):
    with pytest.raises(RuleError, match=reason):
        checked_sql(expression, "person", where="R.check")


def test_allowed_expressions_are_rerendered_from_the_checked_tree():
    sql, columns = checked_sql("age_years(mother_birth_date, birth_date) BETWEEN 12 AND 55 "
                               "AND date_diff('day', birth_date, today) > 0", "person")
    assert columns == {"mother_birth_date", "birth_date", "today"}
    assert "BETWEEN 12 AND 55" in sql


def test_yaml_mistakes_name_the_rule_and_the_field():
    with pytest.raises(RuleError, match="X_1.*importance"):
        parse_rules("rules:\n - {code: X_1, name: 名, message: 信息, importance: urgent, check: 'age > 1'}")
    with pytest.raises(RuleError, match="X_2.*unknown detail column nope"):
        parse_rules("rules:\n - {code: X_2, name: 名, message: 信息, check: 'age > 1', details: [nope]}")
    with pytest.raises(RuleError, match="appears twice"):
        parse_rules("rules:\n - {code: X_3, name: 名, message: 信息, check: 'age > 1'}\n"
                    " - {code: X_3, name: 名, message: 信息, check: 'age > 2'}")
    with pytest.raises(RuleError, match="X_4.*operator"):
        parse_rules("rules:\n - {code: X_4, name: 名, message: 信息, left: age, operator: '=>', right: '1'}")


def test_an_office_adds_a_rule_as_data_and_it_runs(tree):
    old = person(tree.east, "老人", "F", dt.date(1930, 1, 1))
    person(tree.east, "青年", "M", dt.date(2000, 1, 1))
    OfficeRule.objects.create(code="OVER_90", name_zh="九十岁以上核实", message_zh="{age}岁，请核实",
                              importance="low", scope="person", applies="status = 'resident'",
                              must_hold="age <= 90", details="age", org=tree.town)
    rules = {r.code: r for r in active_rules()}
    assert rules["OVER_90"].org_path == tree.town.path
    reg = load_register(None, today=TODAY)
    found = evaluate(reg, [rules["OVER_90"]])
    reg.close()
    assert [(f.person_id, f.details) for f in found] == [(old.pk, {"age": 96})]
    assert rules["OVER_90"].describe(found[0].details) == "96岁，请核实"


def test_an_office_rule_that_would_read_files_is_refused(tree):
    rule = OfficeRule(code="BAD", name_zh="坏", message_zh="坏", scope="person",
                      must_hold="read_csv('/etc/passwd') IS NULL")
    with pytest.raises(ValidationError):
        rule.clean()


def test_the_rule_engine_cannot_reach_files(tree):
    reg = load_register(None, today=TODAY)
    with pytest.raises(Exception, match="disabled"):
        reg.con.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    reg.close()


OFFICE_RULES = """rules:
  - code: OVER_95
    name: {zh: 九十五岁以上核实, en: Aged over 95}
    message: {zh: "{age}岁，请入户核实", en: "aged {age}: check at home"}
    importance: low
    applies: status = 'resident'
    check: age <= 95
    details: [age]
"""


def test_office_rules_installed_from_a_file_all_or_nothing(tree, users, tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from renkou.core.models import AuditEntry

    good = tmp_path / "ours.yaml"
    good.write_text(OFFICE_RULES, encoding="utf-8")
    call_command("quality", "rules", "--file", str(good), "--install", "--org", tree.town.code,
                 "--user", "township", stdout=StringIO())
    row = OfficeRule.objects.get(code="OVER_95")
    assert (row.org, row.created_by, row.importance) == (tree.town, users.township, "low")
    assert AuditEntry.objects.filter(object_type="office_rules", username="township").exists()
    assert "OVER_95" in {r.code for r in active_rules()}
    # a file with one bad rule stores nothing; a built-in code is refused
    bad = tmp_path / "bad.yaml"
    bad.write_text(OFFICE_RULES.replace("OVER_95", "OVER_99") + "  - {code: NOPE, name: 坏, "
                   "message: 坏, check: \"read_csv('/etc/passwd') IS NULL\"}\n", encoding="utf-8")
    clash = tmp_path / "clash.yaml"
    builtin = builtin_rules()[0].code
    clash.write_text(OFFICE_RULES.replace("OVER_95", builtin), encoding="utf-8")
    for path in (bad, clash):
        with pytest.raises(CommandError):
            call_command("quality", "rules", "--file", str(path), "--install", "--user", "county",
                         stdout=StringIO())
    assert not OfficeRule.objects.filter(code__in=["OVER_99", builtin]).exists()
    # a village clerk may not install rules for the township above it
    with pytest.raises(CommandError):
        call_command("quality", "rules", "--file", str(good), "--install", "--org", tree.town.code,
                     "--user", "clerk", stdout=StringIO())
