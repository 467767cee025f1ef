"""Options shared by batch commands: ``--user`` (whose rights and name a run uses) and
dates given on the command line."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

__all__ = ["add_user_argument", "resolve_user", "parse_date"]


def add_user_argument(parser, help_text: str) -> None:
    parser.add_argument("--user", metavar="USERNAME", help=help_text)


def resolve_user(username: str | None):
    """The user named ``username`` (``None`` when not given); a clear error if unknown."""
    if not username:
        return None
    model = get_user_model()
    try:
        return model.objects.select_related("org").get(username=username)
    except model.DoesNotExist:
        raise CommandError(_("no user named %(name)s") % {"name": username}) from None


def parse_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` argument (argparse ``type=``); a clear error otherwise."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(_("not a date; write it as YYYY-MM-DD: %(value)s")
                           % {"value": text}) from exc
