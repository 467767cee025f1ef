"""What the statistics pages and files call an indicator and its unit.

An indicator's name (in the active language) and unit come from the catalogue's labels
(:func:`renkou.analytics.catalogue.catalogue_labels`), else from the names below, so the
pages read well even without a catalogue. Units are written after a figure by
:func:`unit_label`; a change between periods is in points (:func:`change_unit_label`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from .sql.migrants import UNKNOWN_PLACE as _UNKNOWN_PLACE

__all__ = ["FALLBACK_CATALOGUE", "IndicatorInfo", "change_unit_label", "division_name", "service_label",
           "label_indicator", "place_label", "unit_label"]


@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    name: str
    unit: str  # '‰', '%', 'ratio', 'per_woman', 'years', 'days', 'persons'
    small_below: int | None = None  # the count below which a value is flagged small

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)


#: Names and units used until (or where) the engine's catalogue.yaml says otherwise.
FALLBACK_CATALOGUE: dict[str, tuple[Promise, str]] = {
    "POP": (gettext_lazy("Population"), "persons"),
    "BIRTHS": (gettext_lazy("Births"), "persons"),
    "DEATHS": (gettext_lazy("Deaths"), "persons"),
    "MOVES_IN": (gettext_lazy("Moves in"), "persons"),
    "MOVES_OUT": (gettext_lazy("Moves out"), "persons"),
    "MARRIAGES": (gettext_lazy("Marriages"), "persons"),
    "DIVORCES": (gettext_lazy("Divorces"), "persons"),
    "CBR": (gettext_lazy("Crude birth rate"), "‰"),
    "CDR": (gettext_lazy("Crude death rate"), "‰"),
    "RNI": (gettext_lazy("Rate of natural increase"), "‰"),
    "GFR": (gettext_lazy("General fertility rate"), "‰"),
    "ASFR": (gettext_lazy("Age-specific fertility rate"), "‰"),
    "TFR": (gettext_lazy("Total fertility rate"), "per_woman"),
    "SRB": (gettext_lazy("Sex ratio at birth"), "ratio"),
    "ORD_1": (gettext_lazy("First births share"), "%"),
    "ORD_2": (gettext_lazy("Second births share"), "%"),
    "ORD_3": (gettext_lazy("Third and higher births share"), "%"),
    "MAC": (gettext_lazy("Mean age of mothers at birth"), "years"),
    "e0": (gettext_lazy("Life expectancy at birth"), "years"),
    "OLD65": (gettext_lazy("Share aged 65 and over"), "%"),
    "DEP": (gettext_lazy("Dependency ratio"), "%"),
    "MIG_in": (gettext_lazy("Move-in rate"), "‰"),
    "MIG_out": (gettext_lazy("Move-out rate"), "‰"),
    "MIG_IN_STOCK": (gettext_lazy("Inflow migrants"), "persons"),
    "MIG_OUT_STOCK": (gettext_lazy("Outflow migrants"), "persons"),
    "MIG_IN_ARRIVALS": (gettext_lazy("Inflow migrants arrived"), "persons"),
    "MIG_OUT_DEPARTURES": (gettext_lazy("Outflow migrants left"), "persons"),
    "MIG_IN_SHARE": (gettext_lazy("Inflow migrants' share of the population"), "%"),
    "MIG_OUT_SHARE": (gettext_lazy("Outflow migrants' share of the population"), "%"),
    "SVC_SERVED": (gettext_lazy("People served"), "persons"),
    "SVC_ENCOUNTERS": (gettext_lazy("Services given"), "persons"),
    "SVC_REQUESTS": (gettext_lazy("Requests for a service"), "persons"),
    "SVC_COVERAGE": (gettext_lazy("Requests served"), "%"),
    "SVC_WAIT": (gettext_lazy("Mean wait for a service"), "days"),
    "PPC_AT_RISK": (gettext_lazy("Pre-pregnancy checks: share assessed at risk"), "%"),
    "PPC_REFERRED": (gettext_lazy("Pre-pregnancy checks: share referred"), "%"),
    "SVC_MIGRANTS_SERVED": (gettext_lazy("Migrants served at their residence"), "persons"),
}


def unit_label(unit: str) -> str:
    """How a unit is written after a number."""
    return {"‰": "‰", "%": "%", "per_woman": _("per woman"), "years": _("years"),
            "days": _("days"), "ratio": "", "persons": ""}.get(unit, "")


def change_unit_label(unit: str) -> str:
    """The unit of a change between periods: 千分点 for ‰, 百分点 for %."""
    if unit == "‰":
        return _("per-mille points")
    if unit == "%":
        return _("percentage points")
    return unit_label(unit)


def label_indicator(code: str, entry: Mapping[str, Any]) -> IndicatorInfo:
    """Name (in the active language) and unit of the indicator ``code``, from its entry of
    :func:`~renkou.analytics.catalogue.catalogue_labels` (``{}`` when it has none) and
    else from :data:`FALLBACK_CATALOGUE`."""
    fallback_name, fallback_unit = FALLBACK_CATALOGUE.get(code, (code, ""))
    chinese = (get_language() or "").lower().startswith("zh")
    name = entry.get("zh" if chinese else "en") or str(fallback_name)
    name = name[:1].upper() + name[1:]
    small = entry.get("small") or (1000 if code == "SRB" else None)
    return IndicatorInfo(code=code, name=name, unit=entry.get("unit") or fallback_unit,
                         small_below=small)


#: The value of a place disaggregation (origin or destination) when the place is not known.
UNKNOWN_PLACE = _UNKNOWN_PLACE


def _current_name(entry: str) -> str:
    """The name a division holds now, from python-stdnum's table: ``[1983-]中原区`` →
    中原区; of several names over time (comma-separated), the last."""
    return entry.split(",")[-1].split("]")[-1].strip()


@lru_cache(maxsize=4096)
def division_name(code: str) -> str:
    """The Chinese name of a division code (统计用区划代码) of 2, 4, 6 or more digits, from
    the table of python-stdnum (GB/T 2260 as published): ``34`` → 安徽省, ``340621`` →
    安徽省淮北市濉溪县, ``110101000000`` → 北京市东城区; "" when the table does not know it."""
    from stdnum import numdb

    digits = "".join(c for c in str(code or "") if c.isdigit())
    if len(digits) < 2:
        return ""
    digits = digits[:6].ljust(6, "0")
    table = numdb.get("cn/loc")

    def names(prefix: str) -> dict[str, str]:
        return {k: v for _part, props in table.info(prefix) for k, v in props.items()}

    province = names(digits[:2] + "0000").get("province", "")
    if not province:
        return ""
    parts = [province]
    levels = [p for p in (digits[:4] + "00", digits) if p[2:] != "0000"]
    for prefix in dict.fromkeys(levels):
        found = names(prefix)
        name = _current_name(found.get("county", "")) if "county" in found else ""
        if name and name not in parts and name not in _NOT_NAMES:
            parts.append(name)
    return "".join(parts)


#: Entries of the table that are groupings, not names of a place.
_NOT_NAMES = ("市辖区", "县", "省直辖县级行政区划", "省直辖县级行政单位", "自治区直辖县级行政区划",
              "自治区直辖县级行政单位")


def place_label(value: str) -> str:
    """How a place value of ``indicator_values`` (origin or destination: a 2-digit province
    or 6-digit county code, or :data:`UNKNOWN_PLACE`) is shown: "34 安徽省"."""
    if value == UNKNOWN_PLACE:
        return _("not known")
    name = division_name(value)
    return f"{value} {name}" if name else value


def service_label(code: str) -> str:
    """The name of a service of the service catalogue (the ``service`` breakdown of the
    service figures), or the code when the services app is absent or has no such service."""
    from django.apps import apps

    if not code or not apps.is_installed("renkou.services"):
        return code
    from renkou.services.catalogue import services

    found = services().get(code)
    return found.name if found is not None else code
