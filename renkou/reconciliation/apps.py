from django.utils.translation import gettext_lazy as _

from renkou.core import registry


class ReconciliationConfig(registry.PlatformApp):
    name = "renkou.reconciliation"
    label = "reconciliation"
    verbose_name = _("reconciliation")
    url_prefix = "reconciliation/"
    api_prefix = "/reconciliation"
    api_tags = ("reconciliation",)
    menu = (registry.MenuEntry(_("Reconciliation"), "reconciliation:index", "view_register", order=70),)
    commands = ("reconciliation",)
    file_imports = True
    demo_order = 20
    dashboard_order = 60
