"""Whose database is this? ``renkou demo`` creates one user per role with a password it
prints for anyone to read, so it does that only in a database it created itself: a
blank one (no user, no org unit, no person), which it marks as the demo's in the access
log (append-only, so the mark cannot be forged by editing a row). Any other database is
refused with a message: the demo never adds public-password accounts, nor a synthetic
county, to an office's real register.
"""

from __future__ import annotations

from renkou.accounts.models import User
from renkou.accounts.services import DEMO_PASSWORD, DEMO_USERNAMES
from renkou.core import audit
from renkou.core.models import AuditAction, AuditEntry
from renkou.orgunits.models import OrgUnit
from renkou.register.models import Person

__all__ = ["is_blank", "is_demo", "mark_as_demo"]

DEMO_MARK = "demo_database"


def is_blank() -> bool:
    """No user, no org unit and no person yet: a database just created."""
    return not (User.objects.exists() or OrgUnit.objects.exists() or Person.objects.exists())


def _made_by_an_earlier_demo() -> bool:
    """A demo database from before the mark: its users are demo users with the demo
    password, and nothing else."""
    users = list(User.objects.all()[:len(DEMO_USERNAMES) + 1])
    return bool(users) and all(u.username in DEMO_USERNAMES and u.check_password(DEMO_PASSWORD)
                               for u in users)


def is_demo() -> bool:
    """This database was created by ``renkou demo``."""
    if AuditEntry.objects.filter(object_type=DEMO_MARK).exists():
        return True
    if _made_by_an_earlier_demo():
        mark_as_demo()
        return True
    return False


def mark_as_demo() -> None:
    audit.record(AuditAction.CREATE, DEMO_MARK, details={
        "note": "created by renkou demo: synthetic data, demo users with a public password"})
