"""Office rules (本单位校验规则): installing, trying, disabling and removing them.

An office adds rules without code (:class:`~renkou.quality.models.OfficeRule`), so a rule
must not be able to break the check for everyone. Before a rule is stored it is tried
on the current register and on an empty one with the same columns (:func:`try_rules`):
a rule DuckDB cannot run — ``CAST(id_body AS INTEGER) > 0`` fails on the first ID
number ending in X — is refused with DuckDB's reason. A rule that starts failing later
(on data that came after it) is switched off by the check run that meets the failure
(:func:`disable_failing`), reported, and logged; the other rules still run.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit

from .checks import evaluate
from .models import OfficeRule, Violation
from .relations import load_register
from .rules import Rule, RuleError, builtin_rules, load_rules

__all__ = ["install_office_rules", "check_rules_file", "try_rules", "disable_failing", "set_active",
           "remove_office_rule", "office_rules_of"]


def try_rules(rules: list[Rule]) -> dict[str, str]:
    """Each rule that cannot run, by code, with DuckDB's reason: tried on an empty
    register with the same columns (types and names) and on the whole current one."""
    failed: dict[str, str] = {}
    for empty in (True, False):
        reg = load_register(None, empty=empty)
        try:
            evaluate(reg, [r for r in rules if r.code not in failed], failed)
        finally:
            reg.close()
    return failed


def _refuse_failing(rules: list[Rule]) -> None:
    failed = try_rules(rules)
    if failed:
        raise RuleError("; ".join(
            _("rule %(code)s cannot run on the register: %(reason)s")
            % {"code": code, "reason": reason} for code, reason in sorted(failed.items())))


def _may_manage(user, org: OrgUnit | None) -> OrgUnit | None:
    """The unit a user's rules run in: its own subtree, never above it."""
    if user is None or user.is_superuser:
        return org
    if not has_capability(user, Capability.EDIT_REGISTER) or not user.org_id:
        raise PermissionDenied
    if org is not None and not OrgUnit.objects.visible_to(user).filter(pk=org.pk).exists():
        raise PermissionDenied
    return org or user.org


def check_rules_file(path: Path) -> list[Rule]:
    """The rules of a YAML file, each checked and tried on the register (nothing stored)."""
    rules = load_rules(path)
    _refuse_failing(rules)
    return rules


def install_office_rules(path: Path, *, org: OrgUnit | None = None, user=None) -> list[str]:
    """Store the rules of a YAML file (the format of ``rules.yaml``) as office rules
    running in ``org``'s subtree (the whole register when ``None``): every rule is
    checked and tried first, and nothing is stored unless all are valid and run; a rule
    whose code is already an office rule replaces it; a built-in code is refused.
    Returns the codes stored. A user may only install rules for its own subtree."""
    org = _may_manage(user, org)
    rules = load_rules(path)
    builtin = {r.code for r in builtin_rules()}
    clash = sorted(r.code for r in rules if r.code in builtin)
    if clash:
        raise RuleError(_("%(codes)s: the code of a built-in rule; choose another code")
                        % {"codes": ", ".join(clash)})
    _refuse_failing(rules)
    with transaction.atomic():
        for rule in rules:
            OfficeRule.objects.update_or_create(code=rule.code, defaults={
                "name_zh": rule.name.get("zh", ""), "name_en": rule.name.get("en", ""),
                "message_zh": rule.message.get("zh", ""), "message_en": rule.message.get("en", ""),
                "importance": rule.importance, "scope": rule.scope, "applies": rule.applies,
                "must_hold": rule.check, "details": ",".join(rule.details), "org": org,
                "active": True, "created_by": user,
            })
        audit.record(AuditAction.CHANGE, "office_rules", org.code if org else "",
                     details={"codes": [r.code for r in rules], "file": Path(path).name},
                     user=user)
    return [r.code for r in rules]


def disable_failing(failed: dict[str, str], user=None) -> list[str]:
    """Switch off the office rules among ``failed`` (code → reason) and log why; the
    codes switched off. A built-in rule that fails is a defect of renkou: it is
    reported by the check run, not switched off."""
    codes = list(OfficeRule.objects.filter(code__in=list(failed), active=True)
                 .values_list("code", flat=True))
    if codes:
        with transaction.atomic():
            OfficeRule.objects.filter(code__in=codes).update(active=False)
            for code in codes:
                audit.record(AuditAction.CHANGE, "office_rule", code, details={
                    "active": False, "reason": failed[code]}, user=user)
    return codes


def office_rules_of(user) -> list[OfficeRule]:
    """The office rules a user may see and manage: those of units in its subtree (and,
    for a superuser or the county's root, those of the whole register)."""
    rules = OfficeRule.objects.select_related("org").order_by("code")
    if user.is_superuser:
        return list(rules)
    visible = set(OrgUnit.objects.visible_to(user).values_list("pk", flat=True))
    is_root = user.org is not None and user.org.parent_id is None
    return [r for r in rules if (r.org_id in visible) or (r.org_id is None and is_root)]


def _managed(code: str, user) -> OfficeRule:
    rule = OfficeRule.objects.filter(code=code).first()
    if rule is None or (user is not None and rule not in office_rules_of(user)):
        raise OfficeRule.DoesNotExist(_("there is no office rule %(code)s") % {"code": code})
    if user is not None and not has_capability(user, Capability.EDIT_REGISTER):
        raise PermissionDenied
    return rule


def set_active(code: str, active: bool, *, user=None) -> OfficeRule:
    """Switch an office rule on (after trying it again) or off; logged."""
    rule = _managed(code, user)
    if active:
        from .rules import rule_from_office_rule

        _refuse_failing([rule_from_office_rule(rule)])
    rule.active = active
    rule.save(update_fields=["active"])
    audit.record(AuditAction.CHANGE, "office_rule", code, details={"active": active}, user=user)
    return rule


@transaction.atomic
def remove_office_rule(code: str, *, user=None) -> int:
    """Delete an office rule and its findings; logged. The number of findings removed."""
    rule = _managed(code, user)
    removed, _by_model = Violation.objects.filter(rule_code=code).delete()
    rule.delete()
    audit.record(AuditAction.CHANGE, "office_rule", code, details={
        "removed": True, "findings_removed": removed}, user=user)
    return removed
