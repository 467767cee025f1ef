"""The snapshot's partitioning: raw Parquet files of the register in, county partitions out.

Run by :mod:`renkou.analytics.snapshot` over the files it streamed out of the database
(``{raw}/org_units.parquet``, ``persons.parquet``, ``events.parquet``,
``migrant_spells.parquet``, ``service_encounters.parquet``, ``service_requests.parquet``).
The ledger is
resolved by :func:`.ledger.effective_events_sql` and the payload fields the statistics
need are flattened into columns. DuckDB-specific: ``read_parquet``,
``json_extract_string`` and ``COPY … PARTITION_BY`` (Spark SQL: ``spark.read.parquet``,
``get_json_object`` and ``DataFrameWriter.partitionBy``).
"""

from __future__ import annotations

from renkou.register.vocabulary import NOT_PERSONS, sql_list

from .ledger import effective_events_sql

__all__ = ["partition_sql"]


def partition_sql(raw: str, out: str) -> list[str]:
    """The statements that write ``{out}/events``, ``persons``, ``migrant_spells``,
    ``service_encounters``, ``service_requests`` and ``org_units`` by county (a spell by
    its managing unit's, an encounter or request by its unit's).

    ``raw`` and ``out`` are folder paths already escaped for a SQL string literal.
    """
    merged = (f"SELECT person_id FROM read_parquet('{raw}/persons.parquet') "
              f"WHERE status IN {sql_list(NOT_PERSONS)}")
    return [
        f"""CREATE TEMP TABLE org AS
            SELECT o.*, substr(split_part(o.path, '/', 1), 1, 6) AS county
            FROM read_parquet('{raw}/org_units.parquet') o""",
        f"""CREATE TEMP TABLE eff AS
            {effective_events_sql(f"read_parquet('{raw}/events.parquet')")}""",
        f"""COPY (
            SELECT e.event_id, e.person_id, e.event_type, e.event_date, e.org_id,
                   TRY_CAST(json_extract_string(e.payload, '$.household_id') AS BIGINT) AS household_id,
                   TRY_CAST(json_extract_string(e.payload, '$.mother_id') AS BIGINT) AS mother_id,
                   TRY_CAST(json_extract_string(e.payload, '$.father_id') AS BIGINT) AS father_id,
                   TRY_CAST(json_extract_string(e.payload, '$.birth_order') AS BIGINT) AS birth_order,
                   json_extract_string(e.payload, '$.marital_status') AS marital_status,
                   TRY_CAST(json_extract_string(e.payload, '$.spouse_id') AS BIGINT) AS spouse_id,
                   TRY_CAST(json_extract_string(e.payload, '$.from_org_id') AS BIGINT) AS from_org_id,
                   json_extract_string(e.payload, '$.relationship') AS relationship,
                   e.corrected,
                   COALESCE(o.county, '000000') AS county
            FROM eff e LEFT JOIN org o ON o.org_id = e.org_id
            WHERE e.person_id NOT IN ({merged})
        ) TO '{out}/events' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (county))""",
        f"""COPY (
            SELECT p.person_id, p.sex, CAST(p.birth_date AS DATE) AS birth_date,
                   p.registered_org_id, p.household_id, p.mother_id, p.father_id, p.birth_order,
                   p.marital_status, p.hukou_type, p.status, COALESCE(o.county, '000000') AS county
            FROM read_parquet('{raw}/persons.parquet') p
            LEFT JOIN org o ON o.org_id = p.registered_org_id
            WHERE p.status NOT IN {sql_list(NOT_PERSONS)}
        ) TO '{out}/persons' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (county))""",
        f"""COPY (
            SELECT s.spell_id, s.person_id, s.direction, s.hukou_code, s.residence_org_id,
                   COALESCE(s.residence_code, '') AS residence_code, s.manager_org_id,
                   CAST(s.start_date AS DATE) AS start_date, CAST(s.end_date AS DATE) AS end_date,
                   COALESCE(s.end_reason, '') AS end_reason, s.reason,
                   COALESCE(o.county, '000000') AS county
            FROM read_parquet('{raw}/migrant_spells.parquet') s
            LEFT JOIN org o ON o.org_id = s.manager_org_id
            WHERE s.person_id NOT IN ({merged})
        ) TO '{out}/migrant_spells' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (county))""",
        f"""COPY (
            SELECT e.encounter_id, e.person_id, e.service_code, e.org_id,
                   CAST(e.date AS DATE) AS date, CAST(e.stats_consent AS BOOLEAN) AS stats_consent,
                   CAST(e.at_risk AS BOOLEAN) AS at_risk, CAST(e.referred AS BOOLEAN) AS referred,
                   CAST(e.migrant_at_residence AS BOOLEAN) AS migrant_at_residence,
                   COALESCE(o.county, '000000') AS county
            FROM read_parquet('{raw}/service_encounters.parquet') e
            LEFT JOIN org o ON o.org_id = e.org_id
            WHERE e.person_id NOT IN ({merged})
        ) TO '{out}/service_encounters' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (county))""",
        f"""COPY (
            SELECT r.request_id, r.person_id, r.service_code, r.org_id,
                   CAST(r.requested_on AS DATE) AS requested_on, r.state,
                   CAST(r.served_on AS DATE) AS served_on, COALESCE(o.county, '000000') AS county
            FROM read_parquet('{raw}/service_requests.parquet') r
            LEFT JOIN org o ON o.org_id = r.org_id
            WHERE r.person_id NOT IN ({merged})
        ) TO '{out}/service_requests' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (county))""",
        f"COPY (SELECT * FROM org) TO '{out}/org_units' (FORMAT parquet, PARTITION_BY (county))",
    ]
