"""Background jobs (后台任务): a large import runs in the worker, not in the request.

The queue is django-tasks with its database backend (django-tasks-db: the reference
implementation of Django 6's ``django.tasks``, no broker to install); ``renkou
serve`` starts its worker beside the web server, and ``renkou worker`` runs one
alone. A :class:`~renkou.core.models.Job` row says how a job went; while it runs,
its progress goes to a file beside the upload (:mod:`renkou.core.progress`), which
the job's page reads every second.

A job is all or nothing like the import it runs: a kill in the middle leaves the
register as it was, and the job shows as failed once the worker is gone
(:func:`job_state`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from . import audit, clock
from .models import Job, JobStatus
from .progress import ProgressFile, read_progress, reporting_to
from .tables import ImportRejected
from .uploads import Upload, kept_upload_of_job, progress_path

__all__ = ["start_import_job", "run_import_job", "job_state", "STALE_AFTER"]

logger = logging.getLogger(__name__)

#: a running job whose progress file has not moved for this long is taken as dead
STALE_AFTER = dt.timedelta(minutes=10)


def start_import_job(spec, upload: Upload, user, options: dict[str, Any],
                     address: str | None = None) -> Job:
    """Queue the import of ``upload`` by ``spec`` (a :class:`~renkou.core.file_imports.
    FileImport`) for ``user``; the worker picks it up."""
    with transaction.atomic():
        job = Job.objects.create(kind=spec.kind, title=str(spec.title), user=user,
                                 address=address, upload_token=upload.token,
                                 file_name=upload.name, options=options)
        transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


@task()
def run_import_job(job_id: int) -> str:
    """The worker's side: check and import the job's file, all or nothing."""
    from .file_imports import file_import, options_of

    job = Job.objects.select_related("user").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return job.status
    spec = file_import(job.kind)
    upload = kept_upload_of_job(job)
    job.status, job.started_at = JobStatus.RUNNING, clock.now()
    job.save(update_fields=["status", "started_at"])
    if upload is None or spec is None:
        return _finish(job, JobStatus.FAILED, _("the uploaded file is no longer kept; "
                                                "upload it again"))
    try:
        with audit.acting(job.user, job.address, channel="web"), \
                reporting_to(ProgressFile(progress_path(upload))):
            done = spec.run(upload.path, job.user, options_of(spec, job.options))
    except ImportRejected as rejected:
        job.problems = [[p.row, p.field, p.reason, p.value] for p in rejected.errors]
        job.problem_count = rejected.total
        return _finish(job, JobStatus.REJECTED, _("nothing was imported: the file has "
                                                  "problems"))
    except Exception:  # noqa: BLE001 (the job page says it failed; the log has why)
        logger.exception("background job %s failed", job.pk)
        return _finish(job, JobStatus.FAILED, _("the job failed and nothing was imported; "
                                                "the server log has the details"))
    job.result_url = done.url
    return _finish(job, JobStatus.DONE, done.message)


def _finish(job: Job, status: str, message: str) -> str:
    job.status, job.message, job.finished_at = status, message, clock.now()
    job.save(update_fields=["status", "message", "finished_at", "result_url", "problems",
                            "problem_count"])
    return status


def job_state(job: Job) -> dict[str, Any]:
    """What the job's page shows: status, phase, rows done and total, the message."""
    state: dict[str, Any] = {"status": job.status, "label": job.get_status_display(),
                             "message": job.message, "url": job.result_url,
                             "finished": job.finished, "phase": "", "done": 0, "total": None}
    upload = kept_upload_of_job(job)
    if upload is not None:
        progress = read_progress(progress_path(upload))
        state.update({k: progress[k] for k in ("phase", "done", "total") if k in progress})
        if job.status == JobStatus.RUNNING and progress:
            idle = time.time() - progress_path(upload).stat().st_mtime  # the file's own clock
            if idle > STALE_AFTER.total_seconds():
                state.update(status=JobStatus.FAILED, label=JobStatus.FAILED.label,
                             finished=True, message=_(
                                 "the job stopped (the worker was ended); nothing was "
                                 "imported. Start it again."))
    return state
