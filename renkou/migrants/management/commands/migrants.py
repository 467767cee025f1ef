"""``renkou migrants …``: migrants and their information exchange from the command line.

- ``import FILE --direction in|out [--user U]``: arrivals or departures from a workbook
  (.xlsx or .csv; columns ``id_number, name, sex, birth_date, hukou_code,
  residence_org_code`` or ``residence_address``, ``arrival_date`` / ``departure_date``,
  ``reason``, ``phone``), all or nothing: a file with any problem is rejected whole, every
  problem printed with its row (the header is row 1), column and reason, nothing written;
- ``list --direction in|out [--org CODE] [--format json|csv|xlsx] [--out FILE] --user U``:
  one row per current spell (person, the three places, dates, state of its messages);
- ``request --id-number N --to CODE --subject identity|residence|household|life
  [--urgency urgent|ordinary] [--question TEXT]``: a verification request (协查);
- ``answer (--message ID | --all-open) --result TEXT [--not-found]``: answer requests received;
- ``exchange export|import|send``, ``keys create``, ``peers add|list``
  (:mod:`renkou.migrants.exchange_commands`) and ``rates`` (:mod:`renkou.migrants.rates_commands`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.core.audit import acting
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.management.options import add_user_argument, resolve_user
from renkou.core.text import reasons
from renkou.migrants import exchange_commands, rates_commands

DELEGATED = {**{a: exchange_commands for a in exchange_commands.ACTIONS},
             **{a: rates_commands for a in rates_commands.ACTIONS}}


class Command(BaseCommand):
    help = ("Migrants (流动人口): import arrivals and departures, list them, verification "
            "requests and answers, the exchange with other offices (files or HTTP), keys, "
            "peers and rates.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="import arrivals or departures (.xlsx or .csv)")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--direction", required=True, choices=["in", "out"])
        add_user_argument(p, "import with this user's rights (units of its subtree only)")
        p = sub.add_parser("list", help="list the current migrants")
        p.add_argument("--direction", required=True, choices=["in", "out"])
        p.add_argument("--org", metavar="CODE", help="only this unit and those below it")
        p.add_argument("--format", default="csv", choices=["json", "csv", "xlsx"])
        p.add_argument("--out", metavar="FILE", help="write to this file (xlsx: required)")
        add_user_argument(p, "list what this user may see (required)")
        p = sub.add_parser("request", help="send a verification request (协查)")
        p.add_argument("--id-number", required=True, metavar="N")
        p.add_argument("--to", required=True, metavar="CODE", help="the office asked")
        p.add_argument("--subject", required=True,
                       choices=["identity", "residence", "household", "life"])
        p.add_argument("--urgency", default="ordinary", choices=["urgent", "ordinary"])
        p.add_argument("--question", default="")
        add_user_argument(p, "write it on behalf of this user")
        p = sub.add_parser("answer", help="answer verification requests received")
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--message", metavar="ID", help="the request's message ID")
        which.add_argument("--all-open", action="store_true", help="every open request")
        p.add_argument("--result", required=True, metavar="TEXT")
        p.add_argument("--not-found", action="store_true",
                       help="the person was not found here")
        add_user_argument(p, "answer on behalf of this user")
        exchange_commands.add_parsers(sub)
        rates_commands.add_parsers(sub)
        for p in sub.choices.values():
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        action = options["action"]
        user = resolve_user(options.get("user"))
        try:
            with acting(user, channel="cli"):
                if action in DELEGATED:
                    DELEGATED[action].handle(self, action, {**options, "user": user})
                else:
                    getattr(self, "_" + action)(user, options)
        except PermissionDenied as denied:
            raise CommandError(str(denied), returncode=1) from None
        except ValidationError as invalid:
            raise CommandError("; ".join(_messages(invalid)), returncode=1) from None

    def _import(self, user, options) -> None:
        from renkou.core.tables import ImportRejected
        from renkou.migrants.importing import import_migrants

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("no such file: %(file)s") % {"file": path})
        try:
            result = import_migrants(path, direction=options["direction"], user=user, via="cli")
        except ImportRejected as rejected:
            for error in rejected.errors[:200]:
                self.stdout.write(str(error))
            if rejected.total > 200:
                self.stdout.write(_("… and %(n)s more problems") % {"n": rejected.total - 200})
            raise CommandError(str(rejected), returncode=1) from None
        self.stdout.write(result.summary)

    def _list(self, user, options) -> None:
        from renkou.migrants.listing import write_list

        if user is None:
            raise CommandError(_("--user is required: the list is what that user may see"))
        if options["format"] == "xlsx" and not options.get("out"):
            raise CommandError(_("--out is required for an Excel file"))
        out = Path(options["out"]) if options.get("out") else None
        text = write_list(user, direction=options["direction"], org_code=options.get("org"),
                          fmt=options["format"], out=out)
        if out is None:
            self.stdout.write(text)
        else:
            self.stdout.write(_("written to %(file)s") % {"file": out})

    def _request(self, user, options) -> None:
        from renkou.migrants.services import request_verification

        message = request_verification(id_number=options["id_number"], to=options["to"],
                                       subject=options["subject"], urgency=options["urgency"],
                                       question=options["question"], user=user)
        self.stdout.write(_("verification request %(id)s written to %(to)s; it goes out with the "
                            "next batch") % {"id": message.message_id, "to": message.receiver})

    def _answer(self, user, options) -> None:
        from renkou.migrants.models import Box, Message, MessageState, MessageType
        from renkou.migrants.services import answer_request

        requests = Message.objects.filter(box=Box.INCOMING, type=MessageType.VERIFICATION_REQUEST,
                                          state=MessageState.RECEIVED)
        if options.get("message"):
            requests = requests.filter(message_id=_uuid(options["message"]))
            if not requests.exists():
                raise CommandError(_("no open verification request %(id)s")
                                   % {"id": options["message"]}, returncode=1)
        answered = [answer_request(r, result=options["result"], found=not options["not_found"],
                                   user=user) for r in requests.order_by("created_at")]
        self.stdout.write(_("%(n)s requests answered; the answers go out with the next batch")
                          % {"n": len(answered)})


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(_("“%(id)s” is not a message ID") % {"id": value}, returncode=1) from None


def _messages(invalid: ValidationError) -> list[str]:
    return [f"{field}: {reason}" if field else reason for field, reason in reasons(invalid)]

