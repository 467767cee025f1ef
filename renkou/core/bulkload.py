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
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models, transaction

__all__ = ["bulk_load", "worth_bulk_mode"]


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
