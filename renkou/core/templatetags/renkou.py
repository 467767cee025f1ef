"""Template helpers shared by every app: ``{% load renkou %}``."""

from __future__ import annotations

from django import template
from django.http import QueryDict

from renkou.accounts.permissions import has_capability
from renkou.register.identity import mask_id_number

register = template.Library()


@register.filter
def masked(id_number: str | None) -> str:
    """An ID number with its middle hidden, for lists: ``110101********123X``."""
    return mask_id_number(id_number)


@register.filter
def age(birth_date) -> str:
    """Age today in completed years (周岁). Lists show it, not the birth date, beside a
    masked ID number: the hidden digits of ``110101********123X`` are the birth date, so
    the two side by side would rebuild the number."""
    if not birth_date:
        return ""
    from renkou.core import clock
    from renkou.register.services import age_on

    return str(age_on(birth_date, clock.today()))


@register.filter
def can(user, capability: str) -> bool:
    """Whether the user's role grants ``capability``, to show only the links it may use:
    ``{% if user|can:"view_register" %}``."""
    return has_capability(user, capability)


@register.filter
def visible_to(record, user) -> bool:
    """Whether ``user`` may see ``record`` (a row of a model with ``visible_to``), e.g. a
    mother registered outside the user's units: ``{% if person.mother|visible_to:user %}``."""
    if record is None:
        return False
    return type(record).objects.visible_to(user).filter(pk=record.pk).exists()


@register.filter
def parent_code(path: str) -> str:
    """The parent's division code from an org unit's ``path`` (``""`` at the root), for the
    unit tree of ``renkou.js`` (``data-parent``)."""
    codes = (path or "").split("/")
    return codes[-2] if len(codes) > 1 else ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied, e.g. for pagination links."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"
