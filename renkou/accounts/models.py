"""Users, each bound to one org unit and one role."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.core.scoping import OrgScopedQuerySet

from .roles import Role

__all__ = ["Role", "User", "UserQuerySet", "UserManager", "ApiToken"]


class UserQuerySet(OrgScopedQuerySet):
    """Users are managed within the org subtree: ``User.objects.visible_to(officer)`` is
    the users whose unit lies in the officer's subtree, for a role that manages users."""

    org_path_lookup = "org__path"
    required_capability = "manage_users"


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    """Django's user manager (``create_user`` …) with :meth:`UserQuerySet.visible_to`."""


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    org = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("org unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )
    #: The name as written in Chinese, surname first, in one field (姓名).
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    #: Set when an officer gives the user a password (a new account, a reset): until the
    #: user picks its own, every page leads to the password page and its API tokens are
    #: refused (renkou.accounts.middleware, renkou.core.api).
    must_change_password = models.BooleanField(_("must change its password"), default=False)

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name()


class ApiToken(models.Model):
    """A key for the JSON API (``Authorization: Bearer KEY``).

    Only the SHA-256 hash of the key is stored, never the key itself: it is shown once,
    when issued. ``prefix`` (the key's first characters) tells tokens apart in lists.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("key prefix"), max_length=8)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, unique=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
