"""Setting up a run of the engine: the output file's tables, the views over the snapshot and
the small input tables the engine makes from Python data.

The output file (``indicators.duckdb``) holds ``indicator_values``
(:data:`renkou.analytics.schema.INDICATOR_VALUES_DDL`) and the tables below; the stages
run in one transaction, and a checkpoint writes the file at the end. The inputs are
temporary: ``persons``, ``events`` and ``snap_org_units`` over the Parquet snapshot, and
``period_list``, ``period_roles``, ``months``, ``bands`` and the ``dim_*`` tables copied from
Arrow tables the engine registers (their columns are listed in :mod:`.stages`).
"""

from __future__ import annotations

from .dialect import parquet

__all__ = ["BEGIN", "CHECKPOINT", "COMMIT", "COPY_ORG_UNITS", "COUNT_INDICATOR_VALUES",
           "FIRST_EVENT_DATE", "FLAG_INCOMPLETE", "unpublished_future_stock", "INSERT_PERIOD",
           "INSERT_REFRESH_INFO", "INSERT_REFRESH_ITEM", "OUTPUT_TABLES_DDL",
           "dimension_insert", "dimension_table", "snapshot_view", "temp_table_from"]

#: The output file's tables besides ``indicator_values``: the org units and periods the
#: indicators cover, and when they were computed.
OUTPUT_TABLES_DDL = (
    "CREATE TABLE org_units (code VARCHAR, name VARCHAR, level INTEGER, "
    "path VARCHAR, parent_code VARCHAR, urban_rural VARCHAR)",
    'CREATE TABLE periods (period VARCHAR, kind VARCHAR, start DATE, "end" DATE)',
    "CREATE TABLE refresh_info (key VARCHAR, value VARCHAR)",
)

BEGIN = "BEGIN TRANSACTION"
COMMIT = "COMMIT"
#: Writes the file out (DuckDB).
CHECKPOINT = "CHECKPOINT"

#: Parameters: the time of the computation and the day it took as today (ISO text).
INSERT_REFRESH_INFO = "INSERT INTO refresh_info VALUES ('computed_at', ?), ('today', ?)"
#: Parameters: one more key and value (the ledger state the snapshot was read from).
INSERT_REFRESH_ITEM = "INSERT INTO refresh_info VALUES (?, ?)"
#: Parameters: label, kind, first and last day of one period.
INSERT_PERIOD = "INSERT INTO main.periods VALUES (?, ?, ?, ?)"
COPY_ORG_UNITS = ("INSERT INTO main.org_units SELECT code, name, level, path, parent_code, "
                  "urban_rural FROM snap_org_units")
#: The ledger's first day (NULL for an empty ledger): where the periods begin.
FIRST_EVENT_DATE = "SELECT min(event_date) FROM events"
COUNT_INDICATOR_VALUES = "SELECT count(*) FROM indicator_values"


def unpublished_future_stock(codes: list[str]) -> str:
    """Parameter: the refresh's day. The indicators ``codes`` read the population at the
    end of the period; for a period that ends after that day it is not known yet, so the
    value is not published (missing)."""
    listed = ", ".join(f"'{c}'" for c in codes) or "''"
    return f"""UPDATE indicator_values
SET value = NULL, numerator = NULL, denominator = NULL, ci_low = NULL, ci_high = NULL,
    flag = 'missing'
WHERE period_end > CAST(? AS DATE) AND indicator IN ({listed})"""


#: Parameter: the refresh's day. Every value of a period not over by then is flagged
#: ``incomplete`` (the current month, quarter, half, year or statistical year).
FLAG_INCOMPLETE = """UPDATE indicator_values
SET flag = CASE WHEN flag = '' THEN 'incomplete' ELSE flag || ',incomplete' END
WHERE period_end > CAST(? AS DATE)"""


def snapshot_view(view: str, path: str) -> str:
    """A temporary view ``view`` over the snapshot's Parquet dataset in the folder ``path``."""
    return f"CREATE TEMP VIEW {view} AS SELECT * FROM {parquet(path)}"


def temp_table_from(name: str, source: str) -> str:
    """A temporary table ``name`` copied from ``source`` (a registered Arrow table)."""
    return f"CREATE TEMP TABLE {name} AS SELECT * FROM {source}"


def dimension_table(name: str) -> str:
    """The table ``dim_<name>`` of the values of one disaggregation (filled by
    :func:`dimension_insert`), crossed with the units and periods for a skeleton."""
    return f"CREATE TEMP TABLE dim_{name} (value VARCHAR)"


def dimension_insert(name: str) -> str:
    """Parameter: one value of the disaggregation ``name``."""
    return f"INSERT INTO dim_{name} VALUES (?)"
