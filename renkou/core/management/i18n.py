"""Language of batch commands: Chinese by default, English with ``--lang en`` or the
``LANGUAGE`` environment variable (e.g. ``LANGUAGE=en_US:en``)."""

from __future__ import annotations

import os

from django.conf import settings
from django.utils import translation

__all__ = ["add_language_argument", "activate_language"]


def add_language_argument(parser) -> None:
    parser.add_argument(
        "--lang", choices=["zh-hans", "en"], default=None,
        help="language of messages and reports (default: LANGUAGE, else Chinese)",
    )


def activate_language(lang: str | None = None) -> str:
    """Activate ``lang``, else the first usable entry of ``LANGUAGE``, else the site default."""
    candidates = [lang] if lang else os.environ.get("LANGUAGE", "").split(":")
    for candidate in candidates:
        code = (candidate or "").strip().lower().replace("_", "-")
        if code.startswith("en"):
            chosen = "en"
            break
        if code.startswith("zh"):
            chosen = "zh-hans"
            break
    else:
        chosen = settings.LANGUAGE_CODE
    translation.activate(chosen)
    return chosen
