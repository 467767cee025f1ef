from django.utils.translation import gettext_lazy as _

from renkou.core import registry


class OrgunitsConfig(registry.PlatformApp):
    name = "renkou.orgunits"
    label = "orgunits"
    verbose_name = _("orgunits")
    url_prefix = "org/"
    api_prefix = "/orgunits"
    api_tags = ("org units",)
    menu = (registry.MenuEntry(_("Org units"), "orgunits:tree", "view_aggregates", order=30),)
    capabilities = (registry.CapabilitySpec("manage_orgunits", _("add and rename org units"),
                                            roles=("county_officer",)),)
    file_imports = True
    audit_object_types = (("orgunits", _("org units (import)")),)
