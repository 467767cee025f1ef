"""Log-in throttling beyond one user name (django-axes does the counting).

django-axes locks out a user name tried with wrong passwords from one address; alone,
that lets one address try a password on thirty user names without ever being stopped.
:func:`lockout_parameters` (``AXES_LOCKOUT_PARAMETERS``) adds the address as a whole:
once it has ``RENKOU_ADDRESS_FAILURE_LIMIT`` failed log-ins within the cool-off time,
whatever the user names, every log-in from it is refused until they expire. The limit
is well above what one office behind one address mistypes in a quarter of an hour.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

from renkou.core import clock
from renkou.core.audit import client_address

__all__ = ["lockout_parameters", "address_failures"]

_PAIR = [["username", "ip_address"]]


def address_failures(address: str) -> int:
    """Failed log-ins from ``address`` within the cool-off time, for any user name."""
    since = clock.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start"))["n"] or 0


def lockout_parameters(request_or_attempt: Any, credentials: dict | None = None) -> list:
    """What django-axes counts failures by: the user name and address together, or the
    address alone once it has failed too often."""
    address = (getattr(request_or_attempt, "axes_ip_address", None)
               or getattr(request_or_attempt, "ip_address", None))
    if address is None and hasattr(request_or_attempt, "META"):
        address = client_address(request_or_attempt)
    if address and address_failures(address) >= settings.RENKOU_ADDRESS_FAILURE_LIMIT:
        return ["ip_address"]
    return _PAIR
