"""The register's page tests use the shared fixtures of :mod:`renkou.testing.fixtures`
(``small_register``, ``officer``, ``officer_client``); these names stay importable here."""

from renkou.testing.factories import ENROLLED_ON, PASSWORD, make_id_number  # noqa: F401
