"""The export download (/persons/export/): CSV and Excel, as of a date, scoped to the
user's subtree, logged with its filter and row count."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from renkou.accounts.models import Role, User
from renkou.core.models import AuditAction, AuditEntry
from renkou.register import services

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = reverse("register:export")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(_body(response).decode("utf-8-sig"))))


def test_csv_download_of_an_org_subtree_is_logged_with_its_row_count(officer_client,
                                                                     small_register, officer):
    response = officer_client.get(URL, {"org": small_register.town.code})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert f"persons-{small_register.town.code}-" in response["Content-Disposition"]
    rows = _csv_rows(response)  # a page exports Chinese headers and values by default
    assert {r["姓名"] for r in rows} == {"张晓明", "李秀英"}
    assert {r["性别"] for r in rows} == {"男", "女"}
    assert small_register.zxm.id_number in {r["公民身份号码"] for r in rows}  # full numbers
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.user, entry.object_type, entry.channel) == (officer, "persons", "web")
    assert entry.details["rows"] == 2 and entry.details["org"] == small_register.town.code
    assert entry.details["labels"] == "zh"


def test_default_is_the_users_own_unit(officer_client, small_register):
    rows = _csv_rows(officer_client.get(URL))
    assert len(rows) == 4


def test_excel_download_as_of_a_date(officer_client, small_register):
    services.record_move_out(small_register.wang, event_date=small_register.wang.birth_date
                             .replace(year=2024))
    response = officer_client.get(URL, {"org": small_register.street.code,
                                        "as_of": "2023-12-31", "format": "xlsx",
                                        "labels": "machine"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = openpyxl.load_workbook(io.BytesIO(_body(response)), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    states = {row[header.index("name")]: row[header.index("status")] for row in rows}
    assert states == {"王芳": "resident", "赵强": "resident"}
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.details["as_of"] == "2023-12-31" and entry.details["rows"] == 2


def test_an_org_outside_the_users_subtree_is_not_found(client, small_register):
    street_clerk = User.objects.create_user(username="street", password=PASSWORD,
                                            role=Role.VILLAGE_CLERK, org=small_register.street)
    client.force_login(street_clerk)
    assert client.get(URL, {"org": small_register.village.code}).status_code == 404
    assert client.get(URL, {"org": "999999999999"}).status_code == 404
    assert client.get(URL, {"org": small_register.community.code}).status_code == 200
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT,
                                         details__org=small_register.village.code).exists()


@pytest.mark.parametrize("role", [Role.STATISTICIAN, Role.AUDITOR])
def test_roles_without_export_are_refused(client, small_register, role):
    user = User.objects.create_user(username="u", password=PASSWORD, role=role,
                                    org=small_register.county)
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_bad_date_goes_back_to_the_search_page_with_a_message(officer_client, small_register):
    response = officer_client.get(URL, {"as_of": "2024-13-01"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("register:search")
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_temporary_file_is_removed(officer_client, small_register, monkeypatch):
    made = []
    real = tempfile.mkstemp

    def spy(*args, **kwargs):
        handle, name = real(*args, **kwargs)
        made.append(Path(name))
        return handle, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    response = officer_client.get(URL)
    _body(response)  # the test client closes the response once its content is read
    assert made and not made[0].exists()
    officer_client.get(URL, {"org": "999999999999"})
    assert not made[1].exists()


def test_export_buttons_on_the_search_and_org_pages(officer_client, small_register):
    assert URL in officer_client.get(reverse("register:search")).content.decode()
    org_page = officer_client.get(reverse("orgunits:detail", args=[small_register.town.code]))
    assert URL in org_page.content.decode()
    assert f'name="org" value="{small_register.town.code}"' in org_page.content.decode()
