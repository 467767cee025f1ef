"""Users bound to a role and an org unit, their passwords and their API tokens.

Each change is one function here, called alike by the pages (with ``by``, the officer
acting, whose subtree and role bound what it may do) and by the ``renkou user`` and
``renkou token`` commands (an administrator at the machine, bound by nothing); each
locks the user's row, checks, writes, and logs (user management / API token). A refusal
is a ``ValidationError`` keyed by the field it concerns, in the active language.

The rules, from DESIGN.md §1 (a county officer manages the users of its subtree):

- an officer manages only users whose unit lies in its own subtree (others do not
  exist for it), and puts a user only at its own unit or below;
- it grants only a role whose capabilities are all its own (:func:`role_refusal`), so
  a county officer makes no auditor (who reads the logs it may not) and no superuser,
  and it manages no user holding such a role;
- a password an officer gives (a new account, a reset) is temporary: the user must
  change it at its next log-in (``User.must_change_password``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _

from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.registry import capability_specs, role_capabilities
from renkou.core.scoping import in_subtree, user_org_path
from renkou.orgunits.models import OrgLevel, OrgUnit

from .models import ApiToken, Role, User
from .permissions import Capability, has_capability

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAMES", "create_user", "ensure_demo_users", "add_user",
           "role_refusal", "management_refusal", "issue_token", "user_for_token", "revoke_tokens",
           "revoke_token",
           "password_problems", "set_user_active", "set_user_password", "change_own_password",
           "unlock_user", "locked_out_usernames"]

#: Characters of a key kept in clear, to tell tokens apart.
TOKEN_PREFIX = 8

#: The password of every demo user; printed by ``renkou demo``.
DEMO_PASSWORD = "Renkou-demo-2026"
#: The demo users, one per role: clerk, township officer, county officer, statistician,
#: auditor, health worker (of the township's service station).
DEMO_USERNAMES = ("clerk", "township", "county", "statistician", "auditor", "health")


@transaction.atomic
def create_user(username: str, role: str, org: OrgUnit, password: str, *, full_name: str = "",
                must_change_password: bool = False) -> User:
    user, _ = User.objects.get_or_create(username=username)
    user.role = role
    user.org = org
    user.full_name = full_name
    user.must_change_password = must_change_password
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
                                     Role.COUNTY_OFFICER, Role.STATISTICIAN, Role.AUDITOR,
                                     Role.HEALTH_WORKER),
                    (village, township, county, county, county, township), strict=True))
    out: list[tuple[str, str, OrgUnit]] = []
    for username, role, org in plan:
        if org is None:
            continue
        if not User.objects.filter(username=username).exists():
            create_user(username, role, org, DEMO_PASSWORD)
        out.append((username, role, org))
    return out


def _listed(items: Iterable[str]) -> str:
    return (", " if translation.get_language() == "en" else "、").join(items)


def role_refusal(by: User, role: str) -> str | None:
    """Why ``by`` may not grant ``role`` (nor manage a user holding it), or ``None`` when
    it may: a role is granted only by a user whose own role holds every capability of it
    (superusers grant any)."""
    if by.is_superuser:
        return None
    held = role_capabilities()
    missing = held.get(role, frozenset()) - held.get(by.role, frozenset())
    if not missing:
        return None
    specs = capability_specs()
    return _("your role may not grant the role %(role)s: it can %(missing)s, which your own "
             "role cannot") % {"role": Role(role).label if role in Role.values else role,
                               "missing": _listed(sorted(str(specs[c].label) for c in missing))}


def _require_manager(by: User) -> None:
    if not has_capability(by, Capability.MANAGE_USERS):
        raise PermissionDenied


def add_user(username: str, *, role: str, org_code: str, password: str, full_name: str = "",
             by: User | None = None, temporary: bool = False) -> User:
    """Create a new user bound to a role and an org unit (``renkou user create``, the
    new-user page).

    Refuses an existing username, an unknown role or org code, and a password that
    fails Django's password validators; with ``by`` (the officer creating it), also a
    unit above or outside ``by``'s own and a role ``by`` may not grant. ``temporary``:
    the user must change the password at its first log-in. Logged (user management).
    """
    if by is not None:
        _require_manager(by)
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("the username is required")})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("a user named %(name)s already exists")
                               % {"name": username}})
    if role not in Role.values:
        raise ValidationError({"role": _("unknown role %(role)s; choose one of %(roles)s")
                               % {"role": role, "roles": ", ".join(Role.values)}})
    refusal = role_refusal(by, role) if by is not None else None
    if refusal:
        raise ValidationError({"role": refusal})
    org = OrgUnit.objects.filter(code=(org_code or "").strip()).first()
    if org is None:
        raise ValidationError({"org": _("no org unit has the code %(code)s") % {"code": org_code}})
    own = user_org_path(by) if by is not None else None
    if own is not None and not (own and in_subtree(org.path, own)):
        raise ValidationError({"org": _("the unit %(unit)s is above or outside your own unit: "
                                        "a user can only be placed at your unit or below it")
                               % {"unit": f"{org.name}（{org.code}）"}})
    try:
        validate_password(password, User(username=username, role=role, full_name=full_name))
    except ValidationError as error:
        raise ValidationError({"password": password_problems(error)}) from error
    user = create_user(username, role, org, password, full_name=(full_name or "").strip(),
                       must_change_password=temporary)
    audit.record(AuditAction.USER, "user", user.username,
                 details={"operation": "create", "role": role, "org": org.code,
                          "temporary_password": temporary})
    return user


def _locked(username: str, by: User | None) -> User:
    """The user's row, locked for the rest of the transaction; with ``by``, only a user in
    ``by``'s subtree (any other is "no such user") whose role ``by`` may grant, and never
    ``by`` itself."""
    users = User.objects.all() if by is None else User.objects.visible_to(by)
    user = (users.select_for_update(of=("self",))
            .filter(username=(username or "").strip()).first())
    if user is None:
        raise ValidationError({"username": _("there is no user named %(name)s")
                               % {"name": username}})
    refusal = management_refusal(by, user) if by is not None else None
    if refusal:
        raise ValidationError({"username": refusal})
    return user


def management_refusal(by: User, user: User) -> str | None:
    """Why ``by`` may not disable, reset or unlock ``user`` of its subtree, or ``None``:
    not itself, not a superuser (unless ``by`` is one), not a role ``by`` may not grant."""
    if user.pk == by.pk:
        return _("this is your own account: you change your own password on your account page")
    if user.is_superuser and not by.is_superuser:
        return _("only a superuser may change a superuser")
    return role_refusal(by, user.role)


@transaction.atomic
def set_user_active(username: str, active: bool, *, by: User | None = None) -> User:
    """Disable a user (it can no longer log in, its sessions and API tokens stop
    working) or enable it again (``renkou user disable|enable``, the user's page, where
    ``by`` is the officer). Logged."""
    if by is not None:
        _require_manager(by)
    user = _locked(username, by)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(AuditAction.USER, "user", user.username,
                 details={"operation": "enable" if active else "disable"})
    return user


@transaction.atomic
def set_user_password(username: str, password: str, *, by: User | None = None,
                      temporary: bool = False) -> User:
    """Give a user a new password, checked by the password rules; its other sessions
    end (Django ties a session to the password). ``temporary`` (an officer's reset):
    the user must change it at its next log-in. Logged, without the password."""
    if by is not None:
        _require_manager(by)
    user = _locked(username, by)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": password_problems(error)}) from error
    user.set_password(password)
    user.must_change_password = temporary
    user.save(update_fields=["password", "must_change_password"])
    audit.record(AuditAction.USER, "user", user.username,
                 details={"operation": "reset_password" if temporary else "set_password"})
    return user


@transaction.atomic
def change_own_password(user: User, password: str) -> User:
    """The user picks its own new password (the old one already checked by the page):
    the password rules, and not the password it has now; a temporary password is then
    done with. Logged, without the password."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    try:
        validate_password(password, locked)
    except ValidationError as error:
        raise ValidationError({"password": password_problems(error)}) from error
    if locked.check_password(password):
        raise ValidationError({"password": _("the new password must differ from the old one")})
    locked.set_password(password)
    locked.must_change_password = False
    locked.save(update_fields=["password", "must_change_password"])
    user.password, user.must_change_password = locked.password, False
    audit.record(AuditAction.USER, "user", locked.username,
                 details={"operation": "change_own_password"})
    return locked


def locked_out_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of ``usernames`` django-axes refuses now: a user name and address with
    ``AXES_FAILURE_LIMIT`` failed log-ins within the cool-off time (the lock of
    :mod:`renkou.accounts.throttling`)."""
    since = clock.now() - settings.AXES_COOLOFF_TIME
    rows = (AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
            .values("username", "ip_address").annotate(n=Sum("failures_since_start")))
    return {row["username"] for row in rows if (row["n"] or 0) >= settings.AXES_FAILURE_LIMIT}


@transaction.atomic
def unlock_user(username: str, *, by: User | None = None) -> int:
    """Forget the user's failed log-ins (django-axes' own reset), which lifts its lock
    at once; the number of records forgotten. Logged."""
    if by is not None:
        _require_manager(by)
    user = _locked(username, by)
    n = axes_reset(username=user.username)
    audit.record(AuditAction.USER, "user", user.username,
                 details={"operation": "unlock", "attempts": n})
    return n


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


@transaction.atomic
def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (the tokens page); another's, or none with
    that id, is ``ApiToken.DoesNotExist``. Revoking a revoked token changes nothing.
    Logged."""
    token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked is None:
        token.revoked = clock.now()
        token.save(update_fields=["revoked"])
        audit.record(AuditAction.TOKEN, "user", user.username,
                     details={"operation": "revoke", "token_id": token.pk,
                              "prefix": token.prefix, "count": 1})
    return token


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
