from django.utils.translation import gettext_lazy as _

from renkou.accounts.roles import Role
from renkou.core import registry


class CoreConfig(registry.PlatformApp):
    """The platform: the registry, the log, the API plumbing, scoping, the clock."""

    name = "renkou.core"
    label = "core"
    verbose_name = "renkou core"
    url_prefix = ""
    api_prefix = "/audit"
    api_module = "audit_api"
    api_tags = ("audit",)
    menu = (registry.MenuEntry(_("Background jobs"), "core:jobs", "follow_jobs", order=95),
            registry.MenuEntry(_("Access log"), "core:audit", "view_audit", order=100))
    capabilities = (
        registry.CapabilitySpec("follow_jobs", _("follow one's own background jobs"),
                                roles=("village_clerk", "township_officer", "county_officer",
                                       "statistician")),
        registry.CapabilitySpec("view_home", _("open the home page of one's unit"),
                                roles=tuple(Role)),
    )
    commands = ("audit", "serve", "worker")
    audit_object_types = (("audit", _("access log (export)")),
                          ("command", _("administration command")))
    dashboard_order = 90
    dashboard_module = "dashboard_panels"

    def ready(self) -> None:
        super().ready()
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import append_only, checks  # noqa: F401 (checks registers the deploy checks)

        connection_created.connect(append_only.register_sqlite_function,
                                   dispatch_uid="renkou_maintenance_function")
        post_migrate.connect(append_only.ensure_triggers, dispatch_uid="renkou_append_only")
