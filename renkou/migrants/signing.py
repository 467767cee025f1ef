"""This office's signing key and the signatures of the exchange (Ed25519, ``cryptography``).

Every message and every batch an office sends is signed with its private key; the
receiver checks the signature with the public key it registered for that office
(:class:`~renkou.migrants.models.Peer`), so a batch altered on the way, or written by an
office it does not know, is refused whole. What is signed is
:func:`renkou.migrants.envelope.canonical_bytes` of the envelope or of the batch without
its signature.

The private key is kept in the database (PEM, PKCS 8), or — when
``RENKOU_EXCHANGE_KEY_FILE`` names a file — in that file only (mode 0600), so a copy of the
database alone cannot sign for the office. A public key is written on one line,
``ed25519:`` and the base64 of its 32 raw bytes (what ``renkou migrants keys create --out``
writes and ``peers add --key`` reads); a PEM public key is read too.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.models import AuditAction

from .envelope import normalise_code
from .models import OfficeKey

__all__ = ["PREFIX", "create_office_key", "current_key", "public_key_text", "parse_public_key",
           "sign", "signer", "verify", "key_file"]

#: How a public key's text form begins.
PREFIX = "ed25519:"


def key_file() -> Path | None:
    """The file that holds the private key (``RENKOU_EXCHANGE_KEY_FILE``), if one is named."""
    name = getattr(settings, "RENKOU_EXCHANGE_KEY_FILE", "") or ""
    return Path(name) if name else None


def _text_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode("ascii")


def _pem_of(private: Ed25519PrivateKey) -> str:
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode("ascii")


def _write_key_file(path: Path, pem: str) -> None:
    """Write the private key to ``path`` readable by its owner only (0600), replacing it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(pem)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


@transaction.atomic
def create_office_key(office_code: str, user=None) -> OfficeKey:
    """A new key pair for the office ``office_code``; from now on it signs what the office
    sends (the counterpart offices must register the new public key). The private key
    goes to the key file when ``RENKOU_EXCHANGE_KEY_FILE`` is set, else to the database."""
    code = normalise_code(office_code)
    private = Ed25519PrivateKey.generate()
    pem = _pem_of(private)
    path = key_file()
    key = OfficeKey.objects.create(office_code=code, public_key=_text_of(private.public_key()),
                                   private_key="" if path else pem, created_at=clock.now())
    if path is not None:
        _write_key_file(path, pem)
    audit.record(AuditAction.CREATE, "migrant_key", key.pk,
                 details={"office_code": code, "public_key": key.public_key,
                          "kept_in": "file" if path else "database"}, user=user)
    return key


def current_key(office_code: str | None = None) -> OfficeKey:
    """The key that signs for the office (its newest), or :class:`ValidationError` when the
    office has none yet."""
    keys = OfficeKey.objects.all()
    if office_code:
        keys = keys.filter(office_code=normalise_code(office_code))
    key = keys.order_by("-created_at", "-id").first()
    if key is None:
        raise ValidationError({"key": _("this office has no exchange key yet: create one with "
                                        "renkou migrants keys create --out PUBLIC_KEY_FILE")})
    return key


def public_key_text(key: OfficeKey | Ed25519PublicKey | str) -> str:
    """The one-line text form ``ed25519:<base64>`` of a key (an office key, a public key,
    or a text in either accepted form)."""
    if isinstance(key, OfficeKey):
        return key.public_key
    if isinstance(key, Ed25519PublicKey):
        return _text_of(key)
    return _text_of(parse_public_key(key))


def parse_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from ``ed25519:<base64>`` or PEM text; :class:`ValidationError`
    saying what is wrong otherwise."""
    text = (text or "").strip()
    invalid = ValidationError({"key": _("not an Ed25519 public key: write it as "
                                        "ed25519:<base64> (what keys create writes) or PEM")})
    if text.startswith("-----BEGIN"):
        try:
            public = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError, TypeError):
            raise invalid from None
        if not isinstance(public, Ed25519PublicKey):
            raise invalid
        return public
    if not text.startswith(PREFIX):
        raise invalid
    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise invalid from None


def _private_of(key: OfficeKey) -> Ed25519PrivateKey:
    pem = key.private_key
    if not pem:
        path = key_file()
        if path is None or not path.is_file():
            raise ValidationError({"key": _("the private key is kept in a file, but "
                                            "RENKOU_EXCHANGE_KEY_FILE names no such file: %(file)s")
                                   % {"file": path or "—"}})
        pem = path.read_text(encoding="ascii")
    try:
        private = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValidationError({"key": _("the private key cannot be read")}) from None
    if not isinstance(private, Ed25519PrivateKey) or _text_of(private.public_key()) != key.public_key:
        raise ValidationError({"key": _("the private key does not belong to this office's public "
                                        "key %(key)s") % {"key": key.public_key}})
    return private


def signer(key: OfficeKey | None = None) -> Callable[[bytes], str]:
    """A function giving the base64 signature of its bytes with ``key`` (default: the
    office's own), the private key read once (for a batch of many messages)."""
    private = _private_of(key or current_key())
    return lambda data: base64.b64encode(private.sign(data)).decode("ascii")


def sign(data: bytes, key: OfficeKey | None = None) -> str:
    """The base64 Ed25519 signature of ``data`` with ``key`` (default: the office's own)."""
    return signer(key)(data)


def verify(public_key: str, data: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is the signature of ``data`` by ``public_key`` (text);
    any malformed key or signature is simply not valid."""
    try:
        public = parse_public_key(public_key)
        raw = base64.b64decode(signature or "", validate=True)
        public.verify(raw, data)
    except (ValidationError, ValueError, binascii.Error, InvalidSignature, TypeError):
        return False
    return True
