"""``renkou services …``: the service records from the command line (health workers).

- ``export --person PERSON_ID --format fhir [--out FILE.json] --user U [--reason TEXT]``:
  the person's service record as a FHIR R5 Bundle (:mod:`renkou.services.fhir`), what
  user U (a health worker) may read; another unit's encounters only with ``--reason`` (a
  break-the-glass read). Logged;
- ``catalogue [--file PATH]``: the service catalogue in use, or check an office's own
  catalogue file (each mistake named: the service, the item and the reason);
- ``follow-ups --user U``: the follow-ups due in U's units, of persons whose follow-up
  consent is active. Logged.

A refusal is one line on standard error, in the interface language (``--lang``), and a
non-zero exit; never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.audit import acting
from renkou.core.management.i18n import activate_language, add_language_argument
from renkou.core.management.options import add_user_argument, resolve_user
from renkou.core.models import AuditAction
from renkou.core.text import reasons


class Command(BaseCommand):
    help = ("Service records (服务记录): export a person's record as FHIR, list or check the "
            "service catalogue, list the follow-ups due.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("export", help="export a person's service record (FHIR R5 Bundle)")
        p.add_argument("--person", required=True, metavar="PERSON_ID", type=int)
        p.add_argument("--format", default="fhir", choices=["fhir"])
        p.add_argument("--out", metavar="FILE", help="write to this file (default: print it)")
        p.add_argument("--reason", default="",
                       help="why another unit's record must be read (a break-the-glass read, "
                            "logged)")
        add_user_argument(p, "export what this health worker may read (required)")
        p = sub.add_parser("catalogue", help="list the service catalogue, or check a file")
        p.add_argument("--file", metavar="PATH", help="check this catalogue file (YAML)")
        p = sub.add_parser("follow-ups", help="the follow-ups due in the user's units")
        add_user_argument(p, "the health worker whose units are listed (required)")
        for p in sub.choices.values():
            add_language_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options.get("lang"))
        action = options["action"]
        user = resolve_user(options.get("user"))
        try:
            with acting(user, channel="cli"):
                getattr(self, "_" + action.replace("-", "_"))(user, options)
        except PermissionDenied:
            raise CommandError(_not_a_health_worker(user), returncode=1) from None
        except ValidationError as invalid:
            raise CommandError("; ".join(_messages(invalid)), returncode=1) from None

    # ------------------------------------------------------------------ actions

    def _export(self, user, options) -> None:
        from renkou.register.models import Person
        from renkou.services.fhir import person_bundle

        _require_health_worker(user)
        from renkou.services.identify import may_serve

        person = Person.objects.filter(pk=options["person"]).first()
        if person is None or not may_serve(user, person):
            raise CommandError(_("there is no person %(id)s") % {"id": options["person"]},
                               returncode=1)
        out = Path(options["out"]) if options.get("out") else None
        if out is not None and not out.parent.is_dir():
            raise CommandError(_("no such folder: %(folder)s") % {"folder": out.parent},
                               returncode=1)
        bundle = person_bundle(person, user, reason=options.get("reason") or "")
        text = json.dumps(bundle, ensure_ascii=False, indent=2)
        if out is None:
            self.stdout.write(text)
            return
        try:
            out.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(_("cannot write %(file)s: %(reason)s")
                               % {"file": out, "reason": exc.strerror or exc},
                               returncode=1) from None
        kinds: dict[str, int] = {}
        for entry in bundle.get("entry", []):
            kind = entry["resource"]["resourceType"]
            kinds[kind] = kinds.get(kind, 0) + 1
        self.stdout.write(_("written to %(file)s: %(n)s encounters, %(o)s observations, "
                            "%(c)s consents (FHIR R5 Bundle)")
                          % {"file": out, "n": kinds.get("Encounter", 0),
                             "o": kinds.get("Observation", 0), "c": kinds.get("Consent", 0)})

    def _catalogue(self, user, options) -> None:
        from renkou.services.catalogue import CatalogueError, load_catalogue, services

        if options.get("file"):
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(_("no such file: %(file)s") % {"file": path}, returncode=1)
            try:
                found = load_catalogue(path, source="office")
            except CatalogueError as mistake:
                raise CommandError(_("the catalogue %(file)s is refused: %(reason)s")
                                   % {"file": path, "reason": mistake}, returncode=1) from None
            self.stdout.write(_("%(file)s is a valid service catalogue: %(n)s services")
                              % {"file": path, "n": len(found)})
        else:
            found = services()
        for service in found.values():
            self.stdout.write(f"{service.code}\t{service.name}\t"
                              + _("%(n)s items, %(f)s follow-ups") % {
                                  "n": len(service.items), "f": len(service.follow_ups)}
                              + f"\t{service.source}")
            for item in service.items:
                marks = [item.kind] + ([item.unit] if item.unit else []) + (
                    [_("sensitive")] if item.sensitive else [])
                self.stdout.write(f"    {item.code}\t{item.name}\t{', '.join(marks)}")
            for follow_up in service.follow_ups:
                self.stdout.write(f"    → {follow_up.code}\t{follow_up.name}\t"
                                  + _("after %(n)s days") % {"n": follow_up.after_days})

    def _follow_ups(self, user, options) -> None:
        from renkou.services.catalogue import services
        from renkou.services.services import follow_up_list

        _require_health_worker(user)
        today = clock.today()
        rows = list(follow_up_list(user, on=today).order_by("due_on", "id"))
        catalogue = services()
        for row in rows:
            chosen = catalogue.get(row.service_code)
            spec = chosen.follow_up(row.kind) if chosen else None
            late = _("overdue") if row.due_on < today else ""
            self.stdout.write("\t".join([
                row.due_on.isoformat(), str(row.person_id), row.person.name,
                chosen.name if chosen else row.service_code, spec.name if spec else row.kind,
                row.org.name, late]).rstrip())
        self.stdout.write(_("%(n)s follow-ups due") % {"n": len(rows)})
        audit.record(AuditAction.VIEW, "service_follow_up", "",
                     details={"list": "due", "count": len(rows), "via": "cli"})


def _not_a_health_worker(user) -> str:
    if user is None:
        return _("--user is required: the service records are read as a health worker")
    return _("%(user)s may not read service records: only health workers "
             "record and read them") % {"user": user.get_username()}


def _require_health_worker(user) -> None:
    from renkou.accounts.permissions import has_capability
    from renkou.services.permissions import RECORD_SERVICES

    if not has_capability(user, RECORD_SERVICES):
        raise CommandError(_not_a_health_worker(user), returncode=1)


def _messages(invalid: ValidationError) -> list[str]:
    return [f"{field}: {reason}" if field else reason for field, reason in reasons(invalid)]
