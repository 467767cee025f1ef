"""Administration commands that log themselves (issue 12, item 9).

Django's and django-axes' own commands — ``createsuperuser``, ``changepassword``,
``dumpdata``, ``loaddata``, ``dbshell``, ``shell`` and the ``axes_reset*`` family — can
read or change every record, so each use is an entry in the access log: written, in its
own transaction, before the command starts (``dbshell`` and ``shell`` hand the terminal
over and may never return), naming the command, the options given (never a password)
and the operating-system account. ``renkou.core`` overrides each command with the
original wrapped by :func:`audited`; it is listed first in ``INSTALLED_APPS`` so that its
commands win over those of ``django.contrib.auth`` and ``axes``.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand

from renkou.core import audit
from renkou.core.models import AuditAction

__all__ = ["audited"]

#: Options every command has; they say nothing about what the command does.
_COMMON = {"verbosity", "settings", "pythonpath", "traceback", "no_color", "force_color",
           "skip_checks", "interactive", "database", "stdout", "stderr"}


def _os_account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container, say)
        return ""


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """The options that were given, printable, with anything like a password dropped."""
    shown: dict[str, Any] = {}
    for key, value in options.items():
        if key in _COMMON or value in (None, False, "", [], ()) or "password" in key:
            continue
        shown[key] = value if isinstance(value, (bool, int, str)) else [str(v) for v in value] \
            if isinstance(value, (list, tuple)) else str(value)
    return shown


def audited(base: type[BaseCommand], name: str, action: str = AuditAction.COMMAND
            ) -> type[BaseCommand]:
    """``base`` (a management command class) whose every run is logged first."""

    class Command(base):  # type: ignore[valid-type, misc]
        __doc__ = base.__doc__

        def execute(self, *args: Any, **options: Any) -> Any:
            audit.record(action, "command", name, details={
                "command": name, "arguments": [str(a) for a in args], "options": _given(options),
                "os_account": _os_account()})
            return super().execute(*args, **options)

    Command.__name__ = Command.__qualname__ = "Command"
    return Command
