"""The ledger, the log and benefit decisions refuse UPDATE and DELETE at the database
level (triggers created by migrations), not only through the ORM: raw SQL is refused on
SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from renkou.core import audit
from renkou.core.append_only import maintenance
from renkou.core.models import AuditAction, AuditEntry
from renkou.register import services
from renkou.register.models import LifeEvent

pytestmark = pytest.mark.django_db


def _refused(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return "append-only" in str(exc)
    return False


@pytest.mark.parametrize("statement", [
    "UPDATE register_lifeevent SET event_date = %s WHERE id = %s",
    "DELETE FROM register_lifeevent WHERE id = %s",
])
def test_raw_sql_cannot_change_or_delete_a_ledger_event(small_register, statement):
    death = services.record_death(small_register.wang, event_date=dt.date(2024, 1, 1))
    params = [dt.date(2023, 1, 1), death.pk] if statement.startswith("UPDATE") else [death.pk]
    assert _refused(statement, params)
    assert LifeEvent.objects.get(pk=death.pk).event_date == dt.date(2024, 1, 1)


def test_raw_sql_cannot_change_or_delete_a_log_entry(small_register):
    audit.record(AuditAction.VIEW, "person", small_register.wang.pk)
    entry = AuditEntry.objects.latest("id")
    assert _refused("UPDATE core_auditentry SET username = %s WHERE id = %s", ["x", entry.pk])
    assert _refused("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])


def _triggers(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                           "AND NOT tgisinternal", [table])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = %s", [table])
        return {row[0] for row in cursor.fetchall()}


def test_every_append_only_table_has_its_triggers():
    from django.apps import apps

    from renkou.core.models import AppendOnlyModel

    tables = sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, AppendOnlyModel))
    assert tables == ["benefits_decision", "core_auditentry", "register_lifeevent"]
    assert all(_triggers(t) for t in tables)


def test_inserting_still_works_and_maintenance_may_empty_a_table(small_register):
    services.record_death(small_register.wang, event_date=dt.date(2024, 1, 1))
    with maintenance(), connection.cursor() as cursor:
        cursor.execute("UPDATE register_household SET head_id = NULL")
        cursor.execute("DELETE FROM core_auditentry")
    assert not AuditEntry.objects.exists()
