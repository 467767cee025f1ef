from django.utils.translation import gettext_lazy as _

from renkou.core import registry

from .permissions import CAPABILITIES, Capability


class AccountsConfig(registry.PlatformApp):
    """Users, roles and API tokens; the capabilities every app builds on."""

    name = "renkou.accounts"
    label = "accounts"
    verbose_name = _("accounts")
    url_prefix = "accounts/"
    capabilities = CAPABILITIES
    menu = (registry.MenuEntry(_("Users"), "accounts:users", Capability.MANAGE_USERS, order=110),)
    commands = ("user", "token")
    audit_object_types = (("user", _("user")),)

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the log-in receivers)
