"""Uploaded files kept between a preview and the import it leads to (上传暂存).

An upload page reads the file once to show its first rows and every problem, and the
clerk then confirms; the file waits in ``RENKOU_UPLOAD_DIR`` under a random token, for
its uploader only, and is removed after the import or after a day.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .tables import input_limits

__all__ = ["Upload", "keep_upload", "kept_upload", "kept_upload_of_job", "discard_upload",
           "check_spreadsheet"]

KEPT_SECONDS = 24 * 3600
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


@dataclass(frozen=True)
class Upload:
    token: str
    path: Path
    name: str  # the file's name on the clerk's machine
    options: dict | None = None  # what the clerk set beside the file (a survey's date …)


def _folder() -> Path:
    folder = Path(settings.RENKOU_UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def purge_older_than(folder: Path, seconds: float) -> None:
    """Remove the sub-folders of ``folder`` untouched for ``seconds`` (kept uploads, the
    files of finished background jobs)."""
    if not folder.is_dir():
        return
    cutoff = time.time() - seconds
    for entry in folder.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)


def keep_upload(upload, user, kind: str, options: dict | None = None) -> Upload:
    """Store an uploaded file (Django's ``UploadedFile``, already checked by
    :func:`check_spreadsheet`) for ``user`` and ``kind`` (which import it is for)."""
    folder = _folder()
    purge_older_than(folder, KEPT_SECONDS)
    token = secrets.token_urlsafe(16)
    place = folder / token
    place.mkdir()
    path = place / _stored_name(upload.name)
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    (place / "meta.json").write_text(json.dumps(
        {"user": user.pk, "kind": kind, "name": Path(upload.name).name[:200],
         "stored": path.name, "options": options or {}}), encoding="utf-8")
    return Upload(token, path, Path(upload.name).name[:200], options or {})


def kept_upload(token: str, user, kind: str) -> Upload | None:
    """The file kept under ``token`` if ``user`` uploaded it for ``kind``, else ``None``."""
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 40:
        return None
    place = Path(settings.RENKOU_UPLOAD_DIR) / token
    try:
        meta = json.loads((place / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("user") != user.pk or meta.get("kind") != kind:
        return None
    path = place / str(meta.get("stored", ""))
    if path.parent != place or not path.is_file():
        return None
    return Upload(token, path, meta.get("name", ""), meta.get("options") or {})


def _stored_name(name: str) -> str:
    """The clerk's file name, made safe to store (the import logs it by that name)."""
    base = "".join(c for c in Path(name.replace("\\", "/")).name if c.isprintable())
    base = base.strip(" .")[-100:]
    suffix = Path(name).suffix.lower()[:8]
    if not base or base in ("meta.json", "progress.json", "progress.part"):
        return f"upload{suffix}"
    return base


def kept_upload_of_job(job) -> Upload | None:
    """The file a background job imports (kept until the job is looked at)."""
    return kept_upload(job.upload_token, job.user, job.kind)


def discard_upload(upload: Upload) -> None:
    shutil.rmtree(upload.path.parent, ignore_errors=True)


def check_spreadsheet(upload) -> None:
    """A form validator: an Excel (.xlsx, .xls) or CSV file within the input limit, else
    the reason."""
    if not upload.name.lower().endswith(SPREADSHEET_SUFFIXES):
        raise ValidationError(_("upload an Excel (.xlsx or .xls) or CSV file"))
    limit = input_limits().file_bytes
    if upload.size > limit:
        raise ValidationError(_("the file is %(mb)s MB, more than %(max)s MB") % {
            "mb": f"{upload.size / 2**20:,.0f}", "max": f"{limit / 2**20:,.0f}"})
