"""Session-wide test set-up shared by every app's tests, and the real browser
(Debian's Chromium driven by Playwright) for the browser tests (``pytest -m browser``)."""

import os
from pathlib import Path

import pytest
from django.db import connection

# the test clock (renkou.testing.clock) is loaded by addopts in pyproject.toml: it adds --clock
pytest_plugins = ["renkou.testing.fixtures"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After the session, end the live server's leftover database sessions, so that
    PostgreSQL lets pytest-django drop the test database."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    console: list[str] = []
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        yield page
        errors = [line for line in console if line.startswith("error")]
        assert not errors, errors  # e.g. a missing stylesheet or script
        context.close()
        browser.close()


def screenshot(page, name: str) -> None:
    """Keep a screenshot when ``RENKOU_SCREENSHOT_DIR`` is set."""
    folder = os.environ.get("RENKOU_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page, base: str, username: str, password: str) -> None:
    """Log ``username`` in through the log-in page, as a fresh visitor (no cookies)."""
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
