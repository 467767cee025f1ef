"""``renkou register import|export|verify …``: the register's batch jobs under one command.

``renkou register import persons FILE`` is ``renkou import persons FILE`` and
``renkou register export events --out F`` is ``renkou export events --out F``: the
older spellings stay, so nothing a user learnt breaks. ``renkou register verify
[--org CODE]`` refolds every person's ledger and lists each register row that disagrees
(:mod:`renkou.register.verification`); it exits with status 1 when one does.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management import load_command_class
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

#: subcommand → the management command that does it
SUBCOMMANDS = {"import": "import_data", "export": "export"}


class Command(BaseCommand):
    help = ("The register's batch jobs: `register import persons|orgunits FILE`, "
            "`register export persons|events|orgunits --out FILE` (same options as "
            "`renkou import` / `renkou export`; `renkou register import --help` lists them), "
            "`register verify [--org CODE]` (the register rows against the ledger).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=sorted([*SUBCOMMANDS, "verify"]))
        parser.add_argument("--org", help="verify: only this unit's subtree (division code)")
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

        if action == "verify":
            self.verify(options["org"])
            return
        call_command(SUBCOMMANDS[action], *rest)

    def verify(self, org: str | None) -> None:
        from renkou.orgunits.models import OrgUnit
        from renkou.register.verification import verify_register

        unit = None
        if org:
            unit = OrgUnit.objects.filter(code=org).first()
            if unit is None:
                raise CommandError(_("no org unit has the code %(code)s") % {"code": org})
        found = verify_register(unit)
        for d in found:
            if d.field == "events":
                self.stdout.write(_("person %(pid)s: no event in the ledger") % {"pid": d.person_id})
            else:
                self.stdout.write(_("person %(pid)s: %(field)s is %(row)s in the register, "
                                    "%(ledger)s by the ledger")
                                  % {"pid": d.person_id, "field": d.field, "row": d.row,
                                     "ledger": d.ledger})
        if found:
            raise CommandError(_("%(n)d register fields disagree with the ledger") % {"n": len(found)})
        self.stdout.write(_("every register row agrees with the ledger"))
