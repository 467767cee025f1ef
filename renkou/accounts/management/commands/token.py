"""``renkou token create|list|revoke``: keys for the JSON API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from renkou.accounts.models import ApiToken, User
from renkou.accounts.services import issue_token, revoke_tokens
from renkou.core.management.i18n import activate_language, add_language_argument


class Command(BaseCommand):
    help = ("Issue, list and revoke API tokens. 'create' prints the token as the last word "
            "of its output; it is shown only once.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{create,list,revoke}")
        create = sub.add_parser("create", help="issue a token for a user and print it")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for")
        listing = sub.add_parser("list", help="list a user's tokens (prefix only)")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a user's tokens")
        revoke.add_argument("username")
        revoke.add_argument("--prefix", help="only the token starting with this prefix")
        for p in sub.choices.values():
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("there is no user named %(name)s") % {"name": options["username"]})
        what = options["what"]
        if what == "create":
            key = issue_token(user, options["name"])
            # the key is the last word, so scripts can take it with `awk '{print $NF}'`
            self.stdout.write(_("API token for %(name)s (shown only once; use it as "
                                "'Authorization: Bearer TOKEN'):") % {"name": user.username}
                              + " " + key)
        elif what == "list":
            for token in ApiToken.objects.filter(user=user):
                state = (_("revoked %(date)s") % {"date": f"{localtime(token.revoked):%Y-%m-%d}"}
                         if token.revoked else _("active"))
                used = f"{localtime(token.last_used):%Y-%m-%d %H:%M}" if token.last_used else "-"
                self.stdout.write(f"{token.prefix}…\t{token.name or '-'}\t"
                                  f"{localtime(token.created):%Y-%m-%d %H:%M}\t{used}\t{state}")
        else:
            n = revoke_tokens(user, options.get("prefix"))
            self.stdout.write(_("revoked %(n)s tokens") % {"n": n})
