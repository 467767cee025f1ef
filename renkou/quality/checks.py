"""Evaluating validation rules, set-based, in DuckDB.

Each rule is one ``SELECT`` over its scope's table of a
:class:`~renkou.quality.relations.LoadedRegister`: the records in the subtree asked
for where ``applies`` is true and ``check`` is false. The fingerprint of a finding is
the MD5 of the values of the columns the rule reads, so a finding accepted as correct
is recognised on the next run until one of those values changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from renkou.core.scoping import subtree_sql

from .relations import LoadedRegister
from .rules import Rule

__all__ = ["Finding", "evaluate", "evaluate_rule", "failure_reason"]

_KEY = {
    "person": ("'p:' || person_id", "person_id", "NULL::BIGINT", "registered_org_id"),
    "event": ("'e:' || event_id", "person_id", "event_id", "person_org_id"),
    "aggregate": ("'o:' || org_id", "NULL::BIGINT", "NULL::BIGINT", "org_id"),
}


_TABLE = {"person": "person", "event": "event", "aggregate": "unit"}


@dataclass(frozen=True, slots=True)
class Finding:
    rule_code: str
    subject: str
    person_id: int | None
    event_id: int | None
    org_id: int
    fingerprint: str
    details: dict[str, Any]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def evaluate_rule(reg: LoadedRegister, rule: Rule) -> list[Finding]:
    """The records of the loaded subtree that break ``rule``."""
    subject, person, event, org = _KEY[rule.scope]
    fp_cols = ", ".join(f"COALESCE(CAST({c} AS VARCHAR), '∅')" for c in rule.columns) or "''"
    detail_cols = "".join(f", {c} AS \"d_{c}\"" for c in rule.details)
    where = [f"({rule.applies}) IS TRUE" if rule.applies else "TRUE", f"({rule.check}) IS FALSE",
             "in_scope"]
    params: list[Any] = []
    if rule.org_path:
        in_area, area_params = subtree_sql("_path", rule.org_path, "?")
        where.append(in_area)
        params += area_params
    sql = (f"SELECT {subject} AS subject, {person} AS person_id, {event} AS event_id, "
           f"{org} AS org_id, md5(concat_ws('|', '{rule.code}', {fp_cols})) AS fp{detail_cols} "
           f"FROM {_TABLE[rule.scope]} WHERE {' AND '.join(where)} ORDER BY subject")
    cursor = reg.con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    found = []
    for row in cursor.fetchall():
        details = {n[2:]: _plain(v) for n, v in zip(names[5:], row[5:], strict=True)}
        found.append(Finding(rule.code, row[0], row[1], row[2], row[3], row[4], details))
    return found


def evaluate(reg: LoadedRegister, rules: list[Rule],
             failed: dict[str, str] | None = None) -> list[Finding]:
    """Every rule over the loaded subtree. With ``failed``, a rule that DuckDB cannot run
    on these data (a conversion that fails on some value, say) is skipped and its reason
    put in ``failed`` under its code, so that one bad rule cannot stop the others."""
    findings: list[Finding] = []
    for rule in rules:
        if failed is None:
            findings.extend(evaluate_rule(reg, rule))
            continue
        try:
            findings.extend(evaluate_rule(reg, rule))
        except duckdb.Error as exc:
            failed[rule.code] = failure_reason(exc)
    return findings


def failure_reason(exc: Exception) -> str:
    """DuckDB's reason for a failing rule, on one line."""
    return " ".join(str(exc).split())[:300]
