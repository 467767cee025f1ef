"""Log-ins, log-outs and failed log-ins go to the access log."""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from renkou.core import audit
from renkou.core.models import AuditAction


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    audit.record(AuditAction.LOGIN, "user", user.pk, user=user)
    if request is not None and hasattr(request, "session"):
        request.session["_renewed_at"] = int(time.time())  # see SessionRenewalMiddleware


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record(AuditAction.LOGOUT, "user", user.pk, user=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit.record(AuditAction.LOGIN_FAILED, "user", "",
                 details={"username": str(credentials.get("username", ""))[:150]})
