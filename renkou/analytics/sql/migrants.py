"""The migrant stage of the engine: stock and flows of migrant spells (流动人口) as cells.

Input: ``migrant_spells`` over the snapshot (an empty table when there is none), and
``person``, ``org``, ``org_anc``, ``period_list``, ``period_roles`` (:mod:`.stages`).

A spell lasts from its ``start_date`` to the day before its ``end_date`` (the day of
leaving is not counted, as for residence). Spells recorded in error (end reason
``corrected``) and spells of persons not in the snapshot (merged duplicates) are left out.
Each is counted in its managing unit (管理地) and every unit above it:

- ``stock_end``: spells current at the end of the period's last day, by the age on that day;
- ``begun``: spells begun in the period (an inflow spell: an arrival, 流入; an outflow
  spell: a departure, 流出), by the age on the day, except a spell that continues the
  person's previous spell of the same direction (that one ended "moved on" the day this
  one began: a move between residences, no arrival or departure);
- ``ended``: spells ended in the period, except those that ended by moving on.

The other place (``origin_*`` of an inflow: its hukou code; ``destination_*`` of an
outflow: its residence code) is cut to the province (2 digits) and county (6 digits);
an outflow whose residence is an address only has ``unknown``.

Output: ``mig_period`` (unit at every level × urban/rural class of the managing unit ×
period × direction × kind × sex × age band × places: ``n``) and ``org_<place>(org_id,
value)``, the place values met under each unit (the skeleton of a place breakdown: a
unit gets a row, possibly zero, in every period for every place it ever had a migrant
from or to).
"""

from __future__ import annotations

from .dialect import month_index
from .stages import age_on, band_of

__all__ = ["EMPTY_MIGRANT_SPELLS", "PLACE_COLUMNS", "UNKNOWN_PLACE", "migrants_sql"]

#: The value of a place that is not known (shown by :func:`renkou.analytics.labels.place_label`).
UNKNOWN_PLACE = "unknown"
PLACE_COLUMNS = ("origin_province", "origin_county", "destination_province", "destination_county")

#: ``migrant_spells`` when the snapshot has none (the migrants app is absent or unused).
EMPTY_MIGRANT_SPELLS = """CREATE TEMP TABLE migrant_spells (
    spell_id BIGINT, person_id BIGINT, direction VARCHAR, hukou_code VARCHAR,
    residence_org_id BIGINT, residence_code VARCHAR, manager_org_id BIGINT, start_date DATE,
    end_date DATE, end_reason VARCHAR, reason VARCHAR, county VARCHAR)"""


def _places(alias: str) -> str:
    code = f"{alias}.residence_code"
    known = f"length({code}) >= 6"
    return (f"CASE WHEN {alias}.direction = 'in' THEN substr({alias}.hukou_code, 1, 2) ELSE '' END "
            f"AS origin_province, "
            f"CASE WHEN {alias}.direction = 'in' THEN substr({alias}.hukou_code, 1, 6) ELSE '' END "
            f"AS origin_county, "
            f"CASE WHEN {alias}.direction <> 'out' THEN '' WHEN {known} THEN substr({code}, 1, 2) "
            f"ELSE '{UNKNOWN_PLACE}' END AS destination_province, "
            f"CASE WHEN {alias}.direction <> 'out' THEN '' WHEN {known} THEN substr({code}, 1, 6) "
            f"ELSE '{UNKNOWN_PLACE}' END AS destination_county")


def migrants_sql() -> list[str]:
    places = ", ".join(PLACE_COLUMNS)
    cells = f"org_id, pid, direction, kind, sex, band, {places}"
    return [
        # the spells counted, with whether each begins (not a continuation) and ends (not
        # by moving on) a migrant's stay
        f"""CREATE TEMP TABLE mig AS
            SELECT s.spell_id, s.direction, s.manager_org_id AS org_id, s.start_date, s.end_date,
                   p.birth_date, p.sex, {_places('s')},
                   CASE WHEN c.spell_id IS NULL THEN 1 ELSE 0 END AS is_new,
                   CASE WHEN s.end_date IS NOT NULL AND s.end_reason <> 'moved_on' THEN 1 ELSE 0
                   END AS is_end
            FROM migrant_spells s
            JOIN person p ON p.person_id = s.person_id
            LEFT JOIN (
                SELECT DISTINCT a.spell_id FROM migrant_spells a
                JOIN migrant_spells b ON b.person_id = a.person_id AND b.direction = a.direction
                 AND b.end_reason = 'moved_on' AND b.end_date = a.start_date
                 AND b.spell_id <> a.spell_id
            ) c ON c.spell_id = s.spell_id
            WHERE s.end_reason <> 'corrected'""",
        f"""CREATE TEMP TABLE mig_cell AS
            SELECT {cells}, COUNT(*) AS n FROM (
                SELECT m.org_id, pe.pid, m.direction, 'stock_end' AS kind, m.sex,
                       {band_of(age_on('m.birth_date', 'pe.end_date'))} AS band, {places}
                FROM mig m JOIN period_list pe
                  ON m.start_date <= pe.end_date AND (m.end_date IS NULL OR m.end_date > pe.end_date)
                UNION ALL
                SELECT m.org_id, r.pid, m.direction, 'begun', m.sex,
                       {band_of(age_on('m.birth_date', 'm.start_date'))}, {places}
                FROM mig m JOIN period_roles r ON r.k = {month_index('m.start_date')} AND r.is_in
                WHERE m.is_new = 1
                UNION ALL
                SELECT m.org_id, r.pid, m.direction, 'ended', m.sex,
                       {band_of(age_on('m.birth_date', 'm.end_date'))}, {places}
                FROM mig m JOIN period_roles r ON r.k = {month_index('m.end_date')} AND r.is_in
                WHERE m.is_end = 1
            ) x
            GROUP BY {cells}""",
        f"""CREATE TEMP TABLE mig_period AS
            SELECT x.ancestor_id AS org_id, o.urban_rural AS ur, c.pid, c.direction, c.kind,
                   c.sex, c.band, {', '.join(f'c.{p}' for p in PLACE_COLUMNS)}, SUM(c.n) AS n
            FROM mig_cell c
            JOIN org_anc x ON x.org_id = c.org_id
            JOIN org o ON o.org_id = c.org_id
            GROUP BY x.ancestor_id, o.urban_rural, c.pid, c.direction, c.kind, c.sex, c.band,
                     {', '.join(f'c.{p}' for p in PLACE_COLUMNS)}""",
        *(f"""CREATE TEMP TABLE org_{p} AS
              SELECT DISTINCT org_id, {p} AS value FROM mig_period WHERE {p} <> ''"""
          for p in PLACE_COLUMNS),
    ]
