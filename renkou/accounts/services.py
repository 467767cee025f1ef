"""Creating users bound to a role and an org unit, and their API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgLevel, OrgUnit

from .models import ApiToken, Role, User

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAMES", "create_user", "ensure_demo_users", "add_user", "issue_token",
           "user_for_token", "revoke_tokens", "password_problems", "set_user_active",
           "set_user_password"]

#: Characters of a key kept in clear, to tell tokens apart.
TOKEN_PREFIX = 8

#: The password of every demo user; printed by ``renkou demo``.
DEMO_PASSWORD = "Renkou-demo-2026"
#: The demo users, one per role: clerk, township officer, county officer, statistician,
#: auditor.
DEMO_USERNAMES = ("clerk", "township", "county", "statistician", "auditor")


@transaction.atomic
def create_user(username: str, role: str, org: OrgUnit, password: str) -> User:
    user, _ = User.objects.get_or_create(username=username)
    user.role = role
    user.org = org
    user.set_password(password)
    user.save()
    return user


def ensure_demo_users() -> list[tuple[str, str, OrgUnit]]:
    """One user per role (DESIGN.md §1): ``(username, role, org unit)`` for each."""
    county = OrgUnit.objects.filter(level=OrgLevel.COUNTY).order_by("code").first()
    village = (OrgUnit.objects.filter(level=OrgLevel.VILLAGE, kind="village")
               .order_by("code").first()
               or OrgUnit.objects.filter(level=OrgLevel.VILLAGE).order_by("code").first())
    township = village.parent if village else county
    plan = list(zip(DEMO_USERNAMES, (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER,
                                     Role.COUNTY_OFFICER, Role.STATISTICIAN, Role.AUDITOR),
                    (village, township, county, county, county), strict=True))
    out: list[tuple[str, str, OrgUnit]] = []
    for username, role, org in plan:
        if org is None:
            continue
        if not User.objects.filter(username=username).exists():
            create_user(username, role, org, DEMO_PASSWORD)
        out.append((username, role, org))
    return out


def add_user(username: str, *, role: str, org_code: str, password: str) -> User:
    """Create a new user bound to a role and an org unit (``renkou user create``).

    Refuses an existing username, an unknown role or org code, and a password that
    fails Django's password validators; each refusal is a ``ValidationError`` keyed
    by the argument it concerns, in the active language. Logged (user management).
    """
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("the username is required")})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("a user named %(name)s already exists")
                               % {"name": username}})
    if role not in Role.values:
        raise ValidationError({"role": _("unknown role %(role)s; choose one of %(roles)s")
                               % {"role": role, "roles": ", ".join(Role.values)}})
    org = OrgUnit.objects.filter(code=(org_code or "").strip()).first()
    if org is None:
        raise ValidationError({"org": _("no org unit has the code %(code)s") % {"code": org_code}})
    try:
        validate_password(password, User(username=username, role=role))
    except ValidationError as error:
        raise ValidationError({"password": password_problems(error)}) from error
    user = create_user(username, role, org, password)
    audit.record(AuditAction.USER, "user", user.username,
                 details={"operation": "create", "role": role, "org": org.code})
    return user


def _existing(username: str) -> User:
    user = User.objects.filter(username=(username or "").strip()).first()
    if user is None:
        raise ValidationError({"username": _("there is no user named %(name)s")
                               % {"name": username}})
    return user


def set_user_active(username: str, active: bool) -> User:
    """Disable a user (it can no longer log in, its sessions and API tokens stop
    working) or enable it again (``renkou user disable|enable``). Logged."""
    user = _existing(username)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(AuditAction.USER, "user", user.username,
                 details={"operation": "enable" if active else "disable"})
    return user


def set_user_password(username: str, password: str) -> User:
    """Give a user a new password, checked by the password rules; its other sessions
    end (Django ties a session to the password). Logged, without the password."""
    user = _existing(username)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": password_problems(error)}) from error
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(AuditAction.USER, "user", user.username, details={"operation": "set_password"})
    return user


def password_problems(error: ValidationError) -> list[str]:
    """Django's password-validator refusals, one plain sentence each in the active language."""
    texts = {
        "password_too_short": _("the password is too short: it needs at least %(min_length)s "
                                "characters"),
        "password_too_common": _("the password is too common"),
        "password_entirely_numeric": _("the password is only digits"),
        "password_too_similar": _("the password is too similar to the %(verbose_name)s"),
    }
    out = []
    for item in error.error_list:
        text = texts.get(item.code or "")
        out.append(text % (item.params or {}) if text else " ".join(item.messages))
    return out


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_token(user: User, name: str = "") -> str:
    """A new API key for ``user``; only its hash is kept, so this is the one chance to
    show it. Logged (API token), without the key."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:TOKEN_PREFIX],
                                    key_hash=_hash_key(key))
    audit.record(AuditAction.TOKEN, "user", user.username,
                 details={"operation": "issue", "token_id": token.pk, "prefix": token.prefix,
                          "name": token.name})
    return key


def user_for_token(key: str) -> User | None:
    """The active user holding this unrevoked key, or ``None``. Notes the time of use
    (at most once a minute per token, to spare the database a write per request)."""
    if not key or len(key) > 200:
        return None
    token = (ApiToken.objects.select_related("user", "user__org")
             .filter(key_hash=_hash_key(key), revoked__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used is None or now - token.last_used > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


def revoke_tokens(user: User, prefix: str | None = None) -> int:
    """Revoke the user's active tokens (those starting with ``prefix`` if given); logged."""
    tokens = ApiToken.objects.filter(user=user, revoked__isnull=True)
    if prefix:
        tokens = tokens.filter(prefix__startswith=prefix[:TOKEN_PREFIX])
    n = tokens.update(revoked=clock.now())
    if n:
        audit.record(AuditAction.TOKEN, "user", user.username,
                     details={"operation": "revoke", "prefix": prefix or "", "count": n})
    return n
