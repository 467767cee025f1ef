"""Models of duplicate detection (查重): detection runs and the candidate pairs they find.

A :class:`CandidatePair` is two records of the register that a run scored as
probably the same person. ``person_a`` is the earlier-registered record (lower
``person_id``) and ``person_b`` the later one (the one usually merged away). A
reviewer decides ``same`` (the two are merged through a ledger event) or
``different`` (remembered, and never proposed again by later runs).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from renkou.core.scoping import OrgScopedQuerySet, subtree_q, user_org_path

__all__ = ["PairStatus", "DetectionRun", "CandidatePair"]


class PairStatus(models.TextChoices):
    PENDING = "pending", _("pending review")
    SAME = "same", _("same person")
    DIFFERENT = "different", _("different persons")


class DetectionRun(models.Model):
    """One run of duplicate detection over an org subtree (or the whole register)."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("run by"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+")
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"), null=True, blank=True,
                            on_delete=models.PROTECT, related_name="+")
    persons = models.PositiveIntegerField(_("persons compared"), default=0)
    compared_pairs = models.PositiveBigIntegerField(_("pairs scored"), default=0)
    stored_pairs = models.PositiveIntegerField(_("candidate pairs"), default=0)
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    model = models.JSONField(_("trained model"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("duplicate detection run")
        verbose_name_plural = _("duplicate detection runs")

    def __str__(self) -> str:
        return f"{self.pk} {self.started_at:%Y-%m-%d %H:%M}"


class CandidatePairQuerySet(OrgScopedQuerySet):
    """Pairs a user may review: both records inside the user's subtree."""

    org_path_lookup = "person_b__registered_org__path"
    required_capability = "merge_duplicates"

    def visible_to(self, user) -> CandidatePairQuerySet:
        pairs = super().visible_to(user)
        path = user_org_path(user) if user.is_authenticated else ""
        if not path:
            return pairs
        return pairs.filter(subtree_q(path, "person_a__registered_org__path"))


class CandidatePair(models.Model):
    """Two records scored as probably one person (疑似重复)."""

    person_a = models.ForeignKey("register.Person", verbose_name=_("earlier record"),
                                 on_delete=models.PROTECT, related_name="+")
    person_b = models.ForeignKey("register.Person", verbose_name=_("later record"),
                                 on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField(_("match probability"), db_index=True)
    match_weight = models.FloatField(_("match weight"))
    explanation = models.JSONField(_("field comparison"), default=dict, blank=True)
    run = models.ForeignKey(DetectionRun, verbose_name=_("detection run"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="pairs")
    status = models.CharField(_("status"), max_length=10, choices=PairStatus.choices,
                              default=PairStatus.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    merge_event = models.ForeignKey("register.LifeEvent", verbose_name=_("merge event"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    objects = CandidatePairQuerySet.as_manager()

    class Meta:
        ordering = ["-probability", "pk"]
        verbose_name = _("candidate duplicate pair")
        verbose_name_plural = _("candidate duplicate pairs")
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="dedupe_pair_unique"),
            models.CheckConstraint(condition=Q(person_a__lt=models.F("person_b")),
                                   name="dedupe_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id}–{self.person_b_id} ({self.probability:.3f})"
