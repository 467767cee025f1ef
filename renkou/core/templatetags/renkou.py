"""Template helpers shared by every app: ``{% load renkou %}``."""

from __future__ import annotations

from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode

from renkou.accounts.permissions import has_capability
from renkou.core.scoping import in_subtree, user_org_path
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


@register.filter
def opens_unit(user, unit) -> bool:
    """Whether ``user`` may open the page of the org unit ``unit``: its own unit or one
    below it (the subtree rule, :func:`renkou.core.scoping.in_subtree`), for a link only
    where it leads somewhere: ``{% if user|opens_unit:person.current_org %}``."""
    return unit is not None and _opens(user_org_path(user), unit)


def _opens(root: str | None, unit) -> bool:
    return root is None or (root != "" and in_subtree(unit.path, root))


@register.inclusion_tag("includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, unit, root_label, root_url: str, url_name: str = "", **query) -> dict:
    """The way down to ``unit`` (its ancestors; the unit itself is the page's heading),
    after a first link ``root_label`` to ``root_url``. A unit the user may open (its own
    unit and those below it, :func:`opens_unit`) links to its page: ``url_name`` with the
    unit's code, else this page with ``?org=<code>`` and ``query``
    (``{% breadcrumbs unit _("Statistics") overview_url period=period %}``). Units above
    the user's own are plain text: no link leads to a page the user cannot open."""
    root = user_org_path(context["user"])
    crumbs = []
    for ancestor in unit.ancestors() if unit is not None else []:
        href = ""
        if _opens(root, ancestor):
            href = (reverse(url_name, args=[ancestor.code]) if url_name
                    else "?" + urlencode({"org": ancestor.code, **query}))
        crumbs.append({"name": ancestor.name, "href": href})
    return {"root_label": root_label, "root_url": root_url, "crumbs": crumbs}
