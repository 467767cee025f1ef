"""Models of family benefits (利益导向).

Programmes themselves are configuration (``programmes.yaml``); the database holds
the versions an office adds (:class:`ProgrammeVersion`, overriding the YAML), the
applications and their append-only :class:`Decision` rows, the public notices
(公示) with their objections, and the payment rosters.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from renkou.core.models import AppendOnlyModel, RecordIsAppendOnly
from renkou.core.scoping import OrgScopedQuerySet

__all__ = [
    "ProgrammeVersion",
    "ApplicationState",
    "Application",
    "Step",
    "Decision",
    "DecisionIsAppendOnly",
    "Notice",
    "Objection",
    "Roster",
    "Payment",
    "describe_facts",
]


class ProgrammeVersion(models.Model):
    """A programme version added by an office; overrides the shipped YAML versions.

    ``org_prefix`` is a division-code prefix ("" everywhere); ``amounts`` maps a rate
    (``default``, or ``death``/``disability``) to yuan per unit; ``criteria`` holds the
    rule's parameters (empty: those of the YAML version it replaces).
    """

    programme = models.CharField(_("programme"), max_length=40, db_index=True)
    effective_from = models.DateField(_("effective from"))
    org_prefix = models.CharField(_("division-code prefix"), max_length=15, blank=True)
    amounts = models.JSONField(_("amounts"), default=dict)
    criteria = models.JSONField(_("criteria"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["programme", "effective_from", "id"]
        verbose_name = _("programme version")
        verbose_name_plural = _("programme versions")

    def __str__(self) -> str:
        return f"{self.programme} {self.effective_from} {self.org_prefix or '*'}"


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("awaiting village review")
    VILLAGE_PASSED = "village_passed", _("awaiting township review")
    TOWNSHIP_PASSED = "township_passed", _("awaiting public notice")
    ON_NOTICE = "on_notice", _("on public notice")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    SUSPENDED = "suspended", _("suspended")
    STOPPED = "stopped", _("stopped")


class ApplicationQuerySet(OrgScopedQuerySet):
    org_path_lookup = "org__path"
    required_capability = "manage_benefits"


class Application(models.Model):
    """An application for a programme (申请), opened from screening or a walk-in request.

    ``person`` is the recipient (for the childcare subsidy, the child; ``payee_name`` is
    the guardian paid). ``facts`` are the register facts that made the person eligible
    when the application was opened; ``attestations`` are facts the register cannot know,
    attested by a named reviewer (never a classification of births).
    """

    programme = models.CharField(_("programme"), max_length=40, db_index=True)
    year = models.PositiveSmallIntegerField(_("year applied for"))
    person = models.ForeignKey("register.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="benefit_applications")
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"),
                            on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=12,
                              choices=[("screening", _("screening")), ("walk_in", _("walk-in"))])
    rate = models.CharField(_("rate"), max_length=20, default="default")
    state = models.CharField(_("state"), max_length=16, choices=ApplicationState.choices,
                             default=ApplicationState.SUBMITTED, db_index=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    attestations = models.JSONField(_("attestations"), default=dict, blank=True)
    payee_name = models.CharField(_("account holder"), max_length=50, blank=True)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("bank account number"), max_length=40, blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    ended_on = models.DateField(_("last day due"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"], name="one_application_per_programme",
                                    condition=~models.Q(state__in=["rejected", "stopped"])),
        ]

    def __str__(self) -> str:
        return f"{self.programme} #{self.pk}"

    @property
    def programme_label(self) -> str:
        return programme_label(self.programme)

    @property
    def end_reason_label(self) -> str:
        return outcome_label(self.end_reason)

    @property
    def facts_text(self) -> str:
        return describe_facts(self.facts or {})

    @property
    def rate_label(self) -> str:
        """The rate as the pages show it (特别扶助: 死亡 / 伤残; others have one rate)."""
        from .programmes import label

        return label(self.rate)


class Step(models.TextChoices):
    OPEN = "open", _("application opened")
    VILLAGE = "village", _("village review")
    TOWNSHIP = "township", _("township review")
    NOTICE = "notice", _("public notice")
    OBJECTION = "objection", _("objection")
    RESOLUTION = "resolution", _("objection resolved")
    COUNTY = "county", _("county approval")
    REQUALIFY = "requalify", _("requalification")
    STOP = "stop", _("payments stopped")
    ACCOUNT = "account", _("bank account")


#: What the pages show for a decision's outcome and an application's end reason.
OUTCOME_LABELS = {
    "screening": _("opened from screening"), "walk_in": _("walk-in request"),
    "passed": _("passed"), "rejected": _("rejected"), "approved": _("approved"),
    "posted": _("posted"), "recorded": _("recorded"), "set": _("set"),
    "stopped": _("stopped"), "suspended": _("suspended"), "confirmed": _("confirmed"),
    "dismissed": _("dismissed"), "upheld": _("upheld"), "death": _("death"),
    "move_out": _("moved out of the area"),
}


def outcome_label(word: str) -> str:
    return str(OUTCOME_LABELS.get(word, word))


def describe_facts(facts: dict[str, Any]) -> str:
    """The register facts behind an eligibility, as a clerk reads them
    (``age_in_year=68 children=1 basis=one_child`` → ``当年68岁；子女1个；依据：独生子女``)."""
    words = {"rural": gettext("rural hukou"), "urban": gettext("urban hukou"),
             "one_child": gettext("one child"),
             "two_daughters": gettext("two children, both daughters"),
             "all_children_died": gettext("all children died"),
             "only_child_died": gettext("the only child died"), "death": gettext("died"),
             "move_out": gettext("moved out of the area")}
    templates = {
        "age_in_year": gettext("aged %(v)s in the year"),
        "mother_age_in_year": gettext("mother aged %(v)s in the year"),
        "hukou_type": "%(v)s", "children": gettext("%(v)s children"),
        "daughters": gettext("%(v)s daughters"),
        "children_died": gettext("%(v)s children died"), "basis": gettext("basis: %(v)s"),
        "child_died_on": gettext("child died on %(v)s"), "birth_date": gettext("born %(v)s"),
        "months_under_age": gettext("%(v)s months under the age limit"),
        "left_on": gettext("left the register on %(v)s"), "left_reason": "%(v)s",
    }
    parts = []
    for key, value in facts.items():
        shown = words.get(value, value) if isinstance(value, str) else value
        parts.append(templates[key] % {"v": shown} if key in templates else f"{key}={value}")
    return gettext("; ").join(str(part) for part in parts)


def programme_label(code: str) -> str:
    from .programmes import programmes

    found = programmes().get(code)
    return found.label if found else code


class DecisionIsAppendOnly(RecordIsAppendOnly):
    """Raised on any attempt to change or delete a recorded decision."""


class Decision(AppendOnlyModel):
    """One step of the workflow, as decided (append-only): who, when, what, why."""

    application = models.ForeignKey(Application, verbose_name=_("application"),
                                    on_delete=models.PROTECT, related_name="decisions")
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    outcome = models.CharField(_("outcome"), max_length=16)
    comment = models.TextField(_("comment"), blank=True)
    state_after = models.CharField(_("state"), max_length=16, choices=ApplicationState.choices)
    attachment_name = models.CharField(_("attachment"), max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.BinaryField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    append_only_error = DecisionIsAppendOnly
    append_only_message = "decisions are append-only"

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.step} {self.outcome}"


    @property
    def outcome_label(self) -> str:
        return outcome_label(self.outcome)



class NoticeQuerySet(OrgScopedQuerySet):
    org_path_lookup = "org__path"
    required_capability = "manage_benefits"


class Notice(models.Model):
    """A public notice (公示) of applications: names and masked ID numbers, for a period."""

    programme = models.CharField(_("programme"), max_length=40)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"),
                            on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    applications = models.ManyToManyField(Application, verbose_name=_("applications"),
                                          related_name="notices")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")

    def __str__(self) -> str:
        return f"{self.programme} {self.starts_on}–{self.ends_on}"

    @property
    def programme_label(self) -> str:
        return programme_label(self.programme)



class Objection(models.Model):
    """An objection raised during a notice (异议), recorded and later resolved."""

    notice = models.ForeignKey(Notice, verbose_name=_("public notice"),
                               on_delete=models.PROTECT, related_name="objections")
    application = models.ForeignKey(Application, verbose_name=_("application"),
                                    on_delete=models.PROTECT, related_name="objections")
    received_on = models.DateField(_("received on"))
    text = models.TextField(_("objection"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, on_delete=models.PROTECT, related_name="+")
    resolution = models.CharField(_("resolution"), max_length=10, blank=True,
                                  choices=[("dismissed", _("dismissed")), ("upheld", _("upheld"))])
    resolution_comment = models.TextField(_("comment"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.received_on} {self.text[:20]}"


class RosterQuerySet(OrgScopedQuerySet):
    org_path_lookup = "org__path"
    required_capability = "manage_benefits"


class Roster(models.Model):
    """A payment roster (发放花名册) of one programme for one period (``2025`` or ``2025-03``)."""

    programme = models.CharField(_("programme"), max_length=40)
    period = models.CharField(_("period"), max_length=7)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"),
                            on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("payment due by"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RosterQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "-id"]
        verbose_name = _("payment roster")
        verbose_name_plural = _("payment rosters")

    def __str__(self) -> str:
        return f"{self.programme} {self.period}"

    @property
    def programme_label(self) -> str:
        return programme_label(self.programme)



class Payment(models.Model):
    """One line of a roster: what one recipient is due for some months of one year.

    ``months`` lists the months (1–12 of ``year``) paid by this line; months before the
    roster's period are arrears (补发) for a late approval.
    """

    roster = models.ForeignKey(Roster, verbose_name=_("payment roster"), on_delete=models.PROTECT,
                               related_name="payments")
    application = models.ForeignKey(Application, verbose_name=_("application"),
                                    on_delete=models.PROTECT, related_name="payments")
    person = models.ForeignKey("register.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="+")
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"),
                            on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    months = models.JSONField(_("months"), default=list)
    arrears_months = models.PositiveSmallIntegerField(_("months in arrears"), default=0)
    amount = models.DecimalField(_("amount due"), max_digits=12, decimal_places=2)
    paid = models.BooleanField(_("paid"), default=False)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        ordering = ["roster", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.person_id} {self.year} {self.amount}"


class ScreeningRun(models.Model):
    """A screening (资格筛查) computed once — by a background job for a county — whose
    list the pages turn through without computing it again. It rests on the ledger up
    to ``ledger_event_id``: once the ledger has grown, it is no longer current and the
    next screening computes a new one. A user's earlier run of the same programme, year
    and unit is replaced by the new one; runs are for the user who made them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("screened by"),
                             on_delete=models.CASCADE, related_name="+")
    programme = models.CharField(_("programme"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    #: the unit screened; NULL: the whole register (a superuser)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"), null=True,
                            blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("screened at"), auto_now_add=True)
    ledger_event_id = models.BigIntegerField(_("last ledger event read"), default=0)
    total = models.PositiveIntegerField(_("persons eligible"), default=0)
    amount = models.DecimalField(_("amount due"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "programme", "year", "org"])]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")

    def __str__(self) -> str:
        return f"{self.programme} {self.year} ({self.total})"


class ScreeningRow(models.Model):
    """One eligible person of a stored screening, as the list shows it (the ID number
    kept masked only: the list never shows it whole)."""

    run = models.ForeignKey(ScreeningRun, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField()
    person_id = models.BigIntegerField()
    name = models.CharField(max_length=100)
    masked_id_number = models.CharField(max_length=32, blank=True)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    org_code = models.CharField(max_length=32)
    org_name = models.CharField(max_length=100)
    facts_text = models.TextField(blank=True)
    facts = models.TextField(blank=True)  # ``key=value; …`` for the CSV file
    months = models.CharField(max_length=40, blank=True)  # ``1 2 3 …``
    months_due = models.PositiveSmallIntegerField(default=0)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"],
                                               name="screening_row_position")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.position} {self.person_id}"
