"""The services stage of the engine: service records (服务记录) as cells.

Input: ``service_encounters`` and ``service_requests`` over the snapshot (empty tables
when there are none: :data:`EMPTY_SERVICE_ENCOUNTERS`, :data:`EMPTY_SERVICE_REQUESTS`), and
``person``, ``org_anc``, ``period_list``, ``period_roles`` (:mod:`.stages`).

An encounter is counted in its service unit and every unit above it, in every period
holding its date; a request in the unit where it was asked, in every period holding the
day it was asked. Records of persons not in the snapshot (merged duplicates) are left out.
For every unit × period, per service and for all services together (``service`` ''):

- counts of services received, from every record (that a service was received is not a
  result): ``encounters``; ``persons_served``, the people with at least one encounter,
  each counted once in the unit and period (and once in the total of all services, however
  many services she had); ``migrants_served``, likewise of the encounters of inflow
  migrants served at their residence; ``requests``, asked in the period;
  ``requests_served``, of those, the requests served by the period's last day (on the
  day of the refresh for a period not over); ``wait_days``, their days from asking to
  being served (0 when the record dates the service before the request);
- result-based counts, only of the encounters whose person agreed to use in anonymous
  statistics (``stats_consent``; the snapshot reads no result of the others):
  ``consented`` (those encounters), ``assessed`` (with a risk assessment recorded),
  ``at_risk`` (assessed at risk), ``referred``.

A request withdrawn by the person or referred elsewhere counts as asked and not served.

Output: ``svc_period`` (unit at every level × period × service: one column per count)
and ``org_service(org_id, value)``, the services met under each unit (the skeleton of
the ``service`` breakdown: a unit gets a row, possibly zero, in every period for every
service it ever recorded an encounter or a request of).

Standard SQL (``GROUPING SETS``, ``COUNT(DISTINCT …)``, ``GREATEST``): Spark SQL runs it.
"""

from __future__ import annotations

from ..catalogue import SERVICE_DIMENSIONS, ServiceMeasure
from .dialect import days_between, month_index

__all__ = ["EMPTY_SERVICE_ENCOUNTERS", "EMPTY_SERVICE_REQUESTS", "SERVICE_COUNTS", "SERVICE_DIMS",
           "SERVICE_SOURCE", "service_aggregate", "services_sql"]

#: ``service_encounters`` when the snapshot has none (the services app is absent or unused).
EMPTY_SERVICE_ENCOUNTERS = """CREATE TEMP TABLE service_encounters (
    encounter_id BIGINT, person_id BIGINT, service_code VARCHAR, org_id BIGINT, date DATE,
    stats_consent BOOLEAN, at_risk BOOLEAN, referred BOOLEAN, migrant_at_residence BOOLEAN,
    county VARCHAR)"""
#: ``service_requests`` when the snapshot has none.
EMPTY_SERVICE_REQUESTS = """CREATE TEMP TABLE service_requests (
    request_id BIGINT, person_id BIGINT, service_code VARCHAR, org_id BIGINT,
    requested_on DATE, state VARCHAR, served_on DATE, county VARCHAR)"""

#: The disaggregation columns of the service cells.
SERVICE_DIMS = SERVICE_DIMENSIONS
#: The cells the grouped pass of services measures reads.
SERVICE_SOURCE = "svc_period"

_ENCOUNTER_COUNTS = {
    "encounters": "COUNT(*)",
    "persons_served": "COUNT(DISTINCT e.person_id)",
    "migrants_served": "COUNT(DISTINCT CASE WHEN e.migrant_at_residence THEN e.person_id END)",
    "consented": "SUM(CASE WHEN e.stats_consent THEN 1 ELSE 0 END)",
    "assessed": "SUM(CASE WHEN e.stats_consent AND e.at_risk IS NOT NULL THEN 1 ELSE 0 END)",
    "at_risk": "SUM(CASE WHEN e.stats_consent AND e.at_risk THEN 1 ELSE 0 END)",
    "referred": "SUM(CASE WHEN e.stats_consent AND e.referred THEN 1 ELSE 0 END)",
}
_SERVED = "q.served_on IS NOT NULL AND q.served_on <= pe.end_date"
_REQUEST_COUNTS = {
    "requests": "COUNT(*)",
    "requests_served": f"SUM(CASE WHEN {_SERVED} THEN 1 ELSE 0 END)",
    "wait_days": (f"SUM(CASE WHEN {_SERVED} THEN "
                  f"GREATEST({days_between('q.requested_on', 'q.served_on')}, 0) ELSE 0 END)"),
}
#: The columns of ``svc_period``, one per ``what`` of a services measure.
SERVICE_COUNTS = (*_ENCOUNTER_COUNTS, *_REQUEST_COUNTS)


def _part(counts: dict[str, str], alias: str, source: str) -> str:
    """The rows of ``svc_period`` from one kind of record (``alias`` in ``source``): its
    own counts, 0 for the others; per service, and for all services together ('')."""
    columns = ", ".join(f"CAST({counts[c]} AS BIGINT) AS {c}" if c in counts
                        else f"CAST(0 AS BIGINT) AS {c}" for c in SERVICE_COUNTS)
    return f"""SELECT x.ancestor_id AS org_id, r.pid,
                      COALESCE({alias}.service_code, '') AS service, {columns}
               {source}
               GROUP BY GROUPING SETS ((x.ancestor_id, r.pid, {alias}.service_code),
                                       (x.ancestor_id, r.pid))"""


def services_sql() -> list[str]:
    encounters = _part(_ENCOUNTER_COUNTS, "e", f"""FROM service_encounters e
               JOIN person p ON p.person_id = e.person_id
               JOIN org_anc x ON x.org_id = e.org_id
               JOIN period_roles r ON r.k = {month_index('e.date')} AND r.is_in""")
    requests = _part(_REQUEST_COUNTS, "q", f"""FROM service_requests q
               JOIN person p ON p.person_id = q.person_id
               JOIN org_anc x ON x.org_id = q.org_id
               JOIN period_roles r ON r.k = {month_index('q.requested_on')} AND r.is_in
               JOIN period_list pe ON pe.pid = r.pid""")
    return [
        f"""CREATE TEMP TABLE svc_period AS
            {encounters}
            UNION ALL
            {requests}""",
        f"""CREATE TEMP TABLE org_{SERVICE_DIMS[0]} AS
            SELECT DISTINCT org_id, service AS value FROM svc_period WHERE service <> ''""",
    ]


def service_aggregate(m: ServiceMeasure, by_service: bool) -> str:
    """The aggregate over the service cells of one services measure. Broken down
    ``by_service``, each service's own row (the row of all services, '', meets no
    service of the skeleton); else the row of the measure's service, or of all services
    together (so a person served by two services is one person)."""
    if by_service:
        return f"SUM({m.what})"
    return f"SUM(CASE WHEN service = '{m.service or ''}' THEN {m.what} ELSE 0 END)"
