"""The SQL of the statistics engine, as text the engine formats and runs in DuckDB.

The statements are written in standard SQL that Spark SQL also runs (window functions,
GROUPING SETS with ``grouping_id``, ``make_date``, ``EXTRACT``, CASE, ``||``) so the same
pipeline can run on Spark at national scale. The few DuckDB-only spellings are gathered
in :mod:`.dialect`, each with its Spark SQL equivalent, so a port changes one module.
Intermediate results are ``CREATE TEMP TABLE … AS SELECT``; on Spark they become
temporary views (cached where reused). The snapshot's correction resolution and
partitioned COPY (:mod:`renkou.analytics.snapshot`) are DuckDB-specific and say so.

Kept as Python strings (not ``.sql`` files) so that they ship with the package.
"""
