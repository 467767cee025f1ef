"""Query-count budgets for the main page of every app (its menu entries), generated from
the registry: a page that starts issuing a query per row fails here, and a new app's
pages are counted without a line of test code. The budget is the count measured on the
small county plus a little room; raise it only with a reason."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renkou.accounts.roles import Role
from renkou.core import registry
from renkou.register import services
from renkou.register.models import HukouType

pytestmark = pytest.mark.django_db

#: Queries a main page may issue (session, user, the page's own reads) by default.
DEFAULT_BUDGET = 10
#: The home page: one aggregate query for each panel of the county officer's role.
BUDGETS = {"reconciliation:index": 12, "benefits:index": 12, "register:home": 16}


def _more_people(register, n: int) -> None:
    for i in range(n):
        services.enrol_person(name=f"测试{i:03d}", sex="F" if i % 2 else "M",
                              birth_date=register.zxm.birth_date, org=register.village,
                              event_date=register.zxm.birth_date, hukou_type=HukouType.RURAL)


@pytest.mark.parametrize("role", [Role.COUNTY_OFFICER, Role.VILLAGE_CLERK])
def test_main_pages_stay_within_their_query_budgets(client, small_register, role_users, role):
    client.force_login(role_users[role])
    counts = {}
    for grow in (0, 20):  # the same count with 20 more persons: no query per row
        _more_people(small_register, grow)
        for entry in registry.menu_entries():
            with CaptureQueriesContext(connection) as queries:
                client.get(reverse(entry.url_name))
            counts.setdefault(entry.url_name, []).append(len(queries.captured_queries))
    over = {name: n for name, n in counts.items()
            if max(n) > BUDGETS.get(name, DEFAULT_BUDGET) or n[1] != n[0]}
    assert over == {}
