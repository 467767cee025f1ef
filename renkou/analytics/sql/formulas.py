"""The SQL of formula indicators (RNI = CBR − CDR, TFR = 5 × sum(ASFR), …): a formula is
evaluated on the rows other indicators already wrote to ``indicator_values``, for the same
unit, period and categories.

Inputs: ``org``, ``period_list``, ``org_ur``, ``bands`` and the ``dim_*`` tables
(:mod:`.setup`, :mod:`.stages`); formulas run after every ratio and life table, in the
catalogue's evaluation order.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..catalogue import DIMENSIONS, Indicator
from .measures import skeleton_sql

__all__ = ["ALL_AGE_GROUPS_DIM", "formula_insert_sql"]

#: ``dim_age_group`` with every five-year age group (the ratios may have narrowed it).
ALL_AGE_GROUPS_DIM = ("CREATE OR REPLACE TEMP TABLE dim_age_group AS SELECT DISTINCT age_group AS value "
                      "FROM bands")


def formula_insert_sql(ind: Indicator, dims: tuple[str, ...], by_code: Mapping[str, Indicator]) -> str:
    """INSERT of the formula indicator ``ind`` for every unit × period × value of ``dims``:
    each ``ref`` token reads the other indicator's row of the same categories, each
    ``sum`` token the sum over its age groups (missing unless all are there); the value
    is missing when any operand is. ``by_code`` holds the catalogue's indicators."""
    frm, values = skeleton_sql(dims)
    joins, expr = [], []
    for i, (kind, token) in enumerate(ind.formula_tokens):
        if kind in ("num", "op"):
            expr.append(token)
            continue
        alias = f"f{i}"
        if kind == "ref":
            cond = "".join(f" AND {alias}.{d} = {values[d]}" for d in DIMENSIONS)
            joins.append(f" LEFT JOIN indicator_values {alias} ON {alias}.org_code = o.code AND "
                         f"{alias}.period = pe.period AND {alias}.indicator = '{token}'{cond}")
            expr.append(f"{alias}.value")
        else:  # sum over the age groups of another indicator
            others = [d for d in DIMENSIONS if d != "age_group"]
            cond = "".join(f" AND {alias}.{d} = {values[d]}" for d in others)
            groups = len(by_code[token].age_groups())
            joins.append(
                f" LEFT JOIN (SELECT org_code, period, {', '.join(others)}, SUM(value) AS v, "
                f"COUNT(value) AS c FROM indicator_values WHERE indicator = '{token}' AND "
                f"age_group <> '' GROUP BY org_code, period, {', '.join(others)}) {alias} ON "
                f"{alias}.org_code = o.code AND {alias}.period = pe.period{cond}")
            expr.append(f"(CASE WHEN {alias}.c = {groups} THEN {alias}.v END)")
    value = " ".join(expr)
    return f"""INSERT INTO indicator_values
SELECT org_code, org_name, level, org_path, period, period_kind, period_start, period_end,
       '{ind.code}', sex, age_group, birth_order, urban_rural, value,
       NULL, NULL, NULL, NULL, CASE WHEN value IS NULL THEN 'missing' ELSE '' END
FROM (SELECT o.code AS org_code, o.name AS org_name, o.level, o.path AS org_path,
             pe.period, pe.kind AS period_kind, pe.start_date AS period_start,
             pe.end_date AS period_end, {values['sex']} AS sex,
             {values['age_group']} AS age_group, {values['birth_order']} AS birth_order,
             {values['urban_rural']} AS urban_rural, CAST({value} AS DOUBLE) AS value
      FROM {frm}{''.join(joins)}) x"""
