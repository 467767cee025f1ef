"""The rules in force: the built-in rules of ``rules.yaml`` and the offices' active rules
(:class:`~renkou.quality.models.OfficeRule` rows), read from the database.

:mod:`renkou.quality.rules` defines and checks rules and reads no model; this module
adds the offices' rows to them.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import OfficeRule
from .rules import Rule, RuleError, builtin_rules, rule_from_office_rule

__all__ = ["active_rules", "rules_by_code"]


def active_rules() -> list[Rule]:
    """The built-in rules and the offices' active rules (an office rule may not reuse a
    built-in code)."""
    rules = builtin_rules()
    codes = {r.code for r in rules}
    for row in OfficeRule.objects.filter(active=True).select_related("org"):
        if row.code in codes:
            raise RuleError(_("office rule %(code)s has the code of a built-in rule")
                            % {"code": row.code})
        rules.append(rule_from_office_rule(row))
    return rules


def rules_by_code() -> dict[str, Rule]:
    """Every known rule by code (office rules that no longer check are left out)."""
    try:
        return {r.code: r for r in active_rules()}
    except RuleError:
        return {r.code: r for r in builtin_rules()}
