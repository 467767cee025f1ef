"""What each role may do: the one permission layer.

A role grants capabilities; each app declares the capabilities it defines and the
roles that hold them on its ``AppConfig`` (:class:`renkou.core.registry.CapabilitySpec`),
and this module answers from what they declared. A view declares the capability it
needs with :func:`requires` (a test walks every URL and fails on a view that
declares none); querysets are limited to the user's org subtree by the models'
``visible_to`` (:mod:`renkou.core.scoping`). Together: a record outside the user's
subtree answers 404, a page outside the user's role answers 403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.core.registry import CapabilitySpec, role_capabilities

from .roles import Role

__all__ = ["Capability", "CAPABILITIES", "role_capabilities", "has_capability", "requires", "PUBLIC"]


class Capability(models.TextChoices):
    """The capabilities the register's apps share (declared here, by the accounts app).
    An app's own capabilities live in its ``permissions`` module."""

    VIEW_REGISTER = "view_register", _("read person and household records")
    EDIT_REGISTER = "edit_register", _("record life events and corrections")
    EXPORT_REGISTER = "export_register", _("export person records")
    VIEW_AGGREGATES = "view_aggregates", _("read aggregate statistics")
    VIEW_AUDIT = "view_audit", _("read the access and change logs")
    MANAGE_USERS = "manage_users", _("manage users")
    OWN_ACCOUNT = "own_account", _("change one's own password and API tokens")


_OFFICES = (Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER)

#: DESIGN.md §1. A statistician reads aggregates only, never a person record; an
#: auditor reads logs only.
CAPABILITIES = (
    CapabilitySpec(Capability.VIEW_REGISTER, Capability.VIEW_REGISTER.label, roles=_OFFICES),
    CapabilitySpec(Capability.EDIT_REGISTER, Capability.EDIT_REGISTER.label, roles=_OFFICES),
    CapabilitySpec(Capability.EXPORT_REGISTER, Capability.EXPORT_REGISTER.label, roles=_OFFICES),
    CapabilitySpec(Capability.VIEW_AGGREGATES, Capability.VIEW_AGGREGATES.label,
                   roles=(*_OFFICES, Role.STATISTICIAN)),
    CapabilitySpec(Capability.VIEW_AUDIT, Capability.VIEW_AUDIT.label, roles=(Role.AUDITOR,)),
    CapabilitySpec(Capability.MANAGE_USERS, Capability.MANAGE_USERS.label,
                   roles=(Role.COUNTY_OFFICER,)),
    # every role: one's own account is not a view of the register
    CapabilitySpec(Capability.OWN_ACCOUNT, Capability.OWN_ACCOUNT.label, roles=tuple(Role)),
)

#: Marker for views anyone may open (login page, language switch).
PUBLIC = "public"


def has_capability(user, capability: str) -> bool:
    """Whether ``user`` may do ``capability``; superusers may do everything."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    held: Mapping[str, frozenset[str]] = role_capabilities()
    return capability in held.get(getattr(user, "role", ""), frozenset())


def requires(capability: str) -> Callable:
    """View decorator: login required, then 403 unless the user's role grants ``capability``."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not has_capability(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.required_capability = capability  # type: ignore[attr-defined]
        return guarded

    return decorate
