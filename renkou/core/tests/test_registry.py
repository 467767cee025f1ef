"""The platform registry: apps plug themselves in from their ``AppConfig``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from renkou.accounts.permissions import has_capability
from renkou.accounts.roles import Role
from renkou.core import registry

ROOT = Path(__file__).resolve().parents[3]


def test_every_app_registers_its_pages_api_menu_and_demo_step():
    apps = {a.label: a for a in registry.platform_apps()}
    assert {"core", "accounts", "orgunits", "register", "synthetic", "analytics", "quality",
            "dedupe", "reconciliation", "benefits", "migrants", "services"} <= set(apps)
    prefixes = {label: a.url_prefix for label, a in apps.items() if a.url_prefix is not None}
    assert prefixes["register"] == "" and prefixes["analytics"] == "stats/"
    assert [s.app for s in registry.demo_steps()] == [
        "renkou.register", "renkou.dedupe", "renkou.reconciliation", "renkou.benefits",
        "renkou.migrants", "renkou.services", "renkou.quality"]
    assert {prefix for prefix, _router, _tags in registry.api_routers()} >= {
        "/", "/orgunits", "/audit", "/quality", "/dedupe", "/reconciliation", "/benefits",
        "/migrants", "/services"}


def test_every_menu_entry_names_a_declared_capability_and_a_real_page():
    declared = registry.capability_specs()
    for entry in registry.menu_entries():
        assert entry.capability in declared, entry
        assert reverse(entry.url_name)


def test_roles_hold_what_the_apps_declare():
    held = registry.role_capabilities()
    # own_account: every role changes its own password and holds its own API tokens;
    # view_home: every role opens its home page (what it shows is decided panel by panel);
    # the migrant exchange's rates and the services' figures are aggregates
    assert held[Role.STATISTICIAN] == {"view_aggregates", "refresh_statistics", "follow_jobs",
                                       "own_account", "view_home", "view_migrant_rates",
                                       "view_service_figures"}
    # a health worker: the service records, nothing of the register (DESIGN.md §1)
    assert held[Role.HEALTH_WORKER] == {"record_services", "view_service_figures",
                                        "own_account", "view_home"}
    assert held[Role.AUDITOR] == {"view_audit", "own_account", "view_home"}
    assert {"merge_duplicates", "approve_benefits", "manage_users"} <= held[Role.COUNTY_OFFICER]
    assert "merge_duplicates" not in held[Role.VILLAGE_CLERK]
    assert "approve_benefits" not in held[Role.TOWNSHIP_OFFICER]


def test_has_capability_answers_from_the_registry(django_user_model):
    clerk = django_user_model(username="c", role=Role.VILLAGE_CLERK)
    assert has_capability(clerk, "manage_benefits") and not has_capability(clerk, "merge_duplicates")


def test_an_app_plugs_in_a_page_an_api_route_and_a_menu_entry_without_editing_a_central_file(
        tmp_path):
    """The tiny app is installed by one line in a settings module of its own; the site
    then serves its page, its API route, its menu entry and its home-page panel, and only
    to the role its capability names."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "renkou.core.tests.tinyapp.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'tiny.sqlite3'}",
           "RENKOU_ANALYTICS_DIR": str(tmp_path / "analytics")}
    result = subprocess.run([sys.executable, "-m", "renkou.core.tests.tinyapp.probe"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    officer, statistician = answers[Role.COUNTY_OFFICER], answers[Role.STATISTICIAN]
    assert officer == {"page": 200, "api": 200, "api_body": {"hello": "u_county_officer"},
                       "menu_has_tiny": True, "home_has_tiny": True}
    assert statistician == {"page": 403, "api": 403, "api_body": None, "menu_has_tiny": False,
                            "home_has_tiny": False}
    assert answers["schema_has_route"] is True
    assert "tiny  (renkou.core.tests.tinyapp) — tiny test app" in answers["registry"]
    assert "    capability view_tiny: county_officer" in answers["registry"]
