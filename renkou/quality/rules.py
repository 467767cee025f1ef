"""Validation rules as data (校验规则): loading, checking and the columns they may use.

A rule (in the spirit of DHIS2's validation rules) has a code, a name and a message in
Chinese and English, an importance (high / medium / low), a scope — ``person``,
``event`` or ``aggregate`` — and two SQL boolean expressions over the documented
columns of that scope (:data:`COLUMNS`):

- ``applies`` (optional): the records the rule is about;
- ``check``: what must hold for them. Written either as one expression or, as in
  DHIS2, as ``left``, ``operator`` and ``right``.

A record breaks the rule when ``applies`` is true and ``check`` is false; when ``check``
is unknown (NULL, a value missing) the record is skipped, DHIS2's "skip if a value is
missing". The built-in rules are ``rules.yaml`` next to this module; an office adds
rules as :class:`~renkou.quality.models.OfficeRule` rows or in its own YAML file.
This module reads no model: the rules in force, the built-in ones and the offices'
active rows, are :func:`renkou.quality.rules_in_force.active_rules`.

Safety: an expression is parsed (sqlglot, DuckDB dialect) and every node of its tree
must be a literal, a documented column, an operator or a whitelisted function; a
subquery, a table, a statement or any other function is refused with the reason. The
SQL that runs is regenerated from the checked tree, and it runs in an in-memory DuckDB
holding a copy of the data with external access switched off, so a rule can only read
the columns it names and can write nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from sqlglot import exp

from .vocabulary import Importance

__all__ = ["COLUMNS", "Rule", "RuleError", "RULES_FILE", "load_rules", "builtin_rules",
           "parse_rules", "rule_from_office_rule", "checked_sql"]

RULES_FILE = Path(__file__).with_name("rules.yaml")
IMPORTANCES = ("high", "medium", "low")
SCOPES = ("person", "event", "aggregate")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=")

#: The columns each scope's expressions may use: name → (DuckDB type, description).
COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "person": {
        "person_id": ("BIGINT", "person_id"),
        "sex": ("VARCHAR", "sex, M or F"),
        "birth_date": ("DATE", "birth date"),
        "status": ("VARCHAR", "resident, moved_out or dead"),
        "registered_org_id": ("BIGINT", "registered org unit"),
        "hukou_type": ("VARCHAR", "rural or urban"),
        "marital_status": ("VARCHAR", "single, married, divorced, widowed"),
        "birth_order": ("INTEGER", "order among the mother's live births"),
        "has_id": ("BOOLEAN", "an ID number is recorded"),
        "id_number": ("VARCHAR", "the ID number (NULL when none)"),
        "id_valid_format": ("BOOLEAN", "18 characters: 17 digits and a digit or X"),
        "id_check_ok": ("BOOLEAN", "the ISO 7064 MOD 11-2 check digit is right (cn.ric)"),
        "id_area_ok": ("BOOLEAN", "the 6-digit area code exists (cn.ric)"),
        "id_date_ok": ("BOOLEAN", "characters 7-14 are a real date"),
        "id_birth_date": ("DATE", "the birth date in the ID number"),
        "id_sex": ("VARCHAR", "the sex of the 17th digit (odd M, even F)"),
        "id_body": ("VARCHAR", "the first 17 characters (15-digit numbers widened)"),
        "id_body_count": ("INTEGER", "persons in the whole register with this id_body"),
        "death_date": ("DATE", "date of the effective death event"),
        "age": ("INTEGER", "age in completed years today, or at death"),
        "mother_id": ("BIGINT", "the mother's person_id"),
        "mother_sex": ("VARCHAR", "the mother's sex"),
        "mother_birth_date": ("DATE", "the mother's birth date"),
        "mother_death_date": ("DATE", "the mother's death date"),
        "mother_age_at_birth": ("INTEGER", "the mother's age at this person's birth"),
        "father_id": ("BIGINT", "the father's person_id"),
        "father_sex": ("VARCHAR", "the father's sex"),
        "father_birth_date": ("DATE", "the father's birth date"),
        "father_death_date": ("DATE", "the father's death date"),
        "father_age_at_birth": ("INTEGER", "the father's age at this person's birth"),
        "today": ("DATE", "the day of the check"),
    },
    "event": {
        "event_id": ("BIGINT", "the life event"),
        "person_id": ("BIGINT", "its person"),
        "event_type": ("VARCHAR", "birth, death, marriage, divorce, move_in, move_out, "
                                  "move_within, enrol"),
        "event_date": ("DATE", "when it happened (after corrections)"),
        "recorded_date": ("DATE", "when it was recorded"),
        "delay_days": ("INTEGER", "recorded_date - event_date, days"),
        "recorded_via": ("VARCHAR", "form, api, import, ..."),
        "org_id": ("BIGINT", "the unit where it happened"),
        "person_sex": ("VARCHAR", "the person's sex"),
        "person_birth_date": ("DATE", "the person's birth date"),
        "person_age": ("INTEGER", "the person's age at the event"),
        "today": ("DATE", "the day of the check"),
    },
    "aggregate": {
        "org_id": ("BIGINT", "the org unit"),
        "level": ("INTEGER", "1 county, 2 township, 3 village, 4 group"),
        "persons": ("INTEGER", "persons registered in the unit's subtree"),
        "residents": ("INTEGER", "residents in the subtree"),
        "residents_with_id": ("INTEGER", "residents with an ID number"),
        "births_12m": ("INTEGER", "births in the last 12 months"),
        "male_births_12m": ("INTEGER", "male births in the last 12 months"),
        "deaths_12m": ("INTEGER", "deaths in the last 12 months"),
        "events_12m": ("INTEGER", "life events (not enrolments) in the last 12 months"),
        "today": ("DATE", "the day of the check"),
    },
}

#: Node types an expression may contain (besides documented columns and literals).
_ALLOWED_NODES: tuple[type, ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren,
    exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is,
    exp.In, exp.Between, exp.Like, exp.ILike, exp.Add, exp.Sub, exp.Mul, exp.Div,
    exp.IntDiv, exp.Mod, exp.Neg, exp.Case, exp.If, exp.Cast, exp.DataType, exp.Coalesce,
    exp.Abs, exp.Length, exp.Substring, exp.Upper, exp.Lower, exp.Year, exp.Month,
    exp.Day, exp.DateDiff, exp.Interval, exp.Var, exp.Round, exp.Floor, exp.Greatest,
    exp.Least, exp.Concat, exp.DPipe, exp.TimeToStr,
)
#: Functions DuckDB knows that sqlglot leaves as plain calls, and renkou's own macros.
_ALLOWED_CALLS = {"AGE_YEARS", "NULLIF", "DATEDIFF", "LEFT", "RIGHT"}
_CAST_TYPES = {"INT", "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "TEXT", "DATE", "BOOLEAN"}


class RuleError(ValueError):
    """A rule that cannot be used; the message names the rule and the reason."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: dict[str, str]
    message: dict[str, str]
    importance: str
    scope: str
    check: str
    applies: str = ""
    details: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # columns the expressions read (the fingerprint)
    org_path: str = ""  # office rules: the subtree they apply to ("" = everywhere)
    source: str = "rules.yaml"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def text(self, which: str) -> str:
        values = getattr(self, which)
        lang = "en" if (get_language() or "").startswith("en") else "zh"
        return values.get(lang) or values.get("zh") or values.get("en") or self.code

    @property
    def importance_label(self) -> str:
        return str(Importance(self.importance).label)

    @property
    def display_name(self) -> str:
        return self.text("name")

    def describe(self, details: dict[str, Any]) -> str:
        """The message with ``{column}`` replaced by the violation's detail values."""
        return re.sub(r"\{(\w+)\}", lambda m: str(details.get(m.group(1), m.group(0))),
                      self.text("message"))


#: The longest expression a rule may have, and how deeply its parentheses may nest: far
#: beyond any real rule, and well inside what the parser and DuckDB handle (3,000 nested
#: parentheses exhaust Python's recursion limit).
MAX_EXPRESSION_CHARS = 2_000
MAX_EXPRESSION_DEPTH = 32


def _nesting(expression: str) -> int:
    """How deeply the parentheses of ``expression`` nest, outside quoted text."""
    depth = deepest = 0
    quote = ""
    for char in expression:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def checked_sql(expression: str, scope: str, *, where: str = "") -> tuple[str, set[str]]:
    """The expression re-rendered from its checked tree, and the columns it reads.

    Raises :class:`RuleError` naming the first node that is not allowed, or saying that
    the expression is longer or more deeply nested than a rule may be.
    """
    where = where or _("expression")
    allowed_columns = COLUMNS[scope]
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise RuleError(_("%(where)s: the expression has %(n)s characters, more than %(max)s")
                        % {"where": where, "n": f"{len(expression):,}",
                           "max": f"{MAX_EXPRESSION_CHARS:,}"})
    if _nesting(expression) > MAX_EXPRESSION_DEPTH:
        raise RuleError(_("%(where)s: the parentheses nest %(n)s deep, more than %(max)s")
                        % {"where": where, "n": _nesting(expression), "max": MAX_EXPRESSION_DEPTH})
    try:
        statements = sqlglot.parse(expression, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise RuleError(_("%(where)s: not a valid expression (%(reason)s)")
                        % {"where": where, "reason": str(exc).splitlines()[0]}) from None
    except RecursionError:
        raise RuleError(_("%(where)s: the expression is nested too deeply")
                        % {"where": where}) from None
    if len(statements) != 1 or statements[0] is None:
        raise RuleError(_("%(where)s: write exactly one expression") % {"where": where})
    tree = statements[0]
    columns: set[str] = set()
    for node in tree.walk():
        if isinstance(node, exp.Column):
            if node.table:
                raise RuleError(_("%(where)s: write column names without a table (%(col)s)")
                                % {"where": where, "col": node.sql()})
            if node.name not in allowed_columns:
                raise RuleError(_("%(where)s: unknown column %(col)s for scope %(scope)s")
                                % {"where": where, "col": node.name, "scope": scope})
            columns.add(node.name)
        elif isinstance(node, exp.Anonymous):
            if node.name.upper() not in _ALLOWED_CALLS:
                raise RuleError(_("%(where)s: the function %(fn)s is not allowed")
                                % {"where": where, "fn": node.name})
        elif isinstance(node, exp.DataType):
            if node.sql("duckdb").upper() not in _CAST_TYPES:
                raise RuleError(_("%(where)s: the type %(type)s is not allowed")
                                % {"where": where, "type": node.sql("duckdb")})
        elif isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
            raise RuleError(_("%(where)s: subqueries are not allowed") % {"where": where})
        elif not isinstance(node, _ALLOWED_NODES):
            raise RuleError(_("%(where)s: %(what)s is not allowed in a rule")
                            % {"where": where, "what": type(node).__name__})
    try:
        return tree.sql(dialect="duckdb"), columns
    except RecursionError:
        raise RuleError(_("%(where)s: the expression is nested too deeply")
                        % {"where": where}) from None


def _texts(value: Any, code: str, key: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"zh": value}
    if isinstance(value, dict) and value.get("zh"):
        return {k: str(v) for k, v in value.items() if k in ("zh", "en") and v}
    raise RuleError(_("rule %(code)s: %(key)s needs a Chinese text (zh)")
                    % {"code": code, "key": key})


def make_rule(spec: dict[str, Any], *, source: str = "rules.yaml", org_path: str = "") -> Rule:
    """A checked :class:`Rule` from one mapping of the YAML format."""
    if not isinstance(spec, dict):
        raise RuleError(_("%(source)s: each rule is a mapping of fields") % {"source": source})
    code = str(spec.get("code") or "").strip()
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,39}", code):
        raise RuleError(_("%(source)s: the rule code %(code)r must be 2-40 capital letters, "
                          "digits or _") % {"source": source, "code": code})
    unknown = set(spec) - {"code", "name", "message", "importance", "scope", "applies", "check",
                           "left", "operator", "right", "details", "description"}
    if unknown:
        raise RuleError(_("rule %(code)s: unknown fields %(fields)s")
                        % {"code": code, "fields": ", ".join(sorted(unknown))})
    importance = spec.get("importance", "medium")
    if importance not in IMPORTANCES:
        raise RuleError(_("rule %(code)s: importance must be high, medium or low") % {"code": code})
    scope = spec.get("scope", "person")
    if scope not in SCOPES:
        raise RuleError(_("rule %(code)s: scope must be person, event or aggregate")
                        % {"code": code})
    check = spec.get("check")
    if check is None:
        left, op, right = spec.get("left"), spec.get("operator"), spec.get("right")
        if left is None or op is None or right is None:
            raise RuleError(_("rule %(code)s: give check, or left, operator and right")
                            % {"code": code})
        if op not in OPERATORS:
            raise RuleError(_("rule %(code)s: operator must be one of %(ops)s")
                            % {"code": code, "ops": " ".join(OPERATORS)})
        check = f"({left}) {'=' if op == '==' else op} ({right})"
    check_sql, columns = checked_sql(str(check), scope, where=f"{code}.check")
    applies_sql = ""
    if spec.get("applies"):
        applies_sql, more = checked_sql(str(spec["applies"]), scope, where=f"{code}.applies")
        columns |= more
    details = spec.get("details") or ()
    if isinstance(details, str):
        details = [d.strip() for d in details.split(",") if d.strip()]
    for name in details:
        if name not in COLUMNS[scope]:
            raise RuleError(_("rule %(code)s: unknown detail column %(col)s")
                            % {"code": code, "col": name})
    columns.discard("today")
    return Rule(code=code, name=_texts(spec.get("name"), code, "name"),
                message=_texts(spec.get("message"), code, "message"), importance=importance,
                scope=scope, check=check_sql, applies=applies_sql, details=tuple(details),
                columns=tuple(sorted(columns)), org_path=org_path, source=source)


def parse_rules(text: str, source: str = "rules.yaml") -> list[Rule]:
    """Rules from YAML text (a list under ``rules:``); every mistake names the rule."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RuleError(_("%(source)s is not valid YAML: %(reason)s")
                        % {"source": source, "reason": exc}) from None
    specs = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(specs, list):
        raise RuleError(_("%(source)s: expected a list under rules:") % {"source": source})
    rules = [make_rule(spec, source=source) for spec in specs]
    seen: set[str] = set()
    for rule in rules:
        if rule.code in seen:
            raise RuleError(_("%(source)s: the rule code %(code)s appears twice")
                            % {"source": source, "code": rule.code})
        seen.add(rule.code)
    return rules


def load_rules(path: Path) -> list[Rule]:
    return parse_rules(Path(path).read_text(encoding="utf-8"), source=Path(path).name)


@lru_cache(maxsize=1)
def _builtin_cached(mtime: float) -> tuple[Rule, ...]:
    return tuple(load_rules(RULES_FILE))


def builtin_rules() -> list[Rule]:
    """The rules shipped in ``rules.yaml``."""
    return list(_builtin_cached(RULES_FILE.stat().st_mtime))


def rule_from_office_rule(row) -> Rule:
    """A :class:`Rule` from an :class:`~renkou.quality.models.OfficeRule` row."""
    spec = {
        "code": row.code,
        "name": {"zh": row.name_zh, "en": row.name_en},
        "message": {"zh": row.message_zh, "en": row.message_en},
        "importance": row.importance,
        "scope": row.scope,
        "check": row.must_hold,
        "applies": row.applies or None,
        "details": row.details or (),
    }
    org_path = row.org.path if row.org_id else ""
    return make_rule(spec, source=f"office rule {row.code}", org_path=org_path)
