"""Models of data quality: rule violations (校验问题), office rules, the stored scorecard.

The built-in validation rules are data in ``rules.yaml``; an office may add its own
rules as :class:`OfficeRule` rows (same fields, same checks). A check run writes
:class:`Violation` rows; a clerk works through them and marks each fixed or accepted
as correct (with a comment). The scorecard (数据质量评分) is computed by a batch job
and stored in :class:`ScorecardRow`, one row per org unit, so pages never recompute it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.core.scoping import OrgScopedQuerySet

from .vocabulary import Importance, Scope

__all__ = ["ViolationStatus", "OfficeRule", "Violation", "ScorecardRow"]


class ViolationStatus(models.TextChoices):
    OPEN = "open", _("open")
    FIXED = "fixed", _("fixed")
    ACCEPTED = "accepted", _("accepted as correct")


class OfficeRule(models.Model):
    """A validation rule an office adds without code (same fields as ``rules.yaml``).

    ``applies`` and ``must_hold`` (the rule's ``check``) are SQL boolean expressions
    over the documented columns of the rule's scope (see ``rules.yaml``); they are
    parsed and checked against a whitelist before they are saved or run, so they can
    only read those columns.
    The rule runs in ``org``'s subtree (the whole register when empty).
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    message_zh = models.CharField(_("message (Chinese)"), max_length=300)
    message_en = models.CharField(_("message (English)"), max_length=300, blank=True)
    importance = models.CharField(_("importance"), max_length=6, choices=Importance.choices,
                                  default=Importance.MEDIUM)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices,
                             default=Scope.PERSON)
    applies = models.TextField(_("applies when"), blank=True)
    must_hold = models.TextField(_("must hold"))
    details = models.CharField(_("detail columns"), max_length=300, blank=True,
                               help_text=_("column names separated by commas"))
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"), null=True,
                            blank=True, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("office validation rule")
        verbose_name_plural = _("office validation rules")

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        # rules.py imports no model (no cycle); imported here so that loading the
        # models does not load its SQL parser
        from .rules import RuleError, rule_from_office_rule

        try:
            rule_from_office_rule(self)
        except RuleError as exc:
            raise ValidationError(str(exc)) from exc


class ViolationQuerySet(OrgScopedQuerySet):
    org_path_lookup = "org__path"
    required_capability = "view_register"


class Violation(models.Model):
    """One record that breaks one rule (校验问题), found by a check run.

    ``subject`` identifies what broke the rule (``p:<person_id>``, ``e:<event_id>`` or
    ``o:<org_id>``); ``fingerprint`` is a hash of the values the rule looked at, so a
    decision "accepted as correct" keeps the same finding from being reported again
    until those values change. ``org`` is the person's registered unit (the unit whose
    worklist shows it) or, for a rule on totals, the unit itself.
    """

    rule_code = models.CharField(_("rule"), max_length=40, db_index=True)
    subject = models.CharField(_("subject"), max_length=24)
    person = models.ForeignKey("register.Person", verbose_name=_("person"), null=True,
                               blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("register.LifeEvent", verbose_name=_("life event"), null=True,
                              blank=True, on_delete=models.CASCADE, related_name="+",
                              db_index=False)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"),
                            on_delete=models.CASCADE, related_name="+")
    details = models.JSONField(_("details"), default=dict, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=32)
    status = models.CharField(_("status"), max_length=8, choices=ViolationStatus.choices,
                              default=ViolationStatus.OPEN)
    comment = models.TextField(_("comment"), blank=True)
    found_at = models.DateTimeField(_("found at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    objects = ViolationQuerySet.as_manager()

    class Meta:
        ordering = ["org", "rule_code", "id"]
        verbose_name = _("rule violation")
        verbose_name_plural = _("rule violations")
        indexes = [models.Index(fields=["org", "status"], name="violation_org_status"),
                   models.Index(fields=["rule_code", "subject"], name="violation_subject")]

    def __str__(self) -> str:
        return f"{self.rule_code} {self.subject}"


class ScorecardRow(models.Model):
    """The data-quality measures of one org unit as the last scorecard job computed them."""

    org = models.OneToOneField("orgunits.OrgUnit", verbose_name=_("org unit"),
                               on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(_("computed at"))
    values = models.JSONField(_("measures"), default=dict)

    class Meta:
        ordering = ["org__code"]
        verbose_name = _("scorecard row")
        verbose_name_plural = _("scorecard rows")

    def __str__(self) -> str:
        return f"{self.org_id} {self.computed_at:%Y-%m-%d}"
