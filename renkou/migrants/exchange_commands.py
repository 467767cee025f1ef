"""``renkou migrants exchange|keys|peers …``: the exchange from the command line.

- ``exchange export --to CODE --out FILE``: every message waiting for that office (and
  the receipts owed to it) as one signed batch in a file, for an offline intranet;
- ``exchange import FILE [--receipts-out FILE]``: check a batch and apply it whole, once;
  the signed receipts go to ``--receipts-out`` (and with the next batch to that office);
- ``exchange send [--to CODE] [--attempts N] [--backoff SECONDS]``: push the batches over
  HTTP to every counterpart office with a server address;
- ``keys create --out PUBLIC_KEY_FILE [--code CODE]``: this office's key pair, the public
  key written to the file for the counterpart offices; ``keys show``;
- ``peers add --code CODE --key PUBLIC_KEY_FILE [--url URL] [--name NAME]`` (again: the key,
  address or name are updated); ``peers list``.

A refused batch or a failed push ends with exit status 1 and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.accounts.permissions import has_capability
from renkou.core import audit, clock
from renkou.core.management.options import add_user_argument
from renkou.core.models import AuditAction

from . import services, signing
from .envelope import normalise_code
from .permissions import EXCHANGE_MIGRANTS, MANAGE_PEERS

ACTIONS = ("exchange", "keys", "peers")


def add_parsers(sub: Any) -> None:
    """Add the subcommands ``exchange``, ``keys`` and ``peers`` to ``renkou migrants``."""
    p = sub.add_parser("exchange", help="exchange batches with other offices (files or HTTP)")
    steps = p.add_subparsers(dest="step", required=True)
    q = steps.add_parser("export", help="write the batch for one office to a file")
    q.add_argument("--to", required=True, metavar="CODE", help="the receiving office's code")
    q.add_argument("--out", required=True, metavar="FILE")
    add_user_argument(q, "export on behalf of this user")
    q = steps.add_parser("import", help="check and apply a batch received as a file")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--receipts-out", metavar="FILE",
                   help="write the signed receipts for the sender to this file")
    add_user_argument(q, "import on behalf of this user")
    q = steps.add_parser("send", help="push the batches over HTTP to the offices with a URL")
    q.add_argument("--to", metavar="CODE", help="only this office")
    q.add_argument("--attempts", type=int, default=3, help="tries per batch (default 3)")
    q.add_argument("--backoff", type=float, default=2.0,
                   help="seconds before the second try, doubled for each next one (default 2)")
    add_user_argument(q, "send on behalf of this user")
    p = sub.add_parser("keys", help="this office's signing key")
    steps = p.add_subparsers(dest="step", required=True)
    q = steps.add_parser("create", help="make a new key pair and write the public key")
    q.add_argument("--out", required=True, metavar="PUBLIC_KEY_FILE")
    q.add_argument("--code", metavar="CODE", help="this office's code (default: the root unit's)")
    add_user_argument(q, "on behalf of this user")
    steps.add_parser("show", help="print this office's public key")
    p = sub.add_parser("peers", help="the counterpart offices")
    steps = p.add_subparsers(dest="step", required=True)
    q = steps.add_parser("add", help="register (or update) a counterpart office")
    q.add_argument("--code", required=True, metavar="CODE")
    q.add_argument("--key", required=True, metavar="PUBLIC_KEY_FILE")
    q.add_argument("--url", default="", metavar="URL", help="its renkou server, for HTTP")
    q.add_argument("--name", default="", metavar="NAME")
    add_user_argument(q, "on behalf of this user")
    steps.add_parser("list", help="list the counterpart offices")


def handle(command: Any, action: str, options: dict[str, Any]) -> None:
    """Run one of :data:`ACTIONS` (``command`` is the management command: its stdout)."""
    user = options.get("user")
    step = options["step"]
    needed = EXCHANGE_MIGRANTS if action == "exchange" else MANAGE_PEERS
    if user is not None and step not in ("show", "list") and not has_capability(user, needed):
        raise PermissionDenied(_("your role does not allow this"))
    out = command.stdout
    STEPS[(action, step)](out, user, options)


# ---------------------------------------------------------------- exchange

def _exchange_export(out, user, options) -> None:
    from .exchange import export_batch

    result = export_batch(options["to"], options["out"], user)
    out.write(result.summary)


def _exchange_import(out, user, options) -> None:
    from .exchange import BatchRefused, batch_bytes, import_batch

    path = Path(options["file"])
    if not path.is_file():
        raise CommandError(_("no such file: %(file)s") % {"file": path}, returncode=1)
    try:
        result = import_batch(path.read_bytes(), transport="file", user=user)
    except BatchRefused as refused:
        raise CommandError(_("the batch is refused, nothing was imported: %(reason)s")
                           % {"reason": refused.reason}, returncode=1) from None
    out.write(result.summary)
    if result.by_type:
        out.write(_("received by type: %(types)s") % {"types": "，".join(
            f"{_type_label(kind)} {n}" for kind, n in result.by_type.items())})
    if options.get("receipts_out"):
        target = Path(options["receipts_out"])
        target.write_bytes(batch_bytes(result.answer))
        out.write(_("receipts for %(sender)s written to %(file)s (%(n)s receipts)") % {
            "sender": result.sender, "file": target, "n": len(result.answer.get("receipts", []))})


def _type_label(kind: str) -> str:
    from .models import MessageType

    return str(dict(MessageType.choices).get(kind, kind))


def _exchange_send(out, user, options) -> None:
    from .transport import send_all

    to = _code(options["to"]) if options.get("to") else None
    if to:
        from .models import Peer

        peer = Peer.objects.filter(code=to).first()
        if peer is None or not peer.url:
            raise CommandError(_("%(code)s has no server address: register it with peers add --url, "
                                 "or export its batch to a file") % {"code": to}, returncode=1)
    report = send_all(user, to=to, attempts=options["attempts"], backoff=options["backoff"])
    out.write(report.summary)
    if report.failed:
        raise CommandError(_("%(n)s batches were not delivered") % {"n": len(report.failed)},
                           returncode=1)


# ---------------------------------------------------------------- keys

def _code(text: str) -> str:
    try:
        return normalise_code(text)
    except ValidationError:
        raise CommandError(_("“%(code)s” is not a division code (6, 9 or 12 digits)")
                           % {"code": text}, returncode=1) from None


def _keys_create(out, user, options) -> None:
    code = _code(options["code"]) if options.get("code") else services.office_code()
    target = Path(options["out"])
    key = signing.create_office_key(code, user=user)
    target.write_text(key.public_key + "\n", encoding="ascii")
    out.write(_("a new exchange key for %(code)s: public key written to %(file)s; give it to each "
                "counterpart office (renkou migrants peers add --code %(code)s --key FILE)")
              % {"code": code, "file": target})
    where = signing.key_file()
    out.write(_("the private key is kept in %(where)s") % {
        "where": where if where else _("this office's database")})


def _keys_show(out, user, options) -> None:
    key = signing.current_key()
    out.write(f"{key.office_code} {key.public_key}")
    out.write(_("created %(date)s") % {"date": timezone.localtime(key.created_at).strftime("%Y-%m-%d %H:%M")})


# ---------------------------------------------------------------- peers

def _peers_add(out, user, options) -> None:
    from .models import Peer

    code = _code(options["code"])
    if code == services.office_code():
        raise CommandError(_("%(code)s is this office itself") % {"code": code}, returncode=1)
    path = Path(options["key"])
    if not path.is_file():
        raise CommandError(_("no such file: %(file)s") % {"file": path}, returncode=1)
    try:
        public_key = signing.public_key_text(path.read_text(encoding="utf-8", errors="replace"))
    except ValidationError as invalid:
        raise CommandError(f"{path}: {'; '.join(invalid.messages)}", returncode=1) from None
    url = (options.get("url") or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise CommandError(_("“%(url)s” is not a server address (http:// or https://)")
                               % {"url": url}, returncode=1) from None
    with transaction.atomic():
        peer = Peer.objects.select_for_update().filter(code=code).first()
        created = peer is None
        if peer is None:
            peer = Peer(code=code, added_at=clock.now(), added_by=user)
        peer.public_key, peer.url = public_key, url
        peer.name = (options.get("name") or "").strip()[:100] or peer.name
        peer.save()
        audit.record(AuditAction.CREATE if created else AuditAction.CHANGE, "migrant_peer", peer.pk,
                     details={"code": code, "url": url, "public_key": public_key}, user=user)
    text = _("counterpart office %(code)s registered") if created else \
        _("counterpart office %(code)s updated")
    out.write(text % {"code": code} + (f"：{url}" if url else _("; no server address: batches by "
                                                                 "file only")))


def _peers_list(out, user, options) -> None:
    from .models import Peer

    peers = list(Peer.objects.order_by("code"))
    if not peers:
        out.write(_("no counterpart office is registered"))
    for peer in peers:
        contact = timezone.localtime(peer.last_contact_at).strftime("%Y-%m-%d %H:%M") \
            if peer.last_contact_at else "—"
        out.write("\t".join([peer.code, peer.name or "—", peer.url or _("(files only)"),
                             peer.public_key, contact]))


STEPS = {("exchange", "export"): _exchange_export, ("exchange", "import"): _exchange_import,
         ("exchange", "send"): _exchange_send, ("keys", "create"): _keys_create,
         ("keys", "show"): _keys_show, ("peers", "add"): _peers_add, ("peers", "list"): _peers_list}
