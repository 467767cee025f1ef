"""Fixtures every app's tests share (a pytest plugin listed in ``renkou/conftest.py``):
built through the domain services, like the register a user would have."""

from __future__ import annotations

import pytest

from .factories import PASSWORD, build_small_register, make_user, users_per_role


@pytest.fixture
def small_register(db):
    """The small county of :func:`renkou.testing.factories.build_small_register`."""
    return build_small_register()


@pytest.fixture
def officer(small_register):
    """A county officer who sees the whole small county."""
    from renkou.accounts.roles import Role

    return make_user("officer", Role.COUNTY_OFFICER, small_register.county, PASSWORD)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def role_users(small_register):
    """One user per role (:func:`renkou.testing.factories.users_per_role`)."""
    return users_per_role(small_register)


@pytest.fixture(autouse=True, scope="session")
def _flush_through_append_only_tables():
    """A test database is emptied between transactional tests (the live-server tests) by
    Django's flush: on SQLite a ``DELETE`` of every table, which the append-only triggers
    refuse outside :func:`renkou.core.append_only.maintenance`."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from renkou.core.append_only import maintenance

    flush = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with maintenance():
            return flush(self, sql_list)

    patch = pytest.MonkeyPatch()
    patch.setattr(BaseDatabaseOperations, "execute_sql_flush", execute_sql_flush)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _an_empty_cache():
    """Each test starts with an empty cache: what one test counts there (the exchange
    endpoint's pushes per address) does not throttle the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path):
    """Uploads kept between a preview and an import, and the background jobs' files, go
    to the test's own folder, not to the working folder."""
    settings.RENKOU_UPLOAD_DIR = tmp_path / "uploads"
    settings.RENKOU_JOB_DIR = tmp_path / "jobs"


@pytest.fixture
def cjk_font():
    """The CJK font the PDFs embed, or the test is skipped (Debian's fonts-wqy-microhei)."""
    from renkou.core import pdf

    try:
        return pdf.find_cjk_font()
    except pdf.CJKFontMissing:
        pytest.skip("fonts-wqy-microhei is not installed")
