"""Creating users bound to a role and an org unit."""

from __future__ import annotations

from django.db import transaction

from renkou.orgunits.models import OrgLevel, OrgUnit

from .models import Role, User

#: The password of every demo user; printed by ``renkou demo``.
DEMO_PASSWORD = "Renkou-demo-2026"


@transaction.atomic
def create_user(username: str, role: str, org: OrgUnit, password: str) -> User:
    user, _ = User.objects.get_or_create(username=username)
    user.role = role
    user.org = org
    user.set_password(password)
    user.save()
    return user


def ensure_demo_users() -> list[tuple[str, str, OrgUnit]]:
    """One user per role (DESIGN.md §1): ``(username, role, org unit)`` for each."""
    county = OrgUnit.objects.filter(level=OrgLevel.COUNTY).order_by("code").first()
    village = (OrgUnit.objects.filter(level=OrgLevel.VILLAGE, kind="village")
               .order_by("code").first()
               or OrgUnit.objects.filter(level=OrgLevel.VILLAGE).order_by("code").first())
    township = village.parent if village else county
    plan = [
        ("clerk", Role.VILLAGE_CLERK, village),
        ("township", Role.TOWNSHIP_OFFICER, township),
        ("county", Role.COUNTY_OFFICER, county),
        ("statistician", Role.STATISTICIAN, county),
        ("auditor", Role.AUDITOR, county),
    ]
    out = []
    for username, role, org in plan:
        if org is None:
            continue
        if not User.objects.filter(username=username).exists():
            create_user(username, role, org, DEMO_PASSWORD)
        out.append((username, role, org))
    return out
