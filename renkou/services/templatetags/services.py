"""``{% load services %}``: the services section of the register's person page."""

from __future__ import annotations

from django import template

from renkou.accounts.permissions import has_capability

from .. import services as records
from ..permissions import VIEW_SERVICES_RECEIVED

register = template.Library()


@register.inclusion_tag("services/_services_received.html", takes_context=True)
def services_received(context, person) -> dict:
    """Which services ``person`` received, when and where
    (:func:`renkou.services.services.services_received`), for the offices that may see
    it (:data:`~renkou.services.permissions.VIEW_SERVICES_RECEIVED`): never an item, a
    result, a referral or a follow-up. Anyone else sees nothing here (health workers read
    the service record itself, not the register)."""
    show = has_capability(context.get("user"), VIEW_SERVICES_RECEIVED)
    return {"show": show, "rows": records.services_received(person) if show else []}
