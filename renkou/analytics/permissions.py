"""The statistics' own capability: recomputing them (the rest is ``view_aggregates``)."""

from django.utils.translation import gettext_lazy as _

from renkou.accounts.roles import Role
from renkou.core.registry import CapabilitySpec

__all__ = ["REFRESH_STATISTICS", "CAPABILITIES"]

#: recompute every indicator from the register (a background job)
REFRESH_STATISTICS = "refresh_statistics"

CAPABILITIES = (
    CapabilitySpec(REFRESH_STATISTICS, _("refresh the statistics"),
                   roles=(Role.COUNTY_OFFICER, Role.STATISTICIAN)),
)
