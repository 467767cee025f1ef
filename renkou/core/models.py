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
    DECIDE = "decide", _("decision")
    CHECK = "check", _("quality check")
    JOB = "job", _("background job")


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



class JobStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    REJECTED = "rejected", _("refused: the file has problems")
    FAILED = "failed", _("failed")
    INTERRUPTED = "interrupted", _("interrupted")


class Job(models.Model):
    """A background job (后台任务): a long import the worker runs while the clerk
    watches its progress on a page. The job itself is all or nothing (its writes and
    their log entry commit together); this row only says how it went. Its progress
    while running is kept beside the uploaded file (:mod:`renkou.core.progress`), not
    here, because the job's own transaction holds the database."""

    kind = models.CharField(max_length=40)  # which import (``persons``, ``orgunits`` …)
    title = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="jobs")
    address = models.GenericIPAddressField(null=True, blank=True)  # where it was asked from
    upload_token = models.CharField(max_length=40, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=JobStatus.choices,
                              default=JobStatus.QUEUED)
    #: the unit the job works on (its division code), "" for none
    scope = models.CharField(max_length=32, blank=True)
    #: while the job is waiting or running: what may run only once at a time (kind and
    #: scope); unique, so a second start is refused by the database itself; cleared
    #: (NULL) when the job ends
    running_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    #: the worker running it, "host:pid", to tell a job whose worker is gone
    worker = models.CharField(max_length=120, blank=True)
    #: what the job wrote as it went, one line a step, kept when it ends
    log = models.TextField(blank=True)
    #: a file the job made (roster, report, screening list) under the jobs folder
    result_file = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    result_url = models.CharField(max_length=300, blank=True)
    #: the problems of a refused file: [row, column, reason, value], the first ones kept
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED,
                               JobStatus.INTERRUPTED)
