"""Background jobs (后台任务): long actions run by the worker, not in the request.

Every app declares the long actions it offers as :class:`JobKind` (its ``jobs.py``,
read through the registry): refreshing the statistics, detecting duplicates, the
quality check, screening a programme, generating a roster or a report; every import
of a large file is one too (:mod:`renkou.core.file_imports`). A page starts one with
:func:`start_job` and sends the user to the job's page, which follows its progress.

The queue is django-tasks with its database backend (django-tasks-db, the reference
implementation of Django 6's ``django.tasks``): it runs on SQLite and PostgreSQL alike
with no broker or other server to install, and its queue is rows in the same database,
so queued jobs outlive a restart. ``renkou serve`` (and so ``renkou demo``) starts its
worker beside the web server; ``renkou worker`` runs one alone.

A :class:`~renkou.core.models.Job` row says how a job went. While it runs, its
progress and log go to files in the job's own folder (:func:`job_folder`), because an
import's transaction holds the database until it ends; the page reads them every
second. The rules:

- **once at a time**: a job holds a running key (its kind and scope) while waiting or
  running; the key is unique in the database, so a second start is refused
  (:class:`JobAlreadyRunning`), whichever request comes first;
- **all or nothing**: each job's work commits its changes and their log entry in one
  transaction, so a crash or a kill leaves the database as it was; the job shows the
  error;
- **interrupted, not lost**: a job whose worker is gone (killed, machine restarted) is
  marked interrupted (:func:`mark_interrupted`, also when its worker starts again) and
  can be run again from its page; a queued job simply waits for the next worker.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from . import audit, clock
from .models import AuditAction, Job, JobStatus
from .progress import ProgressFile, read_progress, reporting_to
from .uploads import purge_older_than

__all__ = ["JobKind", "Outcome", "JobAlreadyRunning", "start_job", "start_again", "run_job",
           "job_state", "job_kind", "job_folder", "mark_interrupted", "STALE_AFTER",
           "result_path"]

logger = logging.getLogger(__name__)

#: a running job on another machine whose progress has not moved for this long is dead
STALE_AFTER = dt.timedelta(minutes=10)
#: a finished job's folder (log, progress, result file) is kept this long
KEPT_DAYS = 7
#: lines of a job's log shown while it runs
LOG_TAIL = 40


@dataclass(frozen=True)
class Outcome:
    """What a job did, for the person who started it: one sentence, where to look, a
    file it made (in its folder), or — for an import refused — the problems."""

    message: str
    url: str = ""
    file_name: str = ""
    status: str = JobStatus.DONE
    problems: list[list[Any]] = field(default_factory=list)
    problem_count: int = 0


@dataclass(frozen=True)
class JobKind:
    """A long action an app offers.

    ``run(job, folder)`` does the work for ``job`` (its ``user``, ``scope`` and
    ``options``) as that user, all or nothing, reports its steps with
    :func:`renkou.core.progress.progress_bar` or :func:`renkou.core.progress.step`,
    may write a file into ``folder``, and returns an :class:`Outcome`. ``once`` says
    what may run only once at a time: ``"scope"`` (one per kind and unit, the default),
    ``"all"`` (one per kind, e.g. the statistics refresh, which rewrites every unit),
    or ``"options"`` (one per kind, unit and options). ``atomic=False`` is for a job
    that waits on another server (the migrant exchange's pushes): it commits as it goes,
    each step in its own transaction, so the database is not held while it waits.
    """

    kind: str
    title: Any
    capability: str
    run: Callable[[Job, Path], Outcome]
    once: str = "scope"
    atomic: bool = True

    def running_key(self, scope: str, options: dict[str, Any]) -> str:
        if self.once == "all":
            return self.kind
        if self.once == "options":
            settings_text = ",".join(f"{k}={options[k]}" for k in sorted(options))
            return f"{self.kind}:{scope}:{settings_text}"[:80]
        return f"{self.kind}:{scope}"[:80]


class JobAlreadyRunning(Exception):  # noqa: N818 (a refusal, read as a sentence)
    """The same job is waiting or running already; ``job`` is that one."""

    def __init__(self, job: Job | None) -> None:
        self.job = job
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.job is None:
            return _("The same job is already waiting or running; wait for it to end.")
        return _("The same job is already %(state)s (started by %(user)s at %(time)s); "
                 "wait for it to end, or follow it on its page.") % {
            "state": self.job.get_status_display(), "user": self.job.user.get_username(),
            "time": timezone.localtime(self.job.created_at).strftime("%H:%M")}


def job_kind(kind: str) -> JobKind | None:
    """The kind of job: an app's declared job, or an import from a file."""
    from . import registry
    from .file_imports import file_import

    declared = registry.job_kinds().get(kind)
    if declared is not None:
        return declared
    spec = file_import(kind)
    return _import_kind(spec) if spec is not None else None


def _import_kind(spec) -> JobKind:
    """An import of a large file as a job: its file is the kept upload."""
    from .file_imports import options_of
    from .tables import ImportRejected
    from .uploads import kept_upload_of_job

    def run(job: Job, folder: Path) -> Outcome:
        upload = kept_upload_of_job(job)
        if upload is None:
            return Outcome(_("the uploaded file is no longer kept; upload it again"),
                           status=JobStatus.FAILED)
        try:
            done = spec.run(upload.path, job.user, options_of(spec, job.options))
        except ImportRejected as rejected:
            return Outcome(_("nothing was imported: the file has problems"),
                           status=JobStatus.REJECTED,
                           problems=[[p.row, p.field, p.reason, p.value] for p in rejected.errors],
                           problem_count=rejected.total)
        return Outcome(done.message, url=done.url)

    return JobKind(spec.kind, spec.title, spec.capability, run, once="options")


# ----------------------------------------------------------------- where a job keeps its files


def _jobs_root() -> Path:
    return Path(settings.RENKOU_JOB_DIR)


def job_folder(job: Job) -> Path:
    """The job's own folder: its progress, its log and the file it made."""
    return _jobs_root() / str(job.pk)


def result_path(job: Job) -> Path | None:
    """The file the job made, if it still exists."""
    if not job.result_file:
        return None
    path = job_folder(job) / job.result_file
    return path if path.is_file() else None


def _log_text(job: Job) -> str:
    try:
        return (job_folder(job) / "log.txt").read_text(encoding="utf-8")
    except OSError:
        return ""


# ----------------------------------------------------------------- starting and running


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _worker_gone(job: Job) -> bool:
    """Whether the worker running ``job`` no longer runs it: a process of this machine
    that has ended, or (another machine's) a progress that stopped moving."""
    host, _sep, pid = job.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    progress = job_folder(job) / "progress.json"
    moved = progress.stat().st_mtime if progress.exists() else (
        job.started_at.timestamp() if job.started_at else time.time())
    return time.time() - moved > STALE_AFTER.total_seconds()


def _interrupt(job: Job) -> None:
    job.status, job.finished_at, job.running_key = JobStatus.INTERRUPTED, clock.now(), None
    job.message = _("The job was interrupted (its worker stopped); nothing was changed. "
                    "Start it again.")
    job.log = _log_text(job)
    job.save(update_fields=["status", "finished_at", "running_key", "message", "log"])


def mark_interrupted() -> int:
    """Mark every running job whose worker is gone as interrupted (its changes were
    rolled back with the worker); run when a worker starts. Returns how many."""
    n = 0
    for job in Job.objects.filter(status=JobStatus.RUNNING):
        if job.worker and _worker_gone(job):
            _interrupt(job)
            n += 1
    return n


def start_job(kind: str, user, *, scope: str = "", options: dict[str, Any] | None = None,
              address: str | None = None, title: str = "", upload=None) -> Job:
    """Queue a job of ``kind`` for ``user`` on unit ``scope``; the worker picks it up
    once this transaction commits. Refused (:class:`JobAlreadyRunning`) while the same
    job waits or runs; the start is logged."""
    spec = job_kind(kind)
    if spec is None:
        raise LookupError(kind)
    options = options or {}
    key = spec.running_key(scope, options)
    purge_older_than(_jobs_root(), KEPT_DAYS * 86400)
    with transaction.atomic():
        holder = Job.objects.select_related("user").filter(running_key=key).first()
        if holder is not None and holder.status == JobStatus.RUNNING and holder.worker \
                and _worker_gone(holder):
            _interrupt(holder)
            holder = None
        if holder is not None:
            raise JobAlreadyRunning(holder)
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    kind=kind, title=title or str(spec.title), user=user, address=address,
                    scope=scope, options=options, running_key=key,
                    upload_token=upload.token if upload else "",
                    file_name=upload.name if upload else "")
        except IntegrityError:  # another request queued it since the look above
            raise JobAlreadyRunning(Job.objects.select_related("user")
                                    .filter(running_key=key).first()) from None
        audit.record(AuditAction.JOB, kind, job.pk, details={
            "operation": "start", "scope": scope, **({"file": job.file_name} if upload else {})},
            user=user)
        transaction.on_commit(lambda: run_job.enqueue(job.pk))
    return job


def start_again(job: Job, user, address: str | None = None) -> Job:
    """Start a failed or interrupted job again, with the same kind, unit and settings."""
    from .uploads import kept_upload_of_job

    upload = kept_upload_of_job(job) if job.upload_token else None
    if job.upload_token and upload is None:
        raise LookupError(_("the uploaded file is no longer kept; upload it again"))
    return start_job(job.kind, user, scope=job.scope, options=job.options, address=address,
                     title=job.title, upload=upload)


@task()
def run_job(job_id: int) -> str:
    """The worker's side: run the job as the user who started it, all or nothing."""
    job = Job.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return job.status if job else "missing"
    spec = job_kind(job.kind)
    job.status, job.started_at, job.worker = JobStatus.RUNNING, clock.now(), _worker_name()
    job.save(update_fields=["status", "started_at", "worker"])
    folder = job_folder(job)
    folder.mkdir(parents=True, exist_ok=True)
    sink = ProgressFile(folder / "progress.json", log_path=folder / "log.txt")
    if spec is None:
        return _finish(job, Outcome(_("this kind of job is no longer offered"),
                                    status=JobStatus.FAILED))
    try:
        with audit.acting(job.user, job.address, channel="web"), reporting_to(sink), \
                (transaction.atomic() if spec.atomic else contextlib.nullcontext()):
            # every write of the job and its log entries, or none
            outcome = spec.run(job, folder)
    except Exception as error:  # noqa: BLE001 (the page says it failed; the log says why)
        logger.exception("background job %s (%s) failed", job.pk, job.kind)
        sink.say(_("error: %(error)s") % {"error": f"{type(error).__name__}: {error}"[:500]})
        with open(folder / "log.txt", "a", encoding="utf-8") as log:
            log.write("".join(traceback.format_exception_only(error))[-2000:])
        return _finish(job, Outcome(_("The job failed and nothing was changed: %(error)s")
                                    % {"error": str(error)[:300] or type(error).__name__},
                                    status=JobStatus.FAILED))
    sink.say(outcome.message)
    return _finish(job, outcome)


def _finish(job: Job, outcome: Outcome) -> str:
    job.status, job.message, job.finished_at = outcome.status, outcome.message, clock.now()
    job.result_url, job.result_file, job.running_key = outcome.url, outcome.file_name, None
    job.problems, job.problem_count = outcome.problems, outcome.problem_count
    job.log = _log_text(job)
    job.save(update_fields=["status", "message", "finished_at", "result_url", "result_file",
                            "running_key", "problems", "problem_count", "log"])
    return job.status


def job_state(job: Job) -> dict[str, Any]:
    """What the job's page shows: status, phase, steps done and total, the message, the
    end of its log. A running job whose worker is gone is marked interrupted here."""
    if job.status == JobStatus.RUNNING and job.worker and _worker_gone(job):
        _interrupt(job)
    state: dict[str, Any] = {"status": job.status, "label": job.get_status_display(),
                             "message": job.message, "url": job.result_url,
                             "finished": job.finished, "phase": "", "done": 0, "total": None}
    progress = read_progress(job_folder(job) / "progress.json")
    state.update({k: progress[k] for k in ("phase", "done", "total") if k in progress})
    log = job.log if job.finished else _log_text(job)
    state["log"] = log.splitlines()[-LOG_TAIL:]
    if job.status == JobStatus.DONE and state["total"]:
        state["done"] = state["total"]
    return state
