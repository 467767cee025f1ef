"""Log-in and log-out pages, open to anyone, and the page a throttled log-in gets."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.models import AuditAction

from .permissions import PUBLIC

__all__ = ["public", "login", "logout", "locked_out", "LOCKOUT_STATUS"]

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
