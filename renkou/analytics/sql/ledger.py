"""Effective events in SQL: the ledger's recorded events with their correction chains applied.

The same rule as :func:`renkou.register.ledger.resolve` (its docstring is the
definition; a test holds the two forms to one answer on a generated county). The walk
down each chain carries two states, the event as it stands (``cur_*``) and as it stood
before the latest link (``bef_*``): a replacement sets the fields it names on the
current state (on the earlier one if the current is a void) and a void swaps the two,
so voiding the root voids the event and voiding a correction undoes it.

Input: a relation with the ledger's columns ``id, person_id, event_type, event_date,
org_id, payload`` (JSON text) and ``supersedes_id``. Output columns: ``event_id,
person_id, event_type, event_date`` (DATE), ``org_id, payload`` (JSON text) and
``corrected`` (whether a chain changed it). Corrections themselves are not output; voided
events are left out. ``WITH RECURSIVE`` and the JSON functions are DuckDB spellings
(Spark SQL: ``get_json_object`` and an iterative join, chains being short).
"""

from __future__ import annotations

__all__ = ["effective_events_sql"]


def effective_events_sql(events: str) -> str:
    """A SELECT of the effective events of the ledger relation ``events``."""
    return f"""
WITH RECURSIVE link AS (
    SELECT id, supersedes_id,
           COALESCE(lower(json_extract_string(payload, '$.void')) IN ('true', '1'), FALSE) AS is_void,
           TRY_CAST(json_extract_string(payload, '$.event_date') AS DATE) AS set_date,
           TRY_CAST(json_extract_string(payload, '$.org_id') AS BIGINT) AS set_org,
           CAST(json_extract(payload, '$.payload') AS VARCHAR) AS set_payload
    FROM {events} WHERE supersedes_id IS NOT NULL
),
walk(root_id, link_id, depth, cur_void, cur_date, cur_org, cur_payload,
     bef_void, bef_date, bef_org, bef_payload) AS (
    SELECT b.id, b.id, 0, FALSE, CAST(b.event_date AS DATE), b.org_id, CAST(b.payload AS VARCHAR),
           TRUE, CAST(NULL AS DATE), CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
    FROM {events} b
    WHERE b.supersedes_id IS NULL AND b.id IN (SELECT supersedes_id FROM link)
    UNION ALL
    SELECT w.root_id, l.id, w.depth + 1,
           CASE WHEN l.is_void THEN w.bef_void ELSE FALSE END,
           CASE WHEN l.is_void THEN w.bef_date
                ELSE COALESCE(l.set_date, CASE WHEN w.cur_void THEN w.bef_date ELSE w.cur_date END)
           END,
           CASE WHEN l.is_void THEN w.bef_org
                ELSE COALESCE(l.set_org, CASE WHEN w.cur_void THEN w.bef_org ELSE w.cur_org END)
           END,
           CASE WHEN l.is_void THEN w.bef_payload
                ELSE COALESCE(l.set_payload,
                              CASE WHEN w.cur_void THEN w.bef_payload ELSE w.cur_payload END)
           END,
           w.cur_void, w.cur_date, w.cur_org, w.cur_payload
    FROM walk w JOIN link l ON l.supersedes_id = w.link_id
),
resolved AS (
    SELECT root_id, cur_void, cur_date, cur_org, cur_payload FROM walk
    QUALIFY row_number() OVER (PARTITION BY root_id ORDER BY depth DESC) = 1
)
SELECT b.id AS event_id, b.person_id, b.event_type,
       CASE WHEN r.root_id IS NULL THEN CAST(b.event_date AS DATE) ELSE r.cur_date END AS event_date,
       CASE WHEN r.root_id IS NULL THEN b.org_id ELSE r.cur_org END AS org_id,
       CASE WHEN r.root_id IS NULL THEN CAST(b.payload AS VARCHAR) ELSE r.cur_payload END AS payload,
       r.root_id IS NOT NULL AS corrected
FROM {events} b LEFT JOIN resolved r ON r.root_id = b.id
WHERE b.supersedes_id IS NULL AND NOT COALESCE(r.cur_void, FALSE)
"""
