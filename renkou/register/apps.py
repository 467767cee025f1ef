from django.utils.translation import gettext_lazy as _

from renkou.core import registry


class RegisterConfig(registry.PlatformApp):
    name = "renkou.register"
    label = "register"
    verbose_name = _("register")
    url_prefix = ""
    api_prefix = "/"
    api_tags = ("register",)
    menu = (
        registry.MenuEntry(_("Home"), "register:home", "view_home", order=10),
        registry.MenuEntry(_("Person search"), "register:search", "view_register", order=20),
        registry.MenuEntry(_("Enrol a person"), "register:enrol", "edit_register", order=90),
    )
    commands = ("register", "import_data", "export")
    audit_object_types = (("person", _("person")), ("household", _("household")),
                          ("persons", _("persons (import or export)")),
                          ("events", _("life events (export)")))
    demo_order = 5
    dashboard_order = 10
    file_imports = True
