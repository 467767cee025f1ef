"""Append-only at the database level: triggers that refuse ``UPDATE`` and ``DELETE``.

:class:`renkou.core.models.AppendOnlyModel` refuses changes made through the ORM; these
triggers refuse them from anywhere else too — raw SQL, another program, a database
shell — on SQLite and PostgreSQL. Each app with an append-only table installs them in
one of its migrations (:func:`install_operation`); after every ``migrate`` they are
ensured again for every append-only model (:func:`ensure_triggers`), because SQLite
drops a table's triggers when a migration rebuilds the table.

One way through, :func:`maintenance`, for the two jobs that empty whole tables: the
replacement of the whole register by a generated one (``renkou generate --replace``)
and the flush of a test database. On SQLite the triggers ask the connection's function
``renkou_maintenance()`` (registered on every connection renkou opens; a program
without it cannot delete at all); on PostgreSQL they read the transaction-local setting
``renkou.maintenance``. ``TRUNCATE`` (PostgreSQL's flush) fires no row trigger.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.migrations import RunPython

__all__ = ["maintenance", "install_operation", "ensure_triggers", "register_sqlite_function",
           "trigger_sql"]

_state = threading.local()

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION renkou_refuse_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('renkou.maintenance', true) = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
        MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';
END $$ LANGUAGE plpgsql"""


def _in_maintenance() -> int:
    return 1 if getattr(_state, "depth", 0) else 0


def register_sqlite_function(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """``connection_created`` receiver: give a new SQLite connection ``renkou_maintenance()``."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_function("renkou_maintenance", 0, _in_maintenance)


@contextmanager
def maintenance() -> Iterator[None]:
    """Let the block delete (and change) rows of append-only tables — only for emptying
    whole tables (the register replaced, a test database flushed); never for a page."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        if connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('renkou.maintenance', 'on', true)")
                yield
                cursor.execute("SELECT set_config('renkou.maintenance', '', true)")
        else:
            yield
    finally:
        _state.depth -= 1


def trigger_sql(table: str, vendor: str) -> list[str]:
    """The statements that install the triggers of ``table`` (idempotent)."""
    if vendor == "postgresql":
        return [_PG_FUNCTION,
                f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"',
                f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                f"FOR EACH ROW EXECUTE FUNCTION renkou_refuse_change()"]
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{table}_append_only_{op.lower()}" BEFORE {op} ON "{table}" '
        f"WHEN renkou_maintenance() = 0 "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ]


def _drop_sql(table: str, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"']
    return [f'DROP TRIGGER IF EXISTS "{table}_append_only_{op}"' for op in ("update", "delete")]


def _run(schema_editor: Any, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def install_operation(app_label: str, model_name: str) -> RunPython:
    """The migration operation that installs the triggers of ``app_label.model_name``."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        table = apps.get_model(app_label, model_name)._meta.db_table
        _run(schema_editor, trigger_sql(table, schema_editor.connection.vendor))

    def backwards(apps: Any, schema_editor: Any) -> None:
        table = apps.get_model(app_label, model_name)._meta.db_table
        _run(schema_editor, _drop_sql(table, schema_editor.connection.vendor))

    return RunPython(forwards, backwards)


def ensure_triggers(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: (re)install the triggers of every append-only model."""
    from django.apps import apps
    from django.db import connections

    from .models import AppendOnlyModel

    if sender is not None and getattr(sender, "label", "core") != "core":
        return  # sent once per app after a migrate: run once
    db = connections[using]
    tables = set(db.introspection.table_names())
    with db.cursor() as cursor:
        for model in apps.get_models():
            if issubclass(model, AppendOnlyModel) and model._meta.db_table in tables:
                for statement in trigger_sql(model._meta.db_table, db.vendor):
                    cursor.execute(statement)
