"""What the benefit programmes let a role do (declared on :class:`~renkou.benefits.apps.BenefitsConfig`)."""

from django.utils.translation import gettext_lazy as _

from renkou.accounts.roles import Role
from renkou.core.registry import CapabilitySpec

#: Screen, apply for and review applications: every register role.
MANAGE_BENEFITS = "manage_benefits"
#: Approve applications and payment rosters: the county.
APPROVE_BENEFITS = "approve_benefits"

CAPABILITIES = (
    CapabilitySpec(MANAGE_BENEFITS, _("screen, apply for and review family benefits"),
                   roles=(Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER)),
    CapabilitySpec(APPROVE_BENEFITS, _("approve family benefits and payment rosters"),
                   roles=(Role.COUNTY_OFFICER,)),
)
