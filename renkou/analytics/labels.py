"""What the statistics pages and files call an indicator and its unit.

An indicator's name (in the active language) and unit come from the catalogue's labels
(:func:`renkou.analytics.catalogue.catalogue_labels`), else from the names below, so the
pages read well even without a catalogue. Units are written after a figure by
:func:`unit_label`; a change between periods is in points (:func:`change_unit_label`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

__all__ = ["FALLBACK_CATALOGUE", "IndicatorInfo", "change_unit_label", "label_indicator",
           "unit_label"]


@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    name: str
    unit: str  # '‰', '%', 'ratio', 'per_woman', 'years', 'persons'
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
}


def unit_label(unit: str) -> str:
    """How a unit is written after a number."""
    return {"‰": "‰", "%": "%", "per_woman": _("per woman"), "years": _("years"),
            "ratio": "", "persons": ""}.get(unit, "")


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
