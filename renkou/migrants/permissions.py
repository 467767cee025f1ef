"""What the migrant application lets a role do (declared on :class:`~renkou.migrants.apps.MigrantsConfig`)."""

from django.utils.translation import gettext_lazy as _

from renkou.accounts.roles import Role
from renkou.core.registry import CapabilitySpec

#: Register arrivals and departures and read the migrant records of one's subtree.
REGISTER_MIGRANTS = "register_migrants"
#: Read, answer and send the exchange messages (协查, notices) of one's subtree.
EXCHANGE_MIGRANTS = "exchange_migrants"
#: This office's signing key and its counterpart offices (peers): the county.
MANAGE_PEERS = "manage_exchange_peers"
#: The exchange rates (通报率, 反馈率 …): aggregate figures, so statisticians too.
VIEW_MIGRANT_RATES = "view_migrant_rates"

CAPABILITIES = (
    CapabilitySpec(REGISTER_MIGRANTS, _("register migrants' arrivals and departures"),
                   roles=(Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER)),
    CapabilitySpec(EXCHANGE_MIGRANTS, _("exchange migrant information with other offices"),
                   roles=(Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER)),
    CapabilitySpec(MANAGE_PEERS, _("manage the exchange key and counterpart offices"),
                   roles=(Role.COUNTY_OFFICER,)),
    CapabilitySpec(VIEW_MIGRANT_RATES, _("read the migrant exchange rates"),
                   roles=(Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER, Role.STATISTICIAN)),
)
