"""The DuckDB spellings that differ from Spark SQL, one function each.

Everything else in :mod:`renkou.analytics.sql` is standard SQL that both run.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["date_literal", "days_between", "int_div", "parquet", "month_index", "month_start"]


def date_literal(day: dt.date) -> str:
    """A date as an SQL literal, ``DATE '2024-05-01'``: standard SQL (Spark SQL too)."""
    return f"DATE '{day}'"


def days_between(start: str, end: str) -> str:
    """Whole days from ``start`` to ``end`` (dates). Spark SQL: ``datediff(end, start)``."""
    return f"CAST(({end}) - ({start}) AS BIGINT)"


def int_div(a: str, b: int) -> str:
    """Integer division rounding down. Spark SQL: ``floor(a / b)`` as well (``div`` truncates)."""
    return f"CAST(floor(({a}) / {b}) AS BIGINT)"


def parquet(path: str) -> str:
    """A hive-partitioned Parquet dataset as a table. Spark SQL: ``parquet.`path` ``."""
    escaped = path.replace("'", "''")
    return f"read_parquet('{escaped}/*/*.parquet', hive_partitioning = true)"


def month_index(date: str) -> str:
    """Months since year 0 (year × 12 + month − 1): standard SQL."""
    return f"(EXTRACT(YEAR FROM {date}) * 12 + EXTRACT(MONTH FROM {date}) - 1)"


def month_start(k: str) -> str:
    """First day of month index ``k``: standard ``make_date`` (Spark SQL 3+ has it too)."""
    return f"make_date({int_div(k, 12)}, CAST(({k}) - {int_div(k, 12)} * 12 + 1 AS BIGINT), 1)"
