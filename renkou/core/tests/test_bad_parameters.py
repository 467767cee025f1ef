"""Parameters that once answered a server error now answer 400 with a message, in Chinese."""

from __future__ import annotations

import pytest

from renkou.accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "url", "message"), [
    (Role.AUDITOR, "/audit/?page=99999999999999999999", "页码"),
    (Role.AUDITOR, "/audit/?page=0", "页码"),
    (Role.AUDITOR, "/audit/?date_to=9999-12-31", "筛选"),
    (Role.COUNTY_OFFICER, "/reconciliation/crosschecks/?year=-1", "年份"),
    (Role.COUNTY_OFFICER, "/reconciliation/crosschecks/?year=99999", "年份"),
])
def test_a_bad_parameter_answers_400_with_a_message(client, role_users, role, url, message):
    client.force_login(role_users[role])
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.content.decode()
