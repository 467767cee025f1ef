from django.utils.translation import gettext_lazy as _

from renkou.core import registry

from .permissions import CAPABILITIES


class AnalyticsConfig(registry.PlatformApp):
    name = "renkou.analytics"
    label = "analytics"
    verbose_name = _("statistics")
    url_prefix = "stats/"
    capabilities = CAPABILITIES
    menu = (registry.MenuEntry(_("Statistics"), "analytics:overview", "view_aggregates", order=40),)
    commands = ("analytics", "indicators", "stats")
    audit_object_types = (("statistics", _("statistical tables (export)")),)
    background_jobs = True
    dashboard_order = 20
