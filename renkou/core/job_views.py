"""The pages of background jobs (后台任务, :mod:`renkou.core.jobs`): one's own jobs,
a job's page with its progress bar and log, its state as JSON for that bar, starting a
stopped job again, and the file a job made.

A job is seen only by whoever started it (another user gets 404, as for a record
outside its subtree)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from renkou.accounts.permissions import has_capability, requires

from . import audit
from .file_imports import file_import, header_names, problems_as_written
from .jobs import JobAlreadyRunning, job_kind, job_state, result_path, start_again, start_job
from .models import AuditAction, Job, JobStatus
from .tables import RowError

__all__ = ["FOLLOW_JOBS", "start_and_follow", "job_list", "job_page", "job_status", "job_again",
           "job_download"]

#: follow one's own background jobs (declared by the core app)
FOLLOW_JOBS = "follow_jobs"
#: one's jobs listed, newest first
LISTED = 50


def start_and_follow(request: HttpRequest, kind: str, *, scope: str | None = None,
                     options: dict[str, Any] | None = None, upload=None) -> HttpResponse:
    """What a page's button does to start a long action on unit ``scope`` (default: the
    user's own unit): queue the job and send the user to its page; if the same job is
    waiting or running already, say so and send the user to that one instead."""
    if scope is None:
        scope = getattr(getattr(request.user, "org", None), "code", "")
    try:
        job = start_job(kind, request.user, scope=scope, options=options,
                        address=audit.client_address(request), upload=upload)
    except JobAlreadyRunning as running:
        messages.warning(request, running.message)
        if running.job is not None and running.job.user_id == request.user.pk:
            return redirect("core:job", pk=running.job.pk)
        return redirect(request.META.get("HTTP_REFERER") or "core:jobs")
    return redirect("core:job", pk=job.pk)


def _own_job(request: HttpRequest, pk: int) -> Job:
    job = get_object_or_404(Job.objects.select_related("user"), pk=pk)
    if job.user_id != request.user.pk:
        raise Http404
    return job


@requires(FOLLOW_JOBS)
def job_list(request: HttpRequest) -> HttpResponse:
    """后台任务: the user's jobs, newest first, each with its state and a link."""
    jobs = list(Job.objects.filter(user=request.user.pk)[:LISTED])
    return render(request, "core/job_list.html", {"jobs": jobs})


@requires(FOLLOW_JOBS)
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress bar (the page asks :func:`job_status` every second), its log
    and who started it, then its result: a link, a file, or — for a refused import —
    every problem and the marked file."""
    job = _own_job(request, pk)
    state = job_state(job)
    problems, marked = [], ""
    spec = file_import(job.kind)
    if spec is not None and job.problems:
        problems = problems_as_written([RowError(*p) for p in job.problems], {},
                                       header_names(spec.columns))
        from .uploads import kept_upload_of_job

        upload = kept_upload_of_job(job)
        if job.status == JobStatus.REJECTED and upload is not None and spec.tabular:
            marked = reverse(spec.page("marked"), args=[upload.token])
    kind = job_kind(job.kind)
    again = (job.status in (JobStatus.FAILED, JobStatus.INTERRUPTED) and kind is not None
             and has_capability(request.user, kind.capability))
    return render(request, "core/job.html", {
        "job": job, "state": state, "problems": problems, "marked": marked, "again": again,
        "download": reverse("core:job_download", args=[job.pk])
        if job.result_file and result_path(job) else "",
        "status_url": reverse("core:job_status", args=[job.pk])})


@requires(FOLLOW_JOBS)
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The job's state as JSON, for its page's progress bar."""
    state = job_state(_own_job(request, pk))
    return JsonResponse({k: str(v) if k in ("label", "message", "status") else v
                         for k, v in state.items()})


@requires(FOLLOW_JOBS)
@require_POST
def job_again(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a failed or interrupted job again (same kind, unit and settings)."""
    job = _own_job(request, pk)
    kind = job_kind(job.kind)
    if (kind is None or not has_capability(request.user, kind.capability)
            or job.status not in (JobStatus.FAILED, JobStatus.INTERRUPTED)):
        raise Http404
    try:
        again = start_again(job, request.user, audit.client_address(request))
    except JobAlreadyRunning as running:
        messages.warning(request, running.message)
        return redirect("core:job", pk=running.job.pk if running.job else job.pk)
    except LookupError as gone:
        messages.error(request, str(gone))
        return redirect("core:job", pk=job.pk)
    return redirect("core:job", pk=again.pk)


@requires(FOLLOW_JOBS)
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file the job made (a roster, a report, a screening list); logged as an
    export."""
    job = _own_job(request, pk)
    path = result_path(job)
    if path is None:
        raise Http404
    audit.record(AuditAction.EXPORT, job.kind, job.pk, details={"file": job.result_file})
    return FileResponse(open(path, "rb"), as_attachment=True, filename=job.result_file)
