"""The shape of the computed indicators: the contract between the engine and the reports.

``renkou analytics refresh`` writes one DuckDB file, ``<RENKOU_ANALYTICS_DIR>/indicators.duckdb``,
with the table ``indicator_values`` below (and ``org_units``, ``periods``). Pages, the CLI
and exports read it; none of them recompute statistics.
"""

from __future__ import annotations

#: One row per org unit × period × indicator × disaggregation.
#: A total has '' in every disaggregation column. ``value`` is NULL when missing
#: (never 0 for "no data"); ``flag`` is '' or a comma-separated list of
#: ``small_number`` / ``missing``.
INDICATOR_VALUES_DDL = """
CREATE TABLE indicator_values (
    org_code      VARCHAR NOT NULL,
    org_name      VARCHAR NOT NULL,
    level         INTEGER NOT NULL,     -- 1 county … 4 group
    org_path      VARCHAR NOT NULL,     -- codes from the root, joined by '/'
    period        VARCHAR NOT NULL,     -- '2024', '2024Q3', '2024H1', '2024-05', 'SY2024'
    period_kind   VARCHAR NOT NULL,     -- 'year', 'quarter', 'half', 'month', 'stat_year'
    period_start  DATE NOT NULL,
    period_end    DATE NOT NULL,        -- inclusive
    indicator     VARCHAR NOT NULL,     -- catalogue code, e.g. 'CBR'
    sex           VARCHAR NOT NULL DEFAULT '',   -- '', 'M', 'F'
    age_group     VARCHAR NOT NULL DEFAULT '',   -- '', '0-4', …, '85+'
    birth_order   VARCHAR NOT NULL DEFAULT '',   -- '', '1', '2', '3+'
    urban_rural   VARCHAR NOT NULL DEFAULT '',   -- '', 'urban', 'rural'
    -- the other place of a migrant figure (流动人口): the hukou place (户籍地) of an inflow,
    -- the residence (居住地) of an outflow; a 2-digit province or 6-digit county code, or
    -- 'unknown' (an outflow migrant's residence given as an address only)
    origin_province      VARCHAR NOT NULL DEFAULT '',
    origin_county        VARCHAR NOT NULL DEFAULT '',
    destination_province VARCHAR NOT NULL DEFAULT '',
    destination_county   VARCHAR NOT NULL DEFAULT '',
    -- the service of a service-record figure (服务记录): its code in the service catalogue
    service       VARCHAR NOT NULL DEFAULT '',
    value         DOUBLE,
    numerator     DOUBLE,
    denominator   DOUBLE,
    ci_low        DOUBLE,
    ci_high       DOUBLE,
    flag          VARCHAR NOT NULL DEFAULT ''
)
"""

#: The disaggregation columns, in their order in the table.
DIMENSION_COLUMNS = ("sex", "age_group", "birth_order", "urban_rural", "origin_province",
                     "origin_county", "destination_province", "destination_county", "service")
#: The condition of a total row: no disaggregation.
TOTAL_ROW = " AND ".join(f"{c} = ''" for c in DIMENSION_COLUMNS)

ROW_FIELDS = ("org_code", "org_name", "period", "indicator", "value", "numerator",
              "denominator", "ci_low", "ci_high", "flag")
