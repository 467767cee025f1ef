"""The access and change log (访问与变更日志). Append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditAction", "AuditEntry", "AuditLogIsAppendOnly", "AppendOnlyModel",
           "AppendOnlyQuerySet", "RecordIsAppendOnly"]


class RecordIsAppendOnly(Exception):
    """Raised on any attempt to change or delete a row of an append-only table."""


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset that refuses ``update()`` and ``delete()``: rows are only ever added."""

    def update(self, **kwargs):
        raise self.model.append_only_error(self.model.append_only_message)

    def delete(self):
        raise self.model.append_only_error(self.model.append_only_message)

    def bulk_update(self, objs, fields, batch_size=None):
        raise self.model.append_only_error(self.model.append_only_message)


class AppendOnlyModel(models.Model):
    """Base of the append-only tables (the ledger, the log, benefit decisions): a row is
    written once; ``save()`` of a stored row, ``delete()`` and the queryset's
    ``update()``/``delete()`` raise :attr:`append_only_error`. A subclass with its own
    queryset mixes in :class:`AppendOnlyQuerySet`."""

    append_only_error: type[Exception] = RecordIsAppendOnly
    append_only_message = "this table is append-only"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise self.append_only_error(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_error(self.append_only_message)


class AuditAction(models.TextChoices):
    VIEW = "view", _("view")
    EXPORT = "export", _("export")
    CREATE = "create", _("create")
    CHANGE = "change", _("change")
    IMPORT = "import", _("import")
    LOGIN = "login", _("log in")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("log out")
    USER = "user", _("user management")
    TOKEN = "token", _("API token")
    COMMAND = "command", _("administration command")


class AuditLogIsAppendOnly(RecordIsAppendOnly):
    """Raised on any attempt to change or delete a log entry."""


class AuditEntry(AppendOnlyModel):
    """Who did what to which record, when, from where, and through which channel.

    ``username`` and ``role`` are copied at the time, so the entry stays true if the
    user is later renamed or changes role. ``object_id`` of a person is its
    ``person_id``.
    """

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_index=False)
    username = models.CharField(_("username"), max_length=150, blank=True, db_index=True)
    role = models.CharField(_("role"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices,
                              db_index=True)
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=8, blank=True,
                               help_text=_("web, api or cli"))
    details = models.JSONField(_("details"), default=dict, blank=True)

    append_only_error = AuditLogIsAppendOnly
    append_only_message = "the log is append-only"

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.username} {self.action}"

