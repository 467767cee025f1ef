from django.utils.translation import gettext_lazy as _

from renkou.core import registry

from .permissions import CAPABILITIES, RECORD_SERVICES, VIEW_SERVICE_FIGURES


class ServicesConfig(registry.PlatformApp):
    """Voluntary health services with consent (服务记录), DESIGN.md §2."""

    name = "renkou.services"
    label = "services"
    verbose_name = _("health services")
    url_prefix = "services/"
    api_prefix = "/services"
    api_tags = ("services",)
    capabilities = CAPABILITIES
    menu = (registry.MenuEntry(_("Health services"), "services:index", RECORD_SERVICES, order=78),
            registry.MenuEntry(_("Service figures"), "services:figures", VIEW_SERVICE_FIGURES,
                               order=79))
    commands = ("services",)
    audit_object_types = (
        ("service_record", _("health-service record of a person")),
        ("service_encounter", _("service encounter")),
        ("service_consent", _("service consent")),
        ("service_request", _("service request")),
        ("service_follow_up", _("follow-up")),
        ("service_summary", _("a person's own service summary")),
    )
    #: after the migrants (35): the demo's health worker serves an inflow migrant
    demo_order = 37
    dashboard_order = 58
