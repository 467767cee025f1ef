"""The ``renkou`` command: every batch job is a Django management command.

``renkou generate …`` runs the ``generate`` command with renkou's settings;
``renkou import persons FILE`` runs ``import_data`` (``import`` is a Python keyword).
``renkou help`` lists every command, grouped by app; ``renkou help --apps`` lists
each app with what it registers (pages, API, capabilities, menu, commands, demo step).
"""

from __future__ import annotations

import os
import sys

ALIASES = {"import": "import_data"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1:
        argv[1] = ALIASES.get(argv[1], argv[1])
    if argv[1:3] == ["help", "--apps"]:
        import django

        django.setup()
        from renkou.core import registry

        registry.describe()
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["renkou", *argv[1:]])


if __name__ == "__main__":
    main()
