"""What the service-record application lets a role do (declared on
:class:`~renkou.services.apps.ServicesConfig`).

Health workers alone record and read encounters, consents and follow-ups (DESIGN.md §1:
health data only for health roles). The offices see that a service was received, never
what was found; aggregates are for the offices and statisticians too.
"""

from django.utils.translation import gettext_lazy as _

from renkou.accounts.roles import Role
from renkou.core.registry import CapabilitySpec

#: Record and read encounters, consents, requests and follow-ups of one's subtree; find the
#: person served (identification only, not the register).
RECORD_SERVICES = "record_services"
#: See on a person's record that a service was received (service, date, place), no results.
VIEW_SERVICES_RECEIVED = "view_services_received"
#: The services' aggregate figures (people served, coverage, waiting time, shares).
VIEW_SERVICE_FIGURES = "view_service_figures"

CAPABILITIES = (
    CapabilitySpec(RECORD_SERVICES, _("record and read voluntary health-service records"),
                   roles=(Role.HEALTH_WORKER,)),
    CapabilitySpec(VIEW_SERVICES_RECEIVED, _("see that a person received a service (no results)"),
                   roles=(Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER)),
    CapabilitySpec(VIEW_SERVICE_FIGURES, _("read the services' aggregate figures"),
                   roles=(Role.HEALTH_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER,
                          Role.STATISTICIAN)),
)
