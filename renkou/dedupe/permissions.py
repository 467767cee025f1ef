"""What duplicate review lets a role do (declared on :class:`~renkou.dedupe.apps.DedupeConfig`)."""

from django.utils.translation import gettext_lazy as _

from renkou.accounts.roles import Role
from renkou.core.registry import CapabilitySpec

#: Review duplicate candidates and merge records: township and county officers.
MERGE_DUPLICATES = "merge_duplicates"

CAPABILITIES = (
    CapabilitySpec(MERGE_DUPLICATES, _("review duplicate candidates and merge records"),
                   roles=(Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER)),
)
