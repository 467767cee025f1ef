"""The SQL around the life tables (e0): deaths and person-years of every unit × period ×
sex × age band, read into NumPy arrays by the engine, and the rows of e0 it writes back.

Inputs: ``org``, ``period_list``, ``ev_period`` and ``pop_period`` (:mod:`.stages`).
"""

from __future__ import annotations

from ..catalogue import PLACE_DIMENSIONS, SERVICE_DIMENSIONS

__all__ = ["DEATHS_BY_BAND", "ORG_IDS", "PERIOD_KNOWN", "PERSON_YEARS_BY_BAND",
           "life_expectancy_select"]

#: Every unit's id, in order (the first axis of the arrays).
ORG_IDS = "SELECT org_id FROM org ORDER BY org_id"
#: Whether each period starts after the ledger (the second axis), by period number.
PERIOD_KNOWN = "SELECT known FROM period_list ORDER BY pid"
#: Deaths ``v`` by unit, period, sex and age band.
DEATHS_BY_BAND = ("SELECT org_id, pid, sex, band, SUM(n) AS v FROM ev_period "
                  "WHERE event_type = 'death' AND band IS NOT NULL GROUP BY org_id, pid, sex, band")
#: Person-years ``v`` by unit, period, sex and age band.
PERSON_YEARS_BY_BAND = ("SELECT org_id, pid, sex, band, SUM(pdays) / 365.25 AS v FROM pop_period "
                        "GROUP BY org_id, pid, sex, band")


def life_expectancy_select(code: str, source: str) -> str:
    """The rows of the life-table indicator ``code`` from ``source`` (a registered Arrow
    table of ``org_id, pid, sex, value, num, den, small``), in the shape of
    :func:`.measures.indicator_sql` for :func:`.measures.insert_sql`: no interval, flagged
    ``small_number`` and/or ``missing``."""
    places = ", ".join(f"'' AS {d}" for d in (*PLACE_DIMENSIONS, *SERVICE_DIMENSIONS))
    return f"""
SELECT org_id, pid, '{code}' AS indicator, sex, '' AS age_group,
       '' AS birth_order, '' AS urban_rural, {places}, value, num, den,
       CAST(NULL AS DOUBLE) AS ci_low, CAST(NULL AS DOUBLE) AS ci_high,
       CASE WHEN small AND value IS NULL THEN 'small_number,missing'
            WHEN small THEN 'small_number' WHEN value IS NULL THEN 'missing'
            ELSE '' END AS flag
FROM {source}"""
