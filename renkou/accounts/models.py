"""Users, each bound to one org unit and one role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Role", "User"]


class Role(models.TextChoices):
    VILLAGE_CLERK = "village_clerk", _("village clerk")
    TOWNSHIP_OFFICER = "township_officer", _("township officer")
    COUNTY_OFFICER = "county_officer", _("county officer")
    STATISTICIAN = "statistician", _("statistician")
    AUDITOR = "auditor", _("auditor")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    org = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("org unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
