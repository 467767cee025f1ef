"""``renkou user create|list|disable|enable|set-password``: accounts bound to a role and
an org unit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from renkou.accounts.models import Role, User
from renkou.accounts.services import add_user, set_user_active, set_user_password
from renkou.core.management.i18n import activate_language, add_language_argument


def _error_text(error: ValidationError) -> str:
    messages = error.messages  # every field's, in order
    return "; ".join(messages) if translation.get_language() == "en" else "；".join(messages)


class Command(BaseCommand):
    help = "Create and list users; each user has one role and one org unit (its subtree is what it sees)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True,
                                    metavar="{create,list,disable,enable,set-password}")
        create = sub.add_parser("create", help="create a user")
        create.add_argument("username")
        create.add_argument("--role", required=True, metavar="ROLE",
                            help="one of: " + ", ".join(Role.values))
        create.add_argument("--org", required=True, metavar="CODE",
                            help="division code of the user's org unit")
        create.add_argument("--password", required=True, metavar="PW",
                            help="checked by the password rules (length, not common, not all "
                                 "digits, not like the username)")
        sub.add_parser("list", help="list users with their role and org unit")
        for name, text in (("disable", "disable a user: no log-in, sessions and API tokens "
                                       "stop working"),
                           ("enable", "enable a disabled user again")):
            sub.add_parser(name, help=text).add_argument("username")
        setpw = sub.add_parser("set-password", help="give a user a new password (asked for "
                                                    "twice when --password is not given)")
        setpw.add_argument("username")
        setpw.add_argument("--password", metavar="PW", help="the new password")
        for p in sub.choices.values():
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        if options["what"] == "create":
            try:
                user = add_user(options["username"], role=options["role"],
                                org_code=options["org"], password=options["password"])
            except ValidationError as error:
                raise CommandError(_("the user was not created: %(reason)s")
                                   % {"reason": _error_text(error)}) from error
            unit = user.org
            assert unit is not None  # add_user binds every user it creates to a unit
            self.stdout.write(_("created user %(name)s (%(role)s, %(org)s %(code)s)") % {
                "name": user.username, "role": user.get_role_display(), "org": unit.name,
                "code": unit.code})
            return
        if options["what"] in ("disable", "enable", "set-password"):
            self._change(options)
            return
        for user in User.objects.select_related("org").order_by("username"):
            org = f"{user.org.code} {user.org.name}" if user.org else "-"
            active = "" if user.is_active else _("(inactive)")
            self.stdout.write(f"{user.username}\t{user.get_role_display() or '-'}\t{org}\t{active}"
                              .rstrip())

    def _change(self, options: dict[str, Any]) -> None:
        what, username = options["what"], options["username"]
        try:
            if what == "set-password":
                password = options.get("password") or self._ask_password()
                set_user_password(username, password)
                self.stdout.write(_("the password of %(name)s was changed") % {"name": username})
            else:
                set_user_active(username, what == "enable")
                self.stdout.write((_("user %(name)s enabled") if what == "enable"
                                   else _("user %(name)s disabled")) % {"name": username})
        except ValidationError as error:
            raise CommandError(_error_text(error), returncode=1) from error

    def _ask_password(self) -> str:
        import getpass

        first = getpass.getpass(_("new password: "))
        if first != getpass.getpass(_("again: ")):
            raise CommandError(_("the two passwords differ"), returncode=1)
        return first
