from django.utils.translation import gettext_lazy as _

from renkou.core import registry

from .permissions import CAPABILITIES, REGISTER_MIGRANTS


class MigrantsConfig(registry.PlatformApp):
    name = "renkou.migrants"
    label = "migrants"
    verbose_name = _("migrants")
    url_prefix = "migrants/"
    api_prefix = "/migrants"
    api_tags = ("migrants",)
    capabilities = CAPABILITIES
    menu = (registry.MenuEntry(_("Migrants"), "migrants:index", REGISTER_MIGRANTS, order=75),)
    commands = ("migrants",)
    audit_object_types = (
        ("migrant_spell", _("migrant record")),
        ("migrant_message", _("exchange message")),
        ("migrant_batch", _("exchange batch")),
        ("migrant_peer", _("counterpart office")),
        ("migrant_key", _("exchange key")),
        ("migrants", _("migrant list (export)")),
    )
    file_imports = True
    background_jobs = True
    #: after the benefits (30), before the quality check (40), which then sees the arrival
    #: the demo exchange registers: the demo exchange with a neighbouring office
    demo_order = 35
    dashboard_order = 55
