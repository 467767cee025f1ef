"""``{% load migrants %}``: the migrant section of the register's person page."""

from __future__ import annotations

from django import template

from renkou.accounts.permissions import has_capability

from ..models import MigrantSpell
from ..permissions import REGISTER_MIGRANTS
from ..services import places_of

register = template.Library()


@register.inclusion_tag("migrants/_person_places.html", takes_context=True)
def migrant_places(context, person) -> dict:
    """The three places of ``person`` (户籍地, 居住地, 管理地,
    :func:`renkou.migrants.services.places_of`) and the person's migrant spells, for the
    person page (whoever may open that page sees them; the spells link to their page for
    those who register migrants)."""
    user = context["user"]
    spells = (MigrantSpell.objects.filter(person=person)
              .select_related("residence_org", "manager_org").order_by("-start_date", "-id"))
    return {"places": places_of(person), "spells": list(spells),
            "may_open": has_capability(user, REGISTER_MIGRANTS), "person": person}


@register.filter
def place(code: str, name: str = "") -> str:
    """A division code with its name: the unit's name here (``name``), else the division's
    from the national table (``340621`` → 安徽省淮北市濉溪县), else the code alone."""
    from renkou.analytics.labels import division_name

    code = code or ""
    label = name or division_name(code)
    return f"{code} {label}".strip()
