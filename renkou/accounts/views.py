"""The account pages.

- log-in and log-out, open to anyone, and the page a throttled log-in gets;
- one's own account (every role): its details, changing one's password, one's API tokens;
- user management (用户管理, ``manage_users``: the county officer): the users of the
  officer's subtree, a new user, disabling and enabling, a temporary password, lifting
  a log-in lock. A user outside the subtree answers 404.

Each view reads the request, calls :mod:`.services` (which checks, writes and logs) and
renders; a refusal is shown on the form or as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import audit
from renkou.core.models import AuditAction
from renkou.register.forms import attach_errors

from . import services
from .forms import OwnPasswordForm, PasswordResetForm, TokenForm, UserCreateForm
from .models import ApiToken, User
from .permissions import PUBLIC, Capability, requires

__all__ = ["public", "login", "logout", "locked_out", "LOCKOUT_STATUS", "account",
           "password_change", "tokens", "token_create", "token_revoke", "user_list",
           "user_create", "user_detail", "user_active", "user_password", "user_unlock"]

#: users listed on one page of the user list
USERS_PER_PAGE = 50

#: "Too Many Requests": what a locked-out log-in answers.
LOCKOUT_STATUS = 429


def public(view: Callable) -> Callable:
    """Mark a view as open to anyone (the guard test accepts it); wraps, never mutates,
    so Django's own view functions stay as they are."""

    @wraps(view)
    def open_view(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    # a function attribute (read by the guard test), set through __dict__: mypy knows
    # no attributes of a function but its own
    open_view.__dict__["required_capability"] = PUBLIC
    return open_view


login = public(auth_views.LoginView.as_view(template_name="accounts/login.html",
                                            redirect_authenticated_user=True))
logout = public(auth_views.LogoutView.as_view())


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("Too many failed log-ins: the account is locked for %(minutes)d minutes. "
             "Please try again later or ask the county office to unlock it.") % {"minutes": minutes}


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the log-in page again, with the lockout message.

    Every refused attempt is logged as a failed log-in marked ``locked_out``, so the
    log shows both the wrong passwords and the lock they caused.
    """
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))[:150]
    audit.record(AuditAction.LOGIN_FAILED, "user", "",
                 details={"username": username, "locked_out": True})
    form = AuthenticationForm(request, initial={"username": username})
    return render(request, "accounts/login.html", {
        "form": form, "locked_out": lockout_message(), "next": request.POST.get("next", ""),
    }, status=LOCKOUT_STATUS)


# --- one's own account ---------------------------------------------------------------


def _me(request: HttpRequest) -> User:
    """The logged-in user (every view below requires one)."""
    user = request.user
    assert isinstance(user, User)
    return user


@requires(Capability.OWN_ACCOUNT)
def account(request: HttpRequest) -> HttpResponse:
    """我的账户: who one is here, with the links to one's password and API tokens."""
    active_tokens = ApiToken.objects.filter(user=_me(request), revoked__isnull=True).count()
    return render(request, "accounts/account.html", {"active_tokens": active_tokens})


@requires(Capability.OWN_ACCOUNT)
def password_change(request: HttpRequest) -> HttpResponse:
    """修改密码: the old password, the new one twice; a user with a temporary password is
    sent here from every page until it has chosen its own (.middleware)."""
    user = _me(request)
    form = OwnPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(user, form.cleaned_data["new_password1"])
        except ValidationError as error:
            attach_errors(form, error, {"password": "new_password1"})
        else:
            update_session_auth_hash(request, user)  # this session goes on; the others end
            messages.success(request, _("Your password has been changed."))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/password_change.html", {
        "form": form, "forced": user.must_change_password})


@requires(Capability.OWN_ACCOUNT)
def tokens(request: HttpRequest, form: TokenForm | None = None) -> HttpResponse:
    """API 令牌: one's own keys for the JSON API, and a new one."""
    return render(request, "accounts/tokens.html", {
        "tokens": ApiToken.objects.filter(user=_me(request)), "form": form or TokenForm()})


@requires(Capability.OWN_ACCOUNT)
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """A new key, shown on the page this answers and never again (only its hash is kept)."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        return tokens(request, form)
    key = services.issue_token(_me(request), form.cleaned_data["name"])
    response = render(request, "accounts/token_created.html", {
        "key": key, "name": form.cleaned_data["name"], "api_url": request.build_absolute_uri("/api/")})
    response["Cache-Control"] = "no-store"  # the key stays out of the browser's cache
    return response


@requires(Capability.OWN_ACCOUNT)
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = services.revoke_token(_me(request), pk)
    except ApiToken.DoesNotExist as missing:
        raise Http404 from missing  # another user's token, as if there were none
    messages.success(request, _("The token %(prefix)s… has been revoked: it no longer works.")
                     % {"prefix": token.prefix})
    return redirect("accounts:tokens")


# --- user management ----------------------------------------------------------------


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


@requires(Capability.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    """用户管理: the users of the officer's subtree, by unit, with their state."""
    q = request.GET.get("q", "").strip()[:150]
    users = (User.objects.visible_to(request.user).select_related("org")
             .order_by("org__path", "username"))
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q)
                             | Q(org__name__icontains=q) | Q(org__code__startswith=q))
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    locked = services.locked_out_usernames(u.username for u in page)
    rows = [(u, u.username in locked) for u in page]
    return render(request, "accounts/user_list.html", {"page": page, "rows": rows, "q": q})


@requires(Capability.MANAGE_USERS)
def user_create(request: HttpRequest) -> HttpResponse:
    """新建用户: created with a temporary password, to change at its first log-in."""
    form = UserCreateForm(request.POST or None, manager=_me(request))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.add_user(d["username"], role=d["role"], org_code=d["org"],
                                     password=d["password"], full_name=d["full_name"],
                                     by=_me(request), temporary=True)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("User %(name)s has been created; it must choose its own "
                                        "password at its first log-in.") % {"name": user.username})
            return redirect("accounts:user", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


def _managed(request: HttpRequest, pk: int) -> User:
    """A user of the officer's subtree (any other answers 404)."""
    return get_object_or_404(User.objects.visible_to(request.user).select_related("org"), pk=pk)


@requires(Capability.MANAGE_USERS)
def user_detail(request: HttpRequest, pk: int, reset_form: PasswordResetForm | None = None
                ) -> HttpResponse:
    """One user: its details and state, and what the officer may do to it."""
    user = _managed(request, pk)
    tokens_held = (ApiToken.objects.filter(user=user)
                   .aggregate(active=Count("pk", filter=Q(revoked__isnull=True)))["active"])
    refusal = services.management_refusal(_me(request), user)
    return render(request, "accounts/user_detail.html", {
        "managed": user, "locked": user.username in services.locked_out_usernames([user.username]),
        "active_tokens": tokens_held, "refusal": refusal,
        "reset_form": reset_form or PasswordResetForm()})


@requires(Capability.MANAGE_USERS)
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Disable (``active=0``) or enable (``active=1``) the user."""
    user = _managed(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_user_active(user.username, active, by=_me(request))
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, (_("User %(name)s has been enabled: it can log in again.")
                                   if active else
                                   _("User %(name)s has been disabled: it can no longer log in, "
                                     "and its API tokens no longer work.")) % {"name": user.username})
    return redirect("accounts:user", pk=user.pk)


@requires(Capability.MANAGE_USERS)
@require_POST
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the user a temporary password (it must choose its own at its next log-in)."""
    user = _managed(request, pk)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.set_user_password(user.username, form.cleaned_data["password"],
                                       by=_me(request), temporary=True)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The password of %(name)s has been reset; it must choose "
                                        "its own at its next log-in.") % {"name": user.username})
            return redirect("accounts:user", pk=user.pk)
    return user_detail(request, pk, reset_form=form)


@requires(Capability.MANAGE_USERS)
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the lock that failed log-ins put on the user (django-axes)."""
    user = _managed(request, pk)
    try:
        n = services.unlock_user(user.username, by=_me(request))
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, (_("User %(name)s has been unlocked: it can log in again.") if n
                                   else _("User %(name)s was not locked.")) % {"name": user.username})
    return redirect("accounts:user", pk=user.pk)
