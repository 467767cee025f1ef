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
    is missing when any operand is. ``by_code`` holds the catalogue's indicators.

    Numerator and denominator, where the formula has them: a sum or difference of rates
    on one denominator (RNI = CBR − CDR) has the same sum or difference of their
    numerators over that denominator; a formula of one age-group sum (TFR) has the sum
    of the groups' numerators (the births it rests on) and no denominator; others have
    neither. The small-number flag is inherited from any operand that has it, and set
    when the numerator is below ``ind.small_number``."""
    frm, values = skeleton_sql(dims)
    joins, expr, nums, dens, smalls = [], [], [], [], []
    refs = sums = 0
    linear = all(kind != "num" and (kind != "op" or token in "+-")
                 for kind, token in ind.formula_tokens)
    for i, (kind, token) in enumerate(ind.formula_tokens):
        if kind in ("num", "op"):
            expr.append(token)
            nums.append(token)
            continue
        alias = f"f{i}"
        if kind == "ref":
            refs += 1
            cond = "".join(f" AND {alias}.{d} = {values[d]}" for d in DIMENSIONS)
            joins.append(f" LEFT JOIN indicator_values {alias} ON {alias}.org_code = o.code AND "
                         f"{alias}.period = pe.period AND {alias}.indicator = '{token}'{cond}")
            expr.append(f"{alias}.value")
            nums.append(f"{alias}.numerator")
            dens.append(f"{alias}.denominator")
            smalls.append(f"COALESCE(list_contains(string_split({alias}.flag, ','), "
                          f"'small_number'), FALSE)")
        else:  # sum over the age groups of another indicator
            sums += 1
            others = [d for d in DIMENSIONS if d != "age_group"]
            cond = "".join(f" AND {alias}.{d} = {values[d]}" for d in others)
            groups = len(by_code[token].age_groups())
            joins.append(
                f" LEFT JOIN (SELECT org_code, period, {', '.join(others)}, SUM(value) AS v, "
                f"SUM(numerator) AS n, COUNT(value) AS c FROM indicator_values WHERE "
                f"indicator = '{token}' AND age_group <> '' GROUP BY org_code, period, "
                f"{', '.join(others)}) {alias} ON "
                f"{alias}.org_code = o.code AND {alias}.period = pe.period{cond}")
            expr.append(f"(CASE WHEN {alias}.c = {groups} THEN {alias}.v END)")
            nums.append(f"COALESCE({alias}.n, 0)")  # the births it rests on, even if missing
    value = " ".join(expr)
    if refs and not sums and linear:
        numerator = " ".join(nums)
        same = " AND ".join(f"{d} = {dens[0]}" for d in dens[1:]) or "TRUE"
        denominator = f"CASE WHEN {same} THEN {dens[0]} END"
    elif sums == 1 and not refs:
        numerator = next(n for n in nums if n.startswith("COALESCE("))
        denominator = "NULL"
    else:
        numerator = denominator = "NULL"
    inherited = " OR ".join(smalls) or "FALSE"
    small = "inherited"
    if ind.small_number:
        small = f"inherited OR COALESCE(num < {ind.small_number}, FALSE)"
    dims_sql = ", ".join(f"{values[d]} AS {d}" for d in DIMENSIONS)
    return f"""INSERT INTO indicator_values
SELECT org_code, org_name, level, org_path, period, period_kind, period_start, period_end,
       '{ind.code}', {', '.join(DIMENSIONS)}, value, num, den, NULL, NULL,
       CASE WHEN small AND value IS NULL THEN 'small_number,missing'
            WHEN small THEN 'small_number' WHEN value IS NULL THEN 'missing' ELSE '' END
FROM (SELECT *, {small} AS small FROM (
      SELECT o.code AS org_code, o.name AS org_name, o.level, o.path AS org_path,
             pe.period, pe.kind AS period_kind, pe.start_date AS period_start,
             pe.end_date AS period_end, {dims_sql},
             CAST({value} AS DOUBLE) AS value,
             CAST({numerator} AS DOUBLE) AS num, CAST({denominator} AS DOUBLE) AS den,
             {inherited} AS inherited
      FROM {frm}{''.join(joins)}) y) x"""
