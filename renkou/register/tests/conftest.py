"""The register's page tests use the shared fixtures of :mod:`renkou.testing.fixtures`
(``small_register``, ``officer``, ``officer_client``); these names stay importable here.

After every test on the small register, every register row must still agree with the
fold of its ledger (``renkou register verify``)."""

import pytest

from renkou.register.verification import verify_register
from renkou.testing.factories import ENROLLED_ON, PASSWORD, make_id_number  # noqa: F401


@pytest.fixture(autouse=True)
def register_agrees_with_the_ledger(request):
    if "small_register" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("small_register")
    yield
    assert verify_register() == []
