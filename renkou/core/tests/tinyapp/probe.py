"""Run in a subprocess with ``DJANGO_SETTINGS_MODULE=renkou.core.tests.tinyapp.settings``:
migrate a fresh database, log in as a county officer and a statistician, and print what
the tiny app's page, API route, menu and home-page panel answer (JSON on the last line)."""

import json
import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from renkou.accounts.models import Role, User  # noqa: E402
from renkou.accounts.services import issue_token  # noqa: E402
from renkou.core import registry  # noqa: E402
from renkou.orgunits.models import OrgUnit  # noqa: E402

setup_test_environment()
call_command("migrate", verbosity=0, interactive=False)
county = OrgUnit.objects.create(code="340621000000", name="县", kind="county", parent=None,
                                urban_rural="rural")
answers = {}
for role in (Role.COUNTY_OFFICER, Role.STATISTICIAN):
    user = User.objects.create_user(f"u_{role}", password="pw-123456-x", role=role, org=county)
    client = Client()
    client.force_login(user)
    page = client.get("/tiny/")
    home = client.get("/stats/")
    dashboard = client.get("/").content.decode()
    token = issue_token(user)
    api = client.get("/api/tiny/hello", HTTP_AUTHORIZATION=f"Bearer {token}")
    answers[role] = {"page": page.status_code, "api": api.status_code,
                     "api_body": api.json() if api.status_code == 200 else None,
                     "menu_has_tiny": 'href="/tiny/"' in home.content.decode(),
                     "home_has_tiny": 'id="panel-tiny-hello"' in dashboard and "42" in dashboard}
listing: list[str] = []
registry.describe(listing.append)
answers["registry"] = listing
answers["schema_has_route"] = "/api/tiny/hello" in Client().get("/api/openapi.json").json()["paths"]
sys.stdout.write(json.dumps(answers) + "\n")
