"""Bulk-load mode: one transaction for a large batch, with secondary indexes (and the
per-row foreign-key checks) set aside while it is written and rebuilt once at the end.

Building an index from a finished table is a sort, several times faster than
updating it row by row, and one set-based check of each foreign key replaces a
check per row. It all happens inside the batch's transaction (DDL is transactional
on SQLite and PostgreSQL), so a failure rolls indexes and constraints back with the
data, and a broken reference fails the batch as it would row by row:

- SQLite: foreign keys are switched off for the connection before the transaction
  opens (SQLite ignores the switch inside one) and ``PRAGMA foreign_key_check``
  runs over the loaded tables before the commit;
- PostgreSQL: foreign-key constraints of the loaded tables are dropped and added
  back, which validates every row in one pass.

Worth it only when the batch is large next to the table: see :func:`worth_bulk_mode`.

The rows of such a batch are written without the ORM: :func:`first_free_id` gives the
primary keys a batch may take, :func:`insert_rows` writes many rows with a raw cursor
(``COPY`` on PostgreSQL, the driver's ``executemany`` elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction
from django.db.backends.utils import CursorWrapper

__all__ = ["bulk_load", "worth_bulk_mode", "first_free_id", "insert_rows", "field_columns",
           "INSERT_BATCH"]

#: Rows sent to the database in one ``executemany`` (and counted in one progress step).
INSERT_BATCH = 10_000


def worth_bulk_mode(new_rows: int, existing_rows: int, minimum: int = 20_000) -> bool:
    """Rebuilding pays off when the batch is big and at least half the table's size."""
    return new_rows >= minimum and new_rows * 2 >= existing_rows


@contextmanager
def bulk_load(tables: Sequence[type[models.Model]], enabled: bool = True) -> Iterator[None]:
    """A transaction in which ``tables`` are loaded; bulk mode when ``enabled``."""
    if not enabled:
        with transaction.atomic():
            yield
        return
    names = [m._meta.db_table for m in tables]
    sqlite = connection.vendor == "sqlite"
    checks_off = sqlite and not connection.in_atomic_block and \
        connection.disable_constraint_checking()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if sqlite:
                indexes = _sqlite_indexes(cursor, names, keep_child_keys=not checks_off)
                constraints: list[tuple[str, str, str]] = []
            elif connection.vendor == "postgresql":
                constraints = _postgres_foreign_keys(cursor, names)
                for table, name, _definition in constraints:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                indexes = _postgres_indexes(cursor, names)
            else:
                indexes, constraints = [], []
            for name, _sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            yield
            for _name, sql in indexes:
                cursor.execute(sql)
            for table, name, definition in constraints:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            if checks_off:
                connection.check_constraints(table_names=names)
    finally:
        if checks_off:
            connection.enable_constraint_checking()


def field_columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    """The database columns of ``model``'s fields named ``fields`` (``org`` → ``org_id``)."""
    columns = []
    for name in fields:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field) or field.column is None:
            raise ValueError(f"{model.__name__}.{name} is not a field with a column")
        columns.append(field.column)
    return columns


def first_free_id(cursor: CursorWrapper, model: type[models.Model]) -> int:
    """The first primary key above the current maximum of ``model``'s table.

    A batch written with explicit keys takes them from here up; they stay free only
    while the caller keeps other writers out (``LOCK TABLE`` on PostgreSQL, SQLite's
    write lock of the open transaction). On PostgreSQL, reset the table's sequence
    after the batch.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 (model metadata, not input)
    row = cursor.fetchone()
    return ((row[0] if row else None) or 0) + 1


def insert_rows(cursor: CursorWrapper, model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence[Any]], *, progress: Callable[[int], None] | None = None,
                batch: int = INSERT_BATCH) -> None:
    """Insert many rows into ``model``'s table with a raw cursor, without the ORM.

    ``fields`` names the model's fields (their columns are written) and each row holds
    their values in that order, already as the database takes them (dates as ISO text
    on SQLite, for example): no save(), no signals, no defaults. PostgreSQL streams the
    rows with ``COPY … FROM STDIN``; SQLite uses the driver's own ``executemany``
    (without Django's per-call query rewriting), other databases the cursor's, in
    batches of ``batch`` rows. ``progress``, if given, is called with the number of rows
    written after every ``batch`` rows and once at the end with the rest.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in field_columns(model, fields))
    if connection.vendor == "postgresql":
        n = 0
        with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for n, row in enumerate(rows, 1):
                copy.write_row(row)
                if progress is not None and n % batch == 0:
                    progress(batch)
        if progress is not None:
            progress(n % batch)
        return
    if connection.vendor == "sqlite":
        # The driver's own executemany, without Django's per-call query rewriting.
        marks, executemany = "?", connection.connection.executemany
    else:
        marks, executemany = "%s", cursor.executemany
    values = ", ".join([marks] * len(fields))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({values})"  # noqa: S608
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            executemany(sql, chunk)
            if progress is not None:
                progress(len(chunk))
            chunk = []
    if chunk:
        executemany(sql, chunk)
        if progress is not None:
            progress(len(chunk))


def _sqlite_indexes(cursor, tables: Sequence[str], keep_child_keys: bool) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join(['%s'] * len(tables))})", list(tables))
    indexes = cursor.fetchall()
    if not keep_child_keys:
        return indexes
    # With foreign keys on, SQLite looks up child rows when a parent row arrives while a
    # deferred violation is outstanding: indexes on columns referring to a loaded table stay.
    keep = set()
    for table in tables:
        cursor.execute(f'PRAGMA foreign_key_list("{table}")')
        keep |= {(table, row[3]) for row in cursor.fetchall() if row[2] in tables}
    out = []
    for name, sql in indexes:
        cursor.execute(f'PRAGMA index_info("{name}")')
        first = cursor.fetchone()[2]
        cursor.execute("SELECT tbl_name FROM sqlite_master WHERE name = %s", [name])
        if (cursor.fetchone()[0], first) not in keep:
            out.append((name, sql))
    return out


def _postgres_foreign_keys(cursor, tables: Sequence[str]) -> list[tuple[str, str, str]]:
    cursor.execute(
        "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) "
        "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
        "WHERE con.contype = 'f' AND c.relname = ANY(%s)", [list(tables)])
    return cursor.fetchall()


def _postgres_indexes(cursor, tables: Sequence[str]) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema() "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conname = i.indexname)",
        [list(tables)])
    return cursor.fetchall()
