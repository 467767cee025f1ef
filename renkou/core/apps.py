from django.utils.translation import gettext_lazy as _

from renkou.core import registry


class CoreConfig(registry.PlatformApp):
    """The platform: the registry, the log, the API plumbing, scoping, the clock."""

    name = "renkou.core"
    label = "core"
    verbose_name = "renkou core"
    url_prefix = "audit/"
    api_prefix = "/audit"
    api_module = "audit_api"
    api_tags = ("audit",)
    menu = (registry.MenuEntry(_("Access log"), "core:audit", "view_audit", order=100),)
    commands = ("audit", "serve")
