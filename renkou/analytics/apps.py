from django.utils.translation import gettext_lazy as _

from renkou.core import registry


class AnalyticsConfig(registry.PlatformApp):
    name = "renkou.analytics"
    label = "analytics"
    verbose_name = _("statistics")
    url_prefix = "stats/"
    menu = (registry.MenuEntry(_("Statistics"), "analytics:overview", "view_aggregates", order=40),)
    commands = ("analytics", "indicators", "stats")
