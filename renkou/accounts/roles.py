"""The roles of DESIGN.md §1 (no models here, so that every app's ``AppConfig`` may
name them when it declares which roles get its capabilities)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Role"]


class Role(models.TextChoices):
    VILLAGE_CLERK = "village_clerk", _("village clerk")
    TOWNSHIP_OFFICER = "township_officer", _("township officer")
    COUNTY_OFFICER = "county_officer", _("county officer")
    STATISTICIAN = "statistician", _("statistician")
    AUDITOR = "auditor", _("auditor")
    #: 服务站/卫生院 技术人员: records and reads voluntary health-service encounters and
    #: consents of its subtree (renkou.services); nothing else of the register
    HEALTH_WORKER = "health_worker", _("health worker")
