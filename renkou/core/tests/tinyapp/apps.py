from renkou.accounts.roles import Role
from renkou.core import registry


class TinyConfig(registry.PlatformApp):
    name = "renkou.core.tests.tinyapp"
    label = "tiny"
    verbose_name = "tiny test app"
    url_prefix = "tiny/"
    api_prefix = "/tiny"
    capabilities = (registry.CapabilitySpec("view_tiny", "read the tiny page", roles=(Role.COUNTY_OFFICER,)),)
    menu = (registry.MenuEntry("Tiny page", "tiny:index", "view_tiny", order=95),)
    dashboard_order = 95
