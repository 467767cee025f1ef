"""The pages of an import from a file (see :mod:`renkou.core.file_imports`), made for
each :class:`~renkou.core.file_imports.FileImport` by :func:`pages_of`; a large file
is imported by a background job (:mod:`renkou.core.job_views`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from renkou.accounts.permissions import requires

from .downloads import temporary_file_download
from .error_workbook import write_marked_copy
from .file_imports import (
    FileImport,
    options_of,
    preview,
)
from .job_views import start_and_follow
from .models import Job, JobStatus
from .tables import ImportRejected, RowError
from .uploads import check_spreadsheet, discard_upload, keep_upload, kept_upload

__all__ = ["pages_of"]


def _file_form(spec: FileImport) -> type[forms.Form]:
    """The upload form: the file, then the import's own settings."""
    accept = ",".join(spec.suffixes)

    def check_suffix(upload) -> None:
        if not upload.name.lower().endswith(spec.suffixes):
            raise forms.ValidationError(_("upload a %(kinds)s file") % {
                "kinds": " / ".join(spec.suffixes)})
        check_spreadsheet(upload) if spec.tabular else None

    fields: dict[str, Any] = {"file": forms.FileField(
        label=gettext_lazy("file"), validators=[check_suffix],
        widget=forms.ClearableFileInput(attrs={"accept": accept}))}
    bases = (spec.options_form,) if spec.options_form is not None else (forms.Form,)
    return type("UploadForm", bases, fields)


def _settings_sent(form: forms.Form) -> dict[str, Any]:
    """The settings as sent (text), to be cleaned again when the import runs."""
    return {name: form.data.get(name, "") for name in form.fields if name != "file"}


def pages_of(spec: FileImport) -> dict[str, Callable]:
    """The views of one import, each guarded by its capability."""

    def urls(request: HttpRequest) -> dict[str, str]:
        return {"upload": spec.page(), "template": spec.page("template"),
                "preview": spec.page("preview"), "marked": spec.page("marked")}

    def kept(request: HttpRequest, token: str):
        upload = kept_upload(token, request.user, spec.kind)
        if upload is None:
            raise Http404
        return upload

    @require_http_methods(["GET", "POST"])
    def upload_page(request: HttpRequest) -> HttpResponse:
        form = _file_form(spec)(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = keep_upload(form.cleaned_data["file"], request.user, spec.kind,
                                 _settings_sent(form))
            return redirect(urls(request)["preview"], token=upload.token)
        return render(request, "core/import.html", {"spec": spec, "form": form,
                                                    "urls": urls(request)})

    def template_page(request: HttpRequest) -> FileResponse:
        write = spec.template
        if write is None:
            raise Http404
        variants = dict(spec.template_variants)
        variant = request.GET.get("variant", "")
        if variants and variant not in variants:
            variant = next(iter(variants))
        name = spec.template_name or f"{spec.kind}.xlsx"
        if variant:
            name = f"{Path(name).stem}（{variants[variant]}）{Path(name).suffix}"
        return temporary_file_download(lambda path: write(path, request.user, variant), name)

    @require_http_methods(["GET", "POST"])
    def preview_page(request: HttpRequest, token: str) -> HttpResponse:
        upload = kept(request, token)
        try:
            options = options_of(spec, upload.options or {})
        except ImportRejected as rejected:
            messages.error(request, "; ".join(map(str, rejected.errors)))
            return redirect(urls(request)["upload"])
        shown = preview(spec, upload.path, request.user, options)
        if request.method == "POST":
            if shown.large:
                return start_and_follow(request, spec.kind, scope="",
                                        options=upload.options or {}, upload=upload)
            if not shown.problem_count:
                try:
                    done = spec.run(upload.path, request.user, options)
                except ImportRejected as rejected:  # the register changed since the preview
                    shown = preview(spec, upload.path, request.user, options)
                    if not shown.problem_count:
                        shown.errors = list(rejected.errors)
                        shown.problem_count = rejected.total
                else:
                    discard_upload(upload)
                    messages.success(request, done.message)
                    return redirect(done.url or spec.back_url)
        return render(request, "core/import.html", {
            "spec": spec, "upload": upload, "preview": shown, "urls": urls(request)})

    def marked_page(request: HttpRequest, token: str) -> FileResponse:
        upload = kept(request, token)
        job = Job.objects.filter(user=request.user.pk, upload_token=token,
                                 status=JobStatus.REJECTED).first()
        if job is not None:
            problems = [RowError(*p) for p in job.problems]
        else:
            shown = preview(spec, upload.path, request.user, options_of(spec, upload.options or {}))
            if not shown.readable or shown.large:
                raise Http404
            problems = shown.errors
        if not spec.tabular:
            raise Http404
        return temporary_file_download(
            lambda path: write_marked_copy(upload.path, problems, spec.columns, path),
            Path(upload.name).stem + "（已标注错误）.xlsx")

    guard = requires(spec.capability)
    return {"upload": guard(upload_page), "template": guard(template_page),
            "preview": guard(preview_page), "marked": guard(marked_page)}
