"""Data-quality services: check runs, worklists, decisions, exports, the scorecard.

- :func:`run_checks` evaluates every active rule over an org subtree and rewrites the
  subtree's open violations in one transaction; decisions already taken stay: a
  finding accepted as correct is not reported again while the values the rule reads
  are unchanged (same fingerprint); one marked fixed that is still found comes back
  as open.
- :func:`violation_summary` counts open violations per rule for the children of a
  unit (one GROUP BY, rolled up via ``OrgUnit.path``), for the drill-down page.
- :func:`worklist` / :func:`resolve` / :func:`export_worklist`: a unit's list, a
  clerk's decision (fixed or accepted as correct, with a comment), the Excel export.
- The scorecard lives in :mod:`renkou.quality.scorecard`.

Nothing here penalises anyone: the system measures and ranks data quality so that
offices can find and fix records (DESIGN.md §2).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.progress import step
from renkou.core.tables import TableWriter
from renkou.orgunits.models import OrgUnit
from renkou.register.identity import mask_id_number
from renkou.register.models import EventType

from .checks import Finding, evaluate
from .models import Violation, ViolationStatus
from .office_rules import disable_failing
from .relations import load_register, subtree_q
from .rules import Rule
from .rules_in_force import active_rules, rules_by_code

__all__ = ["CheckReport", "run_checks", "violation_summary", "worklist", "resolve",
           "export_worklist", "WORKLIST_COLUMNS", "display_details", "visible_unit"]

BATCH = 2000


@dataclass
class CheckReport:
    """What a check run found: per rule, findings and how many were already accepted."""

    unit: OrgUnit | None
    rules: list[Rule]
    found: Counter = field(default_factory=Counter)
    #: rules that could not run, by code, with the reason (their findings stay as they were)
    failed: dict[str, str] = field(default_factory=dict)
    #: the office rules among them, switched off by this run
    disabled: list[str] = field(default_factory=list)
    accepted: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def open(self) -> Counter:
        return self.found - self.accepted

    def rows(self) -> list[dict[str, Any]]:
        return [{"rule": r.code, "name": r.display_name, "importance": r.importance,
                 "scope": r.scope, "found": self.found[r.code], "accepted": self.accepted[r.code],
                 "open": self.found[r.code] - self.accepted[r.code]} for r in self.rules]


def _violations_in(unit: OrgUnit | None) -> models.QuerySet[Violation]:
    qs = Violation.objects.all()
    if unit is not None:
        qs = qs.filter(org_id__in=OrgUnit.objects.filter(subtree_q(unit)).values("pk"))
    return qs


def run_checks(unit: OrgUnit | None = None, *, user=None, today: dt.date | None = None,
               rules: list[Rule] | None = None) -> CheckReport:
    """Run the rules over ``unit``'s subtree (default: the whole register) and store the
    open violations. With ``user``, the unit must lie in the user's subtree and the run
    is logged under the user's name."""
    if user is not None:
        if not has_capability(user, Capability.VIEW_REGISTER):
            raise PermissionDenied(_("this role may not read person records"))
        if not user.is_superuser:
            unit = unit or user.org
            if unit is None or not OrgUnit.objects.visible_to(user).filter(pk=unit.pk).exists():
                raise OrgUnit.DoesNotExist
    rules = active_rules() if rules is None else rules
    report = CheckReport(unit=unit, rules=rules)
    started = time.perf_counter()
    step(_("reading the register"), 0, 3)
    reg = load_register(unit, today=today)
    report.seconds.update({f"load_{k}": v for k, v in reg.seconds.items()})
    try:
        t = time.perf_counter()
        step(_("checking the rules"), 1, 3)
        findings = evaluate(reg, rules, report.failed)
        report.seconds["evaluate"] = time.perf_counter() - t
    finally:
        reg.close()
    if report.failed:
        report.disabled = disable_failing(report.failed, user)
        report.rules = rules = [r for r in rules if r.code not in report.failed]
    t = time.perf_counter()
    step(_("storing the findings"), 2, 3)
    with transaction.atomic():  # the findings and the log entry of the run, or neither
        _store(findings, unit, rules, report)
        audit.record(AuditAction.CHECK, "quality_check", unit.code if unit else "", details={
            "org": unit.code if unit else "", "violations": sum(report.open.values()),
            "rules": len(rules), **({"failed": sorted(report.failed)} if report.failed else {})},
            user=user)
    report.seconds["store"] = time.perf_counter() - t
    report.seconds["total"] = time.perf_counter() - started
    return report


@transaction.atomic
def _store(findings: list[Finding], unit: OrgUnit | None, rules: list[Rule],
           report: CheckReport) -> None:
    codes = [r.code for r in rules]
    existing = _violations_in(unit).filter(rule_code__in=codes)
    accepted = set(existing.filter(status=ViolationStatus.ACCEPTED)
                   .values_list("rule_code", "subject", "fingerprint"))
    first_found = {(c, s, f): at for c, s, f, at in existing.filter(status=ViolationStatus.OPEN)
                   .values_list("rule_code", "subject", "fingerprint", "found_at")}
    existing.filter(status=ViolationStatus.OPEN).delete()
    now = clock.now()
    new = []
    for f in findings:
        key = (f.rule_code, f.subject, f.fingerprint)
        report.found[f.rule_code] += 1
        if key in accepted:
            report.accepted[f.rule_code] += 1
            continue
        new.append(Violation(rule_code=f.rule_code, subject=f.subject, person_id=f.person_id,
                             event_id=f.event_id, org_id=f.org_id, details=f.details,
                             fingerprint=f.fingerprint, status=ViolationStatus.OPEN,
                             found_at=first_found.get(key, now)))
    Violation.objects.bulk_create(new, batch_size=BATCH)


def visible_unit(user, code: str | None) -> OrgUnit:
    """The unit with ``code`` in the user's subtree (default: the user's own unit, or the
    root for a superuser); ``OrgUnit.DoesNotExist`` otherwise."""
    unit = OrgUnit.objects.resolve_for(user, code)
    if unit is None:
        unit = OrgUnit.objects.filter(parent=None).order_by("code").first()
        if unit is None:
            raise OrgUnit.DoesNotExist
    return unit


def violation_summary(user, unit: OrgUnit) -> dict[str, Any]:
    """Open violations per rule for ``unit`` and each of its children (drill-down rows).

    One GROUP BY (org unit, rule) over the unit's subtree; each row is added to the
    child whose path it lies under.
    """
    children = list(OrgUnit.objects.visible_to(user).filter(parent=unit).order_by("code"))
    counts = (Violation.objects.visible_to(user).filter(status=ViolationStatus.OPEN)
              .filter(subtree_q(unit, "org__"))
              .values("org__path", "rule_code").annotate(n=models.Count("pk")))
    known = rules_by_code()
    per_child: dict[int, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    depth = unit.path.count("/") + 1
    child_by_code = {c.code: c for c in children}
    for row in counts:
        total[row["rule_code"]] += row["n"]
        parts = row["org__path"].split("/")
        if len(parts) > depth and parts[depth] in child_by_code:
            per_child[child_by_code[parts[depth]].pk][row["rule_code"]] += row["n"]
    order = {"high": 0, "medium": 1, "low": 2}
    codes = sorted(total, key=lambda c: (order.get(getattr(known.get(c), "importance", "low"), 3),
                                         c))
    rules = [known.get(code) or Rule(code=code, name={"zh": code}, message={"zh": code},
                                     importance="low", scope="person", check="TRUE")
             for code in codes]
    rows = [{"unit": c, "counts": [per_child[c.pk][code] for code in codes],
             "total": sum(per_child[c.pk].values())} for c in children]
    return {"unit": unit, "rules": rules, "rows": rows,
            "totals": [total[code] for code in codes], "total": sum(total.values())}


def worklist(user, unit: OrgUnit, *, rule: str = "", status: str = ViolationStatus.OPEN
             ) -> models.QuerySet[Violation]:
    """The violations of ``unit``'s subtree the user may see, oldest finding first."""
    qs = (Violation.objects.visible_to(user).filter(subtree_q(unit, "org__"))
          .select_related("person", "org", "resolved_by"))
    if rule:
        qs = qs.filter(rule_code=rule)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("org__code", "rule_code", "person_id", "pk")


def display_details(rule: Rule | None, details: dict[str, Any]) -> dict[str, Any]:
    """Details for people: the event type by its label, ID numbers masked."""
    shown = dict(details)
    if "event_type" in shown:
        shown["event_type"] = str(EventType(shown["event_type"]).label) \
            if shown["event_type"] in EventType.values else shown["event_type"]
    if "id_number" in shown:
        shown["id_number"] = mask_id_number(shown["id_number"])
    return shown


def describe(rule: Rule | None, details: dict[str, Any]) -> str:
    if rule is None:
        return ""
    return rule.describe(display_details(rule, details))


@transaction.atomic
def resolve(violation: Violation, *, status: str, comment: str, user) -> Violation:
    """Record a clerk's decision on a violation: fixed, or accepted as correct (with the
    reason), or reopened."""
    if status not in ViolationStatus.values:
        raise ValidationError({"status": _("unknown status")})
    comment = (comment or "").strip()
    if status == ViolationStatus.ACCEPTED and not comment:
        raise ValidationError({"comment": _("say why the record is correct as it stands")})
    violation.status = status
    violation.comment = comment
    if status == ViolationStatus.OPEN:
        violation.resolved_at, violation.resolved_by = None, None
    else:
        violation.resolved_at = clock.now()
        violation.resolved_by = user if getattr(user, "is_authenticated", False) else None
    violation.save(update_fields=["status", "comment", "resolved_at", "resolved_by"])
    audit.record(AuditAction.DECIDE, "violation", violation.pk, details={
        "rule": violation.rule_code, "status": status, "person_id": violation.person_id},
        user=user)
    return violation


WORKLIST_COLUMNS = ("violation_id", "org_code", "org_name", "rule", "rule_name", "importance",
                    "person_id", "name", "id_number", "event_id", "message", "status", "comment",
                    "found_at", "resolved_by")


def export_worklist(out: str | Path, user, unit: OrgUnit, *, rule: str = "",
                    status: str = ViolationStatus.OPEN) -> int:
    """Write the worklist to ``.xlsx`` or ``.csv`` (ID numbers masked); logged."""
    if user is not None and not has_capability(user, Capability.EXPORT_REGISTER):
        raise PermissionDenied(_("this role may not export person records"))
    known = rules_by_code()
    qs = worklist(user, unit, rule=rule, status=status) if user is not None else \
        Violation.objects.filter(subtree_q(unit, "org__")).select_related("person", "org",
                                                                         "resolved_by")
    n = 0
    with TableWriter(out, WORKLIST_COLUMNS, "worklist") as writer:
        for v in qs.iterator(chunk_size=BATCH):
            r = known.get(v.rule_code)
            writer.writerow((
                v.pk, v.org.code, v.org.name, v.rule_code, r.display_name if r else v.rule_code,
                r.importance if r else "", v.person_id or "", v.person.name if v.person else "",
                mask_id_number(v.person.id_number) if v.person else "", v.event_id or "",
                describe(r, v.details), str(ViolationStatus(v.status).label), v.comment,
                timezone.localtime(v.found_at).strftime("%Y-%m-%d %H:%M"),
                v.resolved_by.get_username() if v.resolved_by else "",
            ))
            n += 1
    audit.record(AuditAction.EXPORT, "violations", details={
        "org": unit.code, "rule": rule, "status": status, "rows": n, "file": Path(out).name},
        user=user)
    return n
