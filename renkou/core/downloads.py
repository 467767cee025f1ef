"""File downloads built in a temporary file: the file is written first (so a failure
answers an error page, not half a file), then streamed and removed when the response
closes it."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.http import FileResponse

__all__ = ["RemovedOnClose", "temporary_file_download"]


class RemovedOnClose(io.BufferedReader):
    """A temporary file read once by the response and removed when it is closed
    (also on Windows, where an open file cannot be removed)."""

    def close(self) -> None:
        try:
            super().close()
        finally:
            Path(self.name).unlink(missing_ok=True)


def temporary_file_download(write: Callable[[str], Any], filename: str) -> FileResponse:
    """Call ``write(path)`` on a fresh temporary file with ``filename``'s suffix and
    answer the file as an attachment named ``filename``. If ``write`` raises, the
    file is removed and the exception goes on."""
    handle, name = tempfile.mkstemp(prefix="renkou-download-", suffix=Path(filename).suffix)
    os.close(handle)
    try:
        write(name)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return FileResponse(RemovedOnClose(io.FileIO(name, "rb")), as_attachment=True,
                        filename=filename)
