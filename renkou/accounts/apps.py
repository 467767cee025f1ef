from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "renkou.accounts"
    label = "accounts"
    verbose_name = _("accounts")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the log-in receivers)
