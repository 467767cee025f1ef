"""DHIS2 exchange: a metadata package a stock DHIS2 imports, and data value sets that
reference it by code.

DHIS2 keeps one category combination per data element, and computes a total from its
breakdown itself. So each catalogue indicator × disaggregation it is computed for
becomes one data element (``RK_POP`` the total, ``RK_POP_SEX`` by sex,
``RK_POP_SEX_AGE`` by sex × age group …), each with its own category combo, and a data
value set sends, for each data element, only the rows of its own breakdown — never a
total beside its breakdown. Zeros are significant (a month without births is a
figure), so the data elements say ``zeroIsSignificant`` and zeros are sent; a missing
value is not sent (an empty value would delete one).

Every object has a stable ``code`` — data elements ``RK_<indicator>[_<breakdown>]``,
categories ``RK_C_…``, category options ``RK_O_…``, category combos and their option
combos ``RK_CC_…`` — and an ``id`` derived from it (a DHIS2
UID: 11 letters and digits, the first a letter), so importing the package again
updates it instead of duplicating it. Import the package, then the values::

    POST /api/metadata?importStrategy=CREATE_AND_UPDATE              (renkou-metadata.json)
    POST /api/dataValueSets?idScheme=CODE&orgUnitIdScheme=CODE       (a data value set)

The org units of the DHIS2 instance carry the division codes as their codes. The
breakdowns of migrant figures by origin or destination (places met in the data, not a
fixed list of options) are not sent; their totals and sex and age breakdowns are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from . import store
from .catalogue import BIRTH_ORDERS, Indicator, load_catalogue
from .periods import label_parts
from .schema import DIMENSION_COLUMNS

__all__ = ["Breakdown", "breakdowns", "data_value_set", "dhis2_period", "metadata_package",
           "uid"]

_FINANCIAL_MONTHS = {4: "April", 7: "July", 10: "Oct", 11: "Nov"}
#: The code piece and the Chinese name of each disaggregation and of its options.
_DIMENSION = {"sex": ("SEX", "性别"), "age_group": ("AGE", "年龄组"),
              "birth_order": ("ORD", "孩次"), "urban_rural": ("UR", "城乡")}
_OPTION_NAMES = {("sex", "M"): "男", ("sex", "F"): "女", ("urban_rural", "urban"): "城镇",
                 ("urban_rural", "rural"): "乡村"}
_UID_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_UID_CHARS = _UID_LETTERS + "0123456789"


def uid(code: str) -> str:
    """A DHIS2 UID made from ``code``: always the same for the same code."""
    digest = int.from_bytes(hashlib.sha256(code.encode("utf-8")).digest(), "big")
    chars = [_UID_LETTERS[digest % 52]]
    digest //= 52
    for _i in range(10):
        chars.append(_UID_CHARS[digest % 62])
        digest //= 62
    return "".join(chars)


def dhis2_period(label: str, start: dt.date | None = None) -> str:
    """The DHIS2 period id of a renkou period: 2024 → 2024, 2024Q3 → 2024Q3,
    2024H1 → 2024S1, 2024-05 → 202405, SY2024 (1 Oct 2023 – 30 Sep 2024) → 2023Oct
    (DHIS2's financial year starting in October; April, July and November years map
    to 2023April, 2023July, 2023Nov)."""
    kind, year, part = label_parts(label)
    if kind in ("year", "quarter"):
        return label
    if kind == "half":
        return f"{year}S{part}"
    if kind == "month":
        return f"{year}{part:02d}"
    month = start.month if start else int(getattr(settings, "RENKOU_STAT_YEAR_START_MONTH", 10))
    if month not in _FINANCIAL_MONTHS:
        raise ValueError(f"DHIS2 has no financial year starting in month {month}")
    first_year = start.year if start else (year - 1 if month > 1 else year)
    return f"{first_year}{_FINANCIAL_MONTHS[month]}"


def _options(indicator: Indicator, dimension: str) -> tuple[str, ...]:
    if dimension == "sex":
        return ("M", "F")
    if dimension == "age_group":
        return indicator.age_groups()
    if dimension == "birth_order":
        return BIRTH_ORDERS
    return ("urban", "rural")


def _category_code(dimension: str, options: tuple[str, ...]) -> str:
    code = f"RK_C_{_DIMENSION[dimension][0]}"
    if dimension == "age_group" and options[0] != "0-4":  # a range of the age groups
        code += f"_{options[0].split('-')[0]}_{options[-1].split('-')[-1].rstrip('+')}"
    return code


@dataclass(frozen=True)
class Breakdown:
    """One data element: an indicator with one of its disaggregations (``()``: the total)."""

    indicator: Indicator
    dimensions: tuple[str, ...]

    @property
    def code(self) -> str:
        return "_".join(["RK", self.indicator.code, *(_DIMENSION[d][0] for d in self.dimensions)])

    @property
    def categories(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """(code, dimension, options) of each category of its combo."""
        return tuple((_category_code(d, opts), d, opts)
                     for d in self.dimensions for opts in [_options(self.indicator, d)])

    @property
    def combo_code(self) -> str:
        return "RK_CC_" + "_".join(c.removeprefix("RK_C_") for c, _d, _o in self.categories) \
            if self.dimensions else "default"

    def option_combo_code(self, values: Iterable[str]) -> str:
        return f"{self.combo_code}_{'_'.join(values)}"


def breakdowns(catalogue: Iterable[Indicator] | None = None) -> list[Breakdown]:
    """Every data element: each indicator's total and each of its disaggregations."""
    return [Breakdown(ind, tuple(d for d in _DIMENSION if d in dims))
            for ind in (catalogue or load_catalogue()) for dims in ((), *ind.disaggregations)
            if all(d in _DIMENSION for d in dims)]  # not the places of migrant figures


def _option_code(dimension: str, value: str) -> str:
    return f"RK_O_{_DIMENSION[dimension][0]}_{value.upper() if dimension == 'urban_rural' else value}"


def _option_name(dimension: str, value: str) -> str:
    if (dimension, value) in _OPTION_NAMES:
        return _OPTION_NAMES[dimension, value]
    return f"{value}岁" if dimension == "age_group" else f"第{value}孩"


def _distinct_persons(ind) -> bool:
    """Whether the indicator counts persons once per unit and period (people served): its
    values do not add up over periods, so DHIS2 must not sum them."""
    from .catalogue import ServiceMeasure

    return (isinstance(ind.numerator, ServiceMeasure)
            and ind.numerator.what in ("persons_served", "migrants_served"))


def _ref(code: str) -> dict[str, str]:
    return {"id": uid(code)}


#: DHIS2's own default category combo (the same UID in every instance).
DEFAULT_COMBO_ID = "bjDvmb4bfuf"


def metadata_package(catalogue: Iterable[Indicator] | None = None) -> dict[str, Any]:
    """The DHIS2 metadata import document: category options, categories, category
    combos with their option combos, and one data element per :class:`Breakdown`."""
    elements = breakdowns(catalogue)
    options: dict[str, dict[str, Any]] = {}
    categories: dict[str, dict[str, Any]] = {}
    combos: dict[str, dict[str, Any]] = {}
    option_combos: dict[str, dict[str, Any]] = {}
    data_elements = []
    for b in elements:
        for code, dimension, values in b.categories:
            for value in values:
                oc = _option_code(dimension, value)
                options.setdefault(oc, {"id": uid(oc), "code": oc,
                                        "name": _option_name(dimension, value),
                                        "shortName": _option_name(dimension, value)})
            categories.setdefault(code, {
                "id": uid(code), "code": code, "shortName": code,
                "name": f"{_DIMENSION[dimension][1]}（{code}）",
                "dataDimensionType": "DISAGGREGATION",
                "categoryOptions": [_ref(_option_code(dimension, v)) for v in values]})
        if b.dimensions and b.combo_code not in combos:
            combos[b.combo_code] = {
                "id": uid(b.combo_code), "code": b.combo_code, "name": b.combo_code,
                "dataDimensionType": "DISAGGREGATION",
                "categories": [_ref(code) for code, _d, _o in b.categories]}
            per_category = [[(d, v) for v in vals] for _c, d, vals in b.categories]
            for combination in itertools.product(*per_category):
                coc = b.option_combo_code(v for _d, v in combination)
                option_combos[coc] = {
                    "id": uid(coc), "code": coc,
                    "name": ", ".join(_option_name(d, v) for d, v in combination),
                    "categoryCombo": _ref(b.combo_code),
                    "categoryOptions": [_ref(_option_code(d, v)) for d, v in combination]}
        ind = b.indicator
        suffix = "×".join(_DIMENSION[d][1] for d in b.dimensions)
        data_elements.append({
            "id": uid(b.code), "code": b.code,
            "name": f"{ind.name_zh}{'（' + suffix + '）' if suffix else ''}",
            "shortName": b.code[:50], "formName": ind.name_zh,
            "description": ind.description[:1000] if ind.description else ind.name_en,
            "domainType": "AGGREGATE",
            "valueType": "INTEGER_ZERO_OR_POSITIVE" if ind.unit == "persons" else "NUMBER",
            "aggregationType": "SUM" if ind.unit == "persons" and not _distinct_persons(ind)
                               else "NONE",
            "zeroIsSignificant": True,
            "categoryCombo": ({"id": DEFAULT_COMBO_ID} if not b.dimensions
                              else _ref(b.combo_code)),
        })
    return {"categoryOptions": list(options.values()), "categories": list(categories.values()),
            "categoryCombos": list(combos.values()),
            "categoryOptionCombos": list(option_combos.values()),
            "dataElements": data_elements}


def _format_value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}" if abs(value) >= 1e6 \
        else f"{round(value, 4)}"


def data_value_set(org_code: str, period: str, con=None,
                   catalogue: Iterable[Indicator] | None = None) -> dict[str, Any]:
    """Every indicator value of ``org_code`` and the units below it for ``period`` as a
    DHIS2 ``dataValueSets`` document referencing :func:`metadata_package` by code (import
    with ``idScheme=CODE&orgUnitIdScheme=CODE``). Each value goes to the data element of
    its breakdown; rows of no breakdown the catalogue declares are not sent, and a total
    (no category option combo) only to the total's data element. Missing values are left
    out; a flag (small number, incomplete period) goes to the value's comment."""
    by_key = {(b.indicator.code, b.dimensions): b for b in breakdowns(catalogue)}
    own = con is None
    con = con or store.connect()
    try:
        found = con.execute("SELECT org_path FROM indicator_values WHERE org_code = ? LIMIT 1",
                            [org_code]).fetchone()
        rows = [] if found is None else store.rows(
            con, "SELECT * FROM indicator_values WHERE period = ? AND value IS NOT NULL "
                 "AND (org_code = ? OR starts_with(org_path, ?)) "
                 "ORDER BY org_path, indicator, sex, age_group, birth_order, urban_rural",
            [period, org_code, found[0] + "/"])
    finally:
        if own:
            con.close()
    values = []
    for row in rows:
        dims = tuple(d for d in DIMENSION_COLUMNS if row.get(d))
        b = by_key.get((row["indicator"], dims))
        if b is None:
            continue
        item = {"dataElement": b.code, "period": dhis2_period(row["period"], row["period_start"]),
                "orgUnit": row["org_code"], "value": _format_value(row["value"])}
        if dims:
            item["categoryOptionCombo"] = b.option_combo_code(row[d] for d in dims)
        if row["flag"]:
            note = row["flag"]
            if row["ci_low"] is not None and row["ci_high"] is not None:
                note += f"; 95% CI {row['ci_low']:.4g}-{row['ci_high']:.4g}"
            item["comment"] = note
        values.append(item)
    return {"dataValues": values}
