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
    audit_object_types = (
        ("survey", _("field-check survey")), ("department_list", _("department list")),
        ("discrepancy", _("discrepancy")), ("discrepancies", _("discrepancy worklist (export)")),
        ("crosscheck", _("cross-check request")),
    )
    file_imports = True
    demo_order = 20
    dashboard_order = 60
