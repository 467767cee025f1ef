"""What each role may do: the one permission layer.

A role grants capabilities; a view declares the capability it needs with
:func:`requires` (a test walks every URL and fails on a view that declares none);
querysets are limited to the user's org subtree by the models' ``visible_to``
(:mod:`renkou.core.scoping`). Together: a record outside the user's subtree answers
404, a page outside the user's role answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Role

__all__ = ["Capability", "ROLE_CAPABILITIES", "has_capability", "requires", "PUBLIC"]


class Capability(models.TextChoices):
    VIEW_REGISTER = "view_register", _("read person and household records")
    EDIT_REGISTER = "edit_register", _("record life events and corrections")
    EXPORT_REGISTER = "export_register", _("export person records")
    VIEW_AGGREGATES = "view_aggregates", _("read aggregate statistics")
    VIEW_AUDIT = "view_audit", _("read the access and change logs")
    MANAGE_USERS = "manage_users", _("manage users")
    MERGE_DUPLICATES = "merge_duplicates", _("review duplicate candidates and merge records")
    MANAGE_BENEFITS = "manage_benefits", _("screen, apply for and review family benefits")
    APPROVE_BENEFITS = "approve_benefits", _("approve family benefits and payment rosters")


_REGISTER_WORK = {Capability.VIEW_REGISTER, Capability.EDIT_REGISTER,
                  Capability.EXPORT_REGISTER, Capability.VIEW_AGGREGATES}

#: DESIGN.md §1. A statistician reads aggregates only, never a person record; an
#: auditor reads logs only.
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.VILLAGE_CLERK: frozenset(_REGISTER_WORK | {Capability.MANAGE_BENEFITS}),
    Role.TOWNSHIP_OFFICER: frozenset(_REGISTER_WORK | {Capability.MERGE_DUPLICATES,
                                                       Capability.MANAGE_BENEFITS}),
    Role.COUNTY_OFFICER: frozenset(_REGISTER_WORK | {Capability.MANAGE_USERS,
                                                     Capability.MERGE_DUPLICATES,
                                                     Capability.MANAGE_BENEFITS,
                                                     Capability.APPROVE_BENEFITS}),
    Role.STATISTICIAN: frozenset({Capability.VIEW_AGGREGATES}),
    Role.AUDITOR: frozenset({Capability.VIEW_AUDIT}),
}

#: Marker for views anyone may open (login page, language switch).
PUBLIC = "public"


def has_capability(user, capability: str) -> bool:
    """Whether ``user`` may do ``capability``; superusers may do everything."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return capability in ROLE_CAPABILITIES.get(getattr(user, "role", ""), frozenset())


def requires(capability: str) -> Callable:
    """View decorator: login required, then 403 unless the user's role grants ``capability``."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not has_capability(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.required_capability = capability
        return guarded

    return decorate
