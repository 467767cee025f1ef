"""The words a validation rule is written with: its importance and its scope.

No model is defined here, so the rules (:mod:`renkou.quality.rules`) and the office
rules' model (:class:`~renkou.quality.models.OfficeRule`) use the same names without
importing each other.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Importance", "Scope"]


class Importance(models.TextChoices):
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


class Scope(models.TextChoices):
    """What a rule looks at: one person, one life event, or one org unit's totals."""

    PERSON = "person", _("person")
    EVENT = "event", _("life event")
    AGGREGATE = "aggregate", _("org unit totals")
