"""``renkou register import|export …``: the register's batch jobs under one command.

``renkou register import persons FILE`` is ``renkou import persons FILE`` and
``renkou register export events --out F`` is ``renkou export events --out F``: the
older spellings stay, so nothing a user learnt breaks.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management import load_command_class
from django.core.management.base import BaseCommand, CommandParser

#: subcommand → the management command that does it
SUBCOMMANDS = {"import": "import_data", "export": "export"}


class Command(BaseCommand):
    help = ("The register's batch jobs: `register import persons|orgunits FILE`, "
            "`register export persons|events|orgunits --out FILE` (same options as "
            "`renkou import` / `renkou export`; `renkou register import --help` lists them).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=sorted(SUBCOMMANDS))
        parser.add_argument("rest", nargs=argparse.REMAINDER)

    def run_from_argv(self, argv: list[str]) -> None:
        # hand everything after the subcommand to the command that does it, help included
        if len(argv) > 2 and argv[2] in SUBCOMMANDS:
            name = SUBCOMMANDS[argv[2]]
            load_command_class("renkou.register", name).run_from_argv(
                [argv[0], f"register {argv[2]}", *argv[3:]])
            return
        super().run_from_argv(argv)

    def handle(self, *args: Any, action: str, rest: list[str], **options: Any) -> None:
        from django.core.management import call_command

        call_command(SUBCOMMANDS[action], *rest)
