"""The indicator catalogue (指标目录): indicators as data, loaded and checked in one place.

The catalogue is a YAML file (``catalogue.yaml`` shipped with this package, or the file
named by the ``RENKOU_INDICATOR_CATALOGUE`` setting or environment variable). Its header
documents the vocabulary; :func:`load_catalogue` turns it into :class:`Indicator` objects
and raises :class:`CatalogueError` naming the entry and the field of the first mistake.
The engine (:mod:`renkou.analytics.engine`) turns these definitions into SQL.

The reports label their figures from the same file through :func:`catalogue_labels`, a
lenient reading of names and units only, which never fails (a missing or unreadable
catalogue gives no labels, and the reports fall back to their own names).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from renkou.register.vocabulary import RECORDED_EVENTS

__all__ = [
    "AGE_GROUPS",
    "BAND_STARTS",
    "DIMENSIONS",
    "EVENT_TYPES",
    "UNITS",
    "CatalogueError",
    "EventMeasure",
    "Indicator",
    "MIGRANT_KINDS",
    "MigrantMeasure",
    "PLACE_DIMENSIONS",
    "PopulationMeasure",
    "SERVICE_DIMENSIONS",
    "SERVICE_WHATS",
    "ServiceMeasure",
    "catalogue_labels",
    "default_catalogue_path",
    "load_catalogue",
    "parse_catalogue",
]

DEFAULT_PATH = Path(__file__).with_name("catalogue.yaml")

UNITS = ("‰", "%", "ratio", "per_woman", "years", "days", "persons", "events")
INTERVALS = ("poisson", "wilson", "srb", "none")
METHODS = ("ratio", "formula", "life_table")
POPULATION_KINDS = ("start", "end", "mid_period", "person_years")
#: Kinds of migrant measures: the stock at the period end, spells begun and ended in it.
MIGRANT_KINDS = ("stock_end", "begun", "ended")
MIGRANT_DIRECTIONS = ("in", "out")
EVENT_VALUES = ("count", "mother_age")
EVENT_TYPES = RECORDED_EVENTS
BIRTH_ORDERS = ("1", "2", "3+")
#: The place disaggregations of migrant measures, with the direction each applies to: the
#: origin (户籍地) of inflow migrants, the destination (居住地) of outflow migrants.
PLACE_DIMENSIONS = {"origin_province": "in", "origin_county": "in",
                    "destination_province": "out", "destination_county": "out"}
#: What a services measure (服务记录) counts: people served (distinct within the unit and
#: period), encounters, migrants served at their residence (distinct people), requests,
#: requests served by the period's end and their waiting days (every record: that a
#: service was received is not a result); and, of the encounters whose person agreed to
#: use in anonymous statistics alone, those (consented), those with a risk assessment
#: recorded (assessed), those assessed at risk (at_risk) and those referred (referred).
SERVICE_WHATS = ("persons_served", "encounters", "migrants_served", "requests",
                 "requests_served", "wait_days", "consented", "assessed", "at_risk", "referred")
#: The disaggregations of services measures (and of nothing else): by service code.
SERVICE_DIMENSIONS = ("service",)
#: Disaggregation columns of ``indicator_values``, in their order there.
DIMENSIONS = ("sex", "age_group", "birth_order", "urban_rural", *PLACE_DIMENSIONS,
              *SERVICE_DIMENSIONS)
#: Five-year age groups (five-year groups, open at 85): label, lowest and highest age.
AGE_GROUPS: tuple[tuple[str, int, int | None], ...] = tuple(
    (f"{a}-{a + 4}", a, a + 4) for a in range(0, 85, 5)
) + (("85+", 85, None),)

#: Exact ages at which the age bands of the engine start: 0, 1–4, 5–9, …, 80–84, 85+
#: (the abridged life table's groups, which refine the five-year groups).
BAND_STARTS: tuple[int, ...] = (0, 1, *range(5, 90, 5))
_BAND_STARTS = set(BAND_STARTS)

_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FORMULA_TOKEN = re.compile(r"\s*(?:(sum)\s*\(\s*([A-Za-z][A-Za-z0-9_]*)\s*\)|([A-Za-z][A-Za-z0-9_]*)"
                            r"|(\d+(?:\.\d+)?)|([-+*/()]))")


class CatalogueError(ValueError):
    """A mistake in the indicator catalogue; the message names the entry and the field."""


AgeRanges = tuple[tuple[int, int | None], ...]


@dataclass(frozen=True)
class EventMeasure:
    """A count (or sum) of ledger events: ``events: {type, sex, age, birth_order, value}``."""

    types: tuple[str, ...]
    sex: str | None = None
    ages: AgeRanges | None = None
    birth_order: str | None = None
    value: str = "count"

    family = "events"


@dataclass(frozen=True)
class PopulationMeasure:
    """A population measure: ``population: {kind, sex, age}``."""

    kind: str
    sex: str | None = None
    ages: AgeRanges | None = None

    family = "population"


@dataclass(frozen=True)
class MigrantMeasure:
    """A count of migrant spells (流动人口): ``migrants: {direction, kind, sex, age}``."""

    direction: str
    kind: str
    sex: str | None = None
    ages: AgeRanges | None = None

    family = "migrants"


@dataclass(frozen=True)
class ServiceMeasure:
    """A count of service records (服务记录): ``services: {what, service}`` (see
    :data:`SERVICE_WHATS`); ``service`` limits it to one service of the service catalogue.
    No measure reads an item's value: what a person chose (a contraceptive method or
    supplies) or any other result of hers is never counted (DESIGN.md §2)."""

    what: str
    service: str | None = None

    family = "services"
    sex = None
    ages = None


Measure = EventMeasure | PopulationMeasure | MigrantMeasure | ServiceMeasure


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see the header of ``catalogue.yaml`` for the fields)."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    method: str = "ratio"
    numerator: Measure | None = None
    denominator: Measure | None = None
    multiplier: float = 1.0
    formula: str | None = None
    interval: str = "none"
    small_number: int | None = None
    disaggregations: tuple[tuple[str, ...], ...] = ()
    description: str = ""
    #: the formula as tokens: ("num", "5"), ("op", "*"), ("ref", "CBR"), ("sum", "ASFR")
    formula_tokens: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def name(self, language: str | None = None) -> str:
        """The name in ``language`` (Chinese unless it starts with ``en``)."""
        return self.name_en if (language or "").startswith("en") else self.name_zh

    def references(self) -> tuple[str, ...]:
        """Codes of the indicators a formula uses."""
        return tuple(v for kind, v in self.formula_tokens if kind in ("ref", "sum"))

    def age_groups(self) -> tuple[str, ...]:
        """The five-year age groups this indicator's age_group rows cover."""
        ages = _common_ages(self)
        return tuple(label for label, lo, hi in AGE_GROUPS if _group_inside(lo, hi, ages))


def default_catalogue_path() -> Path:
    """The catalogue in use: the ``RENKOU_INDICATOR_CATALOGUE`` setting or environment
    variable when set, else the one shipped with renkou."""
    from django.conf import settings

    configured = getattr(settings, "RENKOU_INDICATOR_CATALOGUE", None) or os.environ.get(
        "RENKOU_INDICATOR_CATALOGUE")
    return Path(configured) if configured else DEFAULT_PATH


def load_catalogue(path: str | Path | None = None) -> tuple[Indicator, ...]:
    """Read and check the catalogue at ``path`` (default :func:`default_catalogue_path`)."""
    path = Path(path) if path else default_catalogue_path()
    return parse_catalogue(_read_yaml(path))


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(_("cannot read the indicator catalogue %(path)s: %(error)s")
                             % {"path": path, "error": exc}) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(_("the indicator catalogue %(path)s is not valid YAML: %(error)s")
                             % {"path": path, "error": exc}) from None


#: Unit spellings the labels accept, to the unit the reports show ('persons' for counts).
_LABEL_UNITS = {"permille": "‰", "per_mille": "‰", "per_1000": "‰", "‰": "‰",
                "percent": "%", "pct": "%", "%": "%", "per woman": "per_woman",
                "per_woman": "per_woman", "ratio": "ratio", "years": "years", "year": "years",
                "days": "days", "day": "days",
                "persons": "persons", "count": "persons", "people": "persons",
                "events": "persons"}


def catalogue_labels(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The names, unit and small-number threshold of each indicator of the catalogue at
    ``path`` (default :func:`default_catalogue_path`), for labelling figures:
    ``{code: {"zh": …, "en": …, "unit": …, "small": int | None}}``.

    Lenient where :func:`load_catalogue` is strict: an absent or unreadable file gives
    ``{}``; entries without a code are skipped and no other field is checked; names may
    also be given as ``name: {zh, en}``, ``zh``/``en`` or a plain ``name``; units are
    normalised (``permille`` → ``‰``, ``events`` → ``persons``, unknown → ``''``). Read
    again only when the file changes.
    """
    path = Path(path) if path else default_catalogue_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    return _read_labels(str(path), mtime)


@lru_cache(maxsize=4)
def _read_labels(path: str, mtime: float) -> dict[str, dict[str, Any]]:
    try:
        data = _read_yaml(Path(path))
    except CatalogueError:
        return {}
    if isinstance(data, dict) and isinstance(data.get("indicators"), (list, dict)):
        data = data["indicators"]
    entries: Iterable[tuple[str | None, Any]]
    if isinstance(data, dict):
        entries = data.items()
    elif isinstance(data, list):
        entries = ((None, e) for e in data)
    else:
        return {}
    result: dict[str, dict[str, Any]] = {}
    for key, entry in entries:
        if not isinstance(entry, dict):
            continue
        code = str(entry.get("code") or key or "")
        if not code:
            continue
        name = entry.get("name")
        zh = entry.get("name_zh") or entry.get("zh") or (name.get("zh") or name.get("zh-hans")
                                                          if isinstance(name, dict) else None)
        en = entry.get("name_en") or entry.get("en") or (name.get("en")
                                                          if isinstance(name, dict) else name)
        unit = _LABEL_UNITS.get(str(entry.get("unit", "")).strip().lower(), "")
        small = entry.get("small_number")
        result[code] = {"zh": str(zh or ""), "en": str(en or ""), "unit": unit,
                        "small": int(small) if isinstance(small, (int, float)) else None}
    return result


def parse_catalogue(data: Any) -> tuple[Indicator, ...]:
    """Check the parsed YAML of a catalogue and return its indicators in file order."""
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise CatalogueError(_("the indicator catalogue must be a mapping with a list "
                               "'indicators'"))
    indicators: list[Indicator] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(data["indicators"], 1):
        indicator = _parse_entry(number, entry)
        if indicator.code in seen:
            raise _error(number, indicator.code, "code",
                         _("the code is already used by entry #%(n)s") % {"n": seen[indicator.code]})
        seen[indicator.code] = number
        indicators.append(indicator)
    by_code = {i.code: i for i in indicators}
    for number, indicator in enumerate(indicators, 1):
        for ref in indicator.references():
            if ref not in by_code:
                raise _error(number, indicator.code, "formula",
                             _("no indicator has the code %(code)s") % {"code": ref})
            if ref == indicator.code:
                raise _error(number, indicator.code, "formula", _("a formula cannot use itself"))
        for kind, ref in indicator.formula_tokens:
            if kind == "sum" and ("age_group",) not in by_code[ref].disaggregations:
                raise _error(number, indicator.code, "formula",
                             _("sum(%(code)s) needs %(code)s disaggregated by age_group")
                             % {"code": ref})
        for dims in indicator.disaggregations:
            for ref in indicator.references():
                needed = dims + (("age_group",) if ("sum", ref) in indicator.formula_tokens else ())
                if tuple(sorted(needed)) not in {tuple(sorted(d)) for d in by_code[ref].disaggregations} \
                        and needed:
                    raise _error(number, indicator.code, "disaggregations",
                                 _("%(dims)s needs %(code)s disaggregated the same way")
                                 % {"dims": "×".join(dims), "code": ref})
    _check_cycles(indicators)
    return tuple(indicators)


# ----------------------------------------------------------------------------- helpers


def _error(number: int, code: Any, field_name: str, message: str) -> CatalogueError:
    return CatalogueError(_("indicator catalogue, entry #%(n)s (%(code)s), field '%(field)s': "
                            "%(message)s") % {"n": number, "code": code or "?",
                                              "field": field_name, "message": message})


def _parse_entry(number: int, entry: Any) -> Indicator:
    if not isinstance(entry, dict):
        raise _error(number, None, "-", _("an entry must be a mapping of fields"))
    code = entry.get("code")
    known = {"code", "name_zh", "name_en", "unit", "method", "numerator", "denominator",
             "multiplier", "formula", "interval", "small_number", "disaggregations",
             "description"}
    for key in entry:
        if key not in known:
            raise _error(number, code, key, _("unknown field"))
    if not isinstance(code, str) or not _CODE.match(code):
        raise _error(number, code, "code",
                     _("the code must start with a letter and hold only letters, digits and _"))
    for name in ("name_zh", "name_en"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            raise _error(number, code, name, _("the name is required"))
    unit = entry.get("unit")
    if unit not in UNITS:
        raise _error(number, code, "unit", _("must be one of %(choices)s")
                     % {"choices": ", ".join(UNITS)})
    formula = entry.get("formula")
    method = entry.get("method") or ("formula" if formula is not None else "ratio")
    if method not in METHODS:
        raise _error(number, code, "method", _("must be one of %(choices)s")
                     % {"choices": ", ".join(METHODS)})
    interval = entry.get("interval", "none")
    if interval not in INTERVALS:
        raise _error(number, code, "interval", _("must be one of %(choices)s")
                     % {"choices": ", ".join(INTERVALS)})
    multiplier = entry.get("multiplier", 1)
    if isinstance(multiplier, bool) or not isinstance(multiplier, int | float) or multiplier <= 0:
        raise _error(number, code, "multiplier", _("must be a positive number"))
    small = entry.get("small_number")
    if small is not None and (isinstance(small, bool) or not isinstance(small, int) or small < 1):
        raise _error(number, code, "small_number", _("must be a positive whole number"))
    disaggregations = _parse_disaggregations(number, code, entry.get("disaggregations", []))

    numerator = denominator = None
    tokens: tuple[tuple[str, str], ...] = ()
    if method == "formula":
        if formula is None or not isinstance(formula, str):
            raise _error(number, code, "formula", _("a formula indicator needs a formula"))
        for name in ("numerator", "denominator"):
            if name in entry:
                raise _error(number, code, name, _("a formula indicator has no %(field)s")
                             % {"field": name})
        if interval != "none":
            raise _error(number, code, "interval", _("a formula indicator has no interval"))
        tokens = _parse_formula(number, code, formula)
    else:
        if formula is not None:
            raise _error(number, code, "formula",
                         _("a formula cannot be combined with method %(method)s") % {"method": method})
        if "numerator" not in entry:
            raise _error(number, code, "numerator", _("the numerator is required"))
        numerator = _parse_measure(number, code, "numerator", entry["numerator"])
        if entry.get("denominator") is not None:
            denominator = _parse_measure(number, code, "denominator", entry["denominator"])
        if method == "life_table":
            if not (isinstance(numerator, EventMeasure) and numerator.types == ("death",)
                    and isinstance(denominator, PopulationMeasure)
                    and denominator.kind == "person_years"):
                raise _error(number, code, "method",
                             _("a life table needs deaths as numerator and person_years as "
                               "denominator"))
            if numerator.ages or denominator.ages or numerator.sex or denominator.sex:
                raise _error(number, code, "method",
                             _("a life table's deaths and person-years take no age or sex filter"))
            if any(d != ("sex",) for d in disaggregations):
                raise _error(number, code, "disaggregations",
                             _("a life table can only be disaggregated by sex"))
            if interval != "none":
                raise _error(number, code, "interval", _("a life table has no interval"))
        if interval == "poisson" and isinstance(numerator, EventMeasure) \
                and numerator.value != "count":
            raise _error(number, code, "interval", _("a Poisson interval needs a count as numerator"))
        if interval in ("wilson", "srb") and denominator is None:
            raise _error(number, code, "interval", _("this interval needs a denominator"))
        if interval == "poisson" and isinstance(numerator, PopulationMeasure):
            raise _error(number, code, "interval", _("a Poisson interval needs events as numerator"))
        if interval == "poisson" and isinstance(numerator, MigrantMeasure) \
                and numerator.kind == "stock_end":
            raise _error(number, code, "interval",
                         _("a Poisson interval needs events (or migrants begun or ended) as "
                           "numerator"))
        if interval == "poisson" and isinstance(numerator, ServiceMeasure) \
                and numerator.what == "wait_days":
            raise _error(number, code, "interval", _("a Poisson interval needs a count as numerator"))
        measures = [m for m in (numerator, denominator) if m is not None]
        of_services = [m for m in measures if isinstance(m, ServiceMeasure)]
        if of_services and len(of_services) != len(measures):
            raise _error(number, code, "denominator",
                         _("a services measure is divided only by another services measure: "
                           "coverage is of the people who asked for a service, never of a "
                           "target population (DESIGN.md §2)"))
        if len({m.service for m in of_services}) > 1:
            raise _error(number, code, "denominator",
                         _("the numerator and the denominator count the same service"))
        for dims in disaggregations:
            for dim in dims:
                if dim in SERVICE_DIMENSIONS and not of_services:
                    raise _error(number, code, "disaggregations",
                                 _("%(dim)s applies only when every measure counts service "
                                   "records") % {"dim": dim})
                if of_services and dim not in SERVICE_DIMENSIONS:
                    raise _error(number, code, "disaggregations",
                                 _("service records are broken down by %(choices)s only")
                                 % {"choices": ", ".join(SERVICE_DIMENSIONS)})
                if dim == "service" and any(m.service for m in of_services):
                    raise _error(number, code, "disaggregations",
                                 _("cannot break down by service a measure already limited to "
                                   "one service"))
                if dim in PLACE_DIMENSIONS and not all(
                        isinstance(m, MigrantMeasure) and m.direction == PLACE_DIMENSIONS[dim]
                        for m in measures):
                    raise _error(number, code, "disaggregations",
                                 _("%(dim)s applies only when every measure counts migrants of "
                                   "direction %(direction)s")
                                 % {"dim": dim, "direction": PLACE_DIMENSIONS[dim]})
                for m in measures:
                    if dim == "sex" and m.sex is not None:
                        raise _error(number, code, "disaggregations",
                                     _("cannot break down by sex a measure already limited to one sex"))
                    if dim == "birth_order" and (not isinstance(m, EventMeasure) or m.birth_order):
                        raise _error(number, code, "disaggregations",
                                     _("birth order applies only to births not already limited to "
                                       "one birth order"))
                    if dim == "age_group" and m.ages and len(m.ages) > 1:
                        raise _error(number, code, "disaggregations",
                                     _("cannot break down by age group a measure over several age "
                                       "ranges"))
    indicator = Indicator(
        code=code, name_zh=entry["name_zh"].strip(), name_en=entry["name_en"].strip(), unit=unit,
        method=method, numerator=numerator, denominator=denominator, multiplier=float(multiplier),
        formula=formula, interval=interval, small_number=small, disaggregations=disaggregations,
        description=str(entry.get("description") or "").strip(), formula_tokens=tokens,
    )
    if any("age_group" in d for d in disaggregations) and not indicator.age_groups():
        raise _error(number, code, "disaggregations", _("no five-year age group fits the age range"))
    return indicator


def _parse_disaggregations(number: int, code: str, value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise _error(number, code, "disaggregations", _("must be a list"))
    result: list[tuple[str, ...]] = []
    for item in value:
        dims = tuple(item) if isinstance(item, list) else (item,)
        if not dims or any(d not in DIMENSIONS for d in dims) or len(set(dims)) != len(dims):
            raise _error(number, code, "disaggregations",
                         _("%(value)s: each breakdown is one of %(choices)s or a list of them")
                         % {"value": item, "choices": ", ".join(DIMENSIONS)})
        dims = tuple(d for d in DIMENSIONS if d in dims)  # canonical order
        if dims in result:
            raise _error(number, code, "disaggregations", _("%(value)s is listed twice")
                         % {"value": item})
        result.append(dims)
    return tuple(result)


def _parse_ages(number: int, code: str, where: str, value: Any) -> AgeRanges | None:
    if value is None:
        return None
    ranges = value if value and isinstance(value[0], list) else [value]
    result = []
    for r in ranges:
        if (not isinstance(r, list) or len(r) != 2 or not isinstance(r[0], int)
                or isinstance(r[0], bool) or r[0] < 0
                or not (r[1] is None or (isinstance(r[1], int) and r[1] >= r[0]))):
            raise _error(number, code, where,
                         _("age must be [lowest, highest] in whole years (highest may be null), "
                           "or a list of such ranges"))
        if r[0] not in _BAND_STARTS or (r[1] is not None and r[1] + 1 not in _BAND_STARTS):
            raise _error(number, code, where,
                         _("age ranges must follow the age groups 0, 1–4, 5–9, …, 85+ "
                           "(e.g. [15, 49], [65, null])"))
        result.append((r[0], r[1]))
    return tuple(result)


def _parse_measure(number: int, code: str, where: str, value: Any) -> Measure:
    families = ("events", "population", "migrants", "services")
    shape = _("a measure is {events: {...}}, {population: {...}}, {migrants: {...}} or "
              "{services: {...}}")
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in families:
        raise _error(number, code, where, shape)
    family, spec = next(iter(value.items()))
    spec = spec or {}
    if not isinstance(spec, dict):
        raise _error(number, code, where, shape)
    if family == "services":
        return _parse_service_measure(number, code, where, spec)
    sex = spec.get("sex")
    if sex is not None and sex not in ("M", "F"):
        raise _error(number, code, f"{where}.sex", _("must be M or F"))
    ages = _parse_ages(number, code, f"{where}.age", spec.get("age"))
    if family == "events":
        for key in spec:
            if key not in ("type", "sex", "age", "birth_order", "value"):
                raise _error(number, code, f"{where}.{key}", _("unknown field"))
        types = spec.get("type")
        types = tuple(types) if isinstance(types, list) else (types,)
        if not types or any(t not in EVENT_TYPES for t in types):
            raise _error(number, code, f"{where}.type", _("must be one of %(choices)s")
                         % {"choices": ", ".join(EVENT_TYPES)})
        order = spec.get("birth_order")
        order = None if order is None else str(order)
        if order is not None and (order not in BIRTH_ORDERS or types != ("birth",)):
            raise _error(number, code, f"{where}.birth_order",
                         _("birth order is 1, 2 or 3+, and only for births"))
        value_kind = spec.get("value", "count")
        if value_kind not in EVENT_VALUES or (value_kind == "mother_age" and types != ("birth",)):
            raise _error(number, code, f"{where}.value",
                         _("must be count, or mother_age for births"))
        return EventMeasure(types=types, sex=sex, ages=ages, birth_order=order, value=value_kind)
    if family == "migrants":
        for key in spec:
            if key not in ("direction", "kind", "sex", "age"):
                raise _error(number, code, f"{where}.{key}", _("unknown field"))
        if spec.get("direction") not in MIGRANT_DIRECTIONS:
            raise _error(number, code, f"{where}.direction", _("must be one of %(choices)s")
                         % {"choices": ", ".join(MIGRANT_DIRECTIONS)})
        if spec.get("kind") not in MIGRANT_KINDS:
            raise _error(number, code, f"{where}.kind", _("must be one of %(choices)s")
                         % {"choices": ", ".join(MIGRANT_KINDS)})
        return MigrantMeasure(direction=spec["direction"], kind=spec["kind"], sex=sex, ages=ages)
    for key in spec:
        if key not in ("kind", "sex", "age"):
            raise _error(number, code, f"{where}.{key}", _("unknown field"))
    kind = spec.get("kind")
    if kind not in POPULATION_KINDS:
        raise _error(number, code, f"{where}.kind", _("must be one of %(choices)s")
                     % {"choices": ", ".join(POPULATION_KINDS)})
    return PopulationMeasure(kind=kind, sex=sex, ages=ages)


def _parse_service_measure(number: int, code: str, where: str, spec: dict) -> ServiceMeasure:
    for key in spec:
        if key not in ("what", "service"):
            raise _error(number, code, f"{where}.{key}", _("unknown field"))
    what = spec.get("what")
    if what not in SERVICE_WHATS:
        raise _error(number, code, f"{where}.what", _("must be one of %(choices)s")
                     % {"choices": ", ".join(SERVICE_WHATS)})
    chosen = spec.get("service")
    if chosen is not None:
        known = _service_codes()
        if not isinstance(chosen, str) or not _CODE.match(chosen) or (
                known is not None and chosen not in known):
            raise _error(number, code, f"{where}.service",
                         _("%(value)s is not a service of the service catalogue")
                         % {"value": chosen})
    return ServiceMeasure(what=what, service=chosen)


def _service_codes() -> set[str] | None:
    """The codes of the service catalogue in use, or ``None`` when the services app is
    not installed (then any well-formed code is taken)."""
    from django.apps import apps

    if not apps.is_installed("renkou.services"):
        return None
    from renkou.services.catalogue import services

    return set(services())


def _parse_formula(number: int, code: str, text: str) -> tuple[tuple[str, str], ...]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _FORMULA_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _error(number, code, "formula", _("cannot read the formula at '%(rest)s'")
                         % {"rest": text[pos:]})
        summed, ref, num, op = match.group(2), match.group(3), match.group(4), match.group(5)
        if summed:
            tokens.append(("sum", summed))
        elif ref:
            tokens.append(("ref", ref))
        elif num:
            tokens.append(("num", num))
        else:
            tokens.append(("op", op))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    # a light check of the shape: operands and operators alternate, brackets balance
    depth, expect_operand = 0, True
    for kind, value in tokens:
        if kind == "op" and value == "(":
            depth += 1
            if not expect_operand:
                break
        elif kind == "op" and value == ")":
            depth -= 1
            if expect_operand or depth < 0:
                break
        elif kind == "op":
            if expect_operand and value != "-":
                break
            expect_operand = True
        else:
            if not expect_operand:
                break
            expect_operand = False
    else:
        if depth == 0 and not expect_operand and tokens:
            return tuple(tokens)
    raise _error(number, code, "formula", _("the formula is not a valid expression"))


def _check_cycles(indicators: list[Indicator]) -> None:
    by_code = {i.code: i for i in indicators}
    state: dict[str, int] = {}

    def visit(code: str, chain: list[str]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            number = next(n for n, i in enumerate(indicators, 1) if i.code == code)
            raise _error(number, code, "formula", _("formulas refer to each other in a circle: %(chain)s")
                         % {"chain": " → ".join([*chain, code])})
        state[code] = 1
        for ref in by_code[code].references():
            visit(ref, [*chain, code])
        state[code] = 2

    for indicator in indicators:
        visit(indicator.code, [])


def _common_ages(indicator: Indicator) -> AgeRanges | None:
    """The single age range both measures share (used to limit age_group rows)."""
    ranges = [m.ages for m in (indicator.numerator, indicator.denominator) if m is not None and m.ages]
    if not ranges:
        return None
    lo = max(r[0][0] for r in ranges)
    his = [r[0][1] for r in ranges if r[0][1] is not None]
    return ((lo, min(his) if his else None),)


def _group_inside(lo: int, hi: int | None, ages: AgeRanges | None) -> bool:
    if ages is None:
        return True
    a_lo, a_hi = ages[0]
    return lo >= a_lo and (a_hi is None or (hi is not None and hi <= a_hi))


def evaluation_order(indicators: tuple[Indicator, ...]) -> list[Indicator]:
    """Indicators with every formula after the indicators it uses."""
    by_code = {i.code: i for i in indicators}
    done: list[Indicator] = []
    seen: set[str] = set()

    def visit(indicator: Indicator) -> None:
        if indicator.code in seen:
            return
        seen.add(indicator.code)
        for ref in indicator.references():
            visit(by_code[ref])
        done.append(indicator)

    for indicator in indicators:
        visit(indicator)
    return done
