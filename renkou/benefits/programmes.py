"""Benefit programmes as configuration: the shipped YAML plus the versions offices add.

:func:`load_programmes` reads and checks ``programmes.yaml`` (each mistake names the
programme and the field); :func:`programme` merges the database versions
(:class:`~renkou.benefits.models.ProgrammeVersion`) into one :class:`Programme`, whose
:meth:`Programme.version_for` picks the version that applies to a unit on a day: the
longest matching division-code prefix, then the latest effective date (an office's
database version beats a YAML version of the same prefix and date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

__all__ = ["RULES", "UNITS", "ProgrammeError", "Version", "Programme", "load_programmes",
           "programme", "programmes", "YAML_PATH"]

YAML_PATH = Path(__file__).with_name("programmes.yaml")
RULES = ("rural_reward", "special_assistance", "only_child", "child_under_age")
UNITS = ("person_month", "person_year", "lump_sum")
PERIODS = ("month", "year")
#: residence: everyone living in the jurisdiction; hukou: persons whose hukou is here
ELIGIBLE_BY = ("residence", "hukou")
LEVELS = ("village", "township", "county")
#: What the pages show for the configuration's words.
LABELS = {
    "person_month": _("per person per month"), "person_year": _("per person per year"),
    "lump_sum": _("lump sum"), "village": _("village"), "township": _("township"),
    "county": _("county"), "default": "", "death": _("only child died"),
    "disability": _("only child disabled"),
}


def label(word: str) -> str:
    """The Chinese (or English) label of a configuration word (unit, level, rate)."""
    return str(LABELS.get(word, word))


class ProgrammeError(ValueError):
    """A mistake in the programme configuration."""


@dataclass(frozen=True)
class Version:
    effective_from: dt.date
    org_prefix: str
    amounts: dict[str, Decimal]
    criteria: dict[str, Any]
    source: str = "yaml"  # or "db"

    def amount_labels(self) -> list[tuple[str, Decimal]]:
        """(rate label, amount) pairs for the pages; the default rate has no label."""
        return [(label(rate), amount) for rate, amount in self.amounts.items()]

    def amount(self, rate: str = "default") -> Decimal:
        if rate in self.amounts:
            return self.amounts[rate]
        return self.amounts.get("default", next(iter(self.amounts.values())))


@dataclass(frozen=True)
class Programme:
    code: str
    name: str
    name_en: str
    rule: str
    unit: str
    period: str
    review_levels: tuple[str, ...]
    notice_days: int
    documents: tuple[str, ...]
    attestations: dict[str, str]
    versions: tuple[Version, ...] = field(default_factory=tuple)
    #: who may receive it (equal services, issue 15): "residence" — everyone living in the
    #: jurisdiction, inflow migrants on the same terms as residents; "hukou" — only persons
    #: whose hukou is here (an inflow migrant is screened with the reason)
    eligible_by: str = "residence"

    @property
    def label(self) -> str:
        return self.name if (get_language() or "zh").startswith("zh") else self.name_en

    @property
    def unit_label(self) -> str:
        return label(self.unit)

    @property
    def review_levels_label(self) -> str:
        return " → ".join(label(level) for level in self.review_levels)

    def version_for(self, org_code: str, day: dt.date) -> Version | None:
        """The version for a unit on a day: longest prefix of ``org_code``, then latest."""
        best: tuple | None = None
        chosen = None
        for v in self.versions:
            if v.effective_from > day or not org_code.startswith(v.org_prefix):
                continue
            key = (len(v.org_prefix), v.effective_from, v.source == "db")
            if best is None or key >= best:
                best, chosen = key, v
        return chosen

    def rates(self) -> list[str]:
        return sorted({r for v in self.versions for r in v.amounts})


def _problem(code: str, what: str, reason: str) -> ProgrammeError:
    return ProgrammeError(f"programme {code}: {what}: {reason}")


def _amounts(code: str, spec: dict) -> dict[str, Decimal]:
    if "amounts" in spec:
        raw = spec["amounts"]
        if not isinstance(raw, dict) or not raw:
            raise _problem(code, "amounts", "must map rates to amounts")
    elif "amount" in spec:
        raw = {"default": spec["amount"]}
    else:
        raise _problem(code, "versions", "each version needs an amount or amounts")
    try:
        amounts = {str(k): Decimal(str(v)) for k, v in raw.items()}
    except ArithmeticError as exc:
        raise _problem(code, "amount", f"not a number: {raw}") from exc
    if any(a < 0 for a in amounts.values()):
        raise _problem(code, "amount", "must not be negative")
    return amounts


def _parse(code: str, spec: dict) -> Programme:
    if not isinstance(spec, dict):
        raise _problem(code, "entry", "must be a mapping")
    for key in ("name", "rule", "unit", "period", "versions"):
        if key not in spec:
            raise _problem(code, key, "missing")
    if spec["rule"] not in RULES:
        raise _problem(code, "rule", f"{spec['rule']!r} is not one of {', '.join(RULES)}")
    if spec["unit"] not in UNITS:
        raise _problem(code, "unit", f"{spec['unit']!r} is not one of {', '.join(UNITS)}")
    if spec.get("eligible_by", "residence") not in ELIGIBLE_BY:
        raise _problem(code, "eligible_by", f"{spec['eligible_by']!r} is not one of "
                       f"{', '.join(ELIGIBLE_BY)}")
    if spec["period"] not in PERIODS:
        raise _problem(code, "period", f"{spec['period']!r} is not one of {', '.join(PERIODS)}")
    levels = tuple(spec.get("review_levels") or LEVELS)
    if any(level not in LEVELS for level in levels) or levels[-1:] != ("county",):
        raise _problem(code, "review_levels", "steps among village, township, county, ending "
                       "with county")
    versions = []
    for v in spec["versions"]:
        try:
            start = v["from"] if isinstance(v["from"], dt.date) else dt.date.fromisoformat(v["from"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _problem(code, "versions.from", "each version needs a date YYYY-MM-DD") from exc
        prefix = str(v.get("org") or "")
        if prefix and not prefix.isdigit():
            raise _problem(code, "versions.org", f"{prefix!r} is not a division-code prefix")
        versions.append(Version(start, prefix, _amounts(code, v), dict(v.get("criteria") or {})))
    if not versions:
        raise _problem(code, "versions", "at least one version is needed")
    return Programme(
        code=code, name=str(spec["name"]), name_en=str(spec.get("name_en") or spec["name"]),
        rule=spec["rule"], unit=spec["unit"], period=spec["period"], review_levels=levels,
        notice_days=int(spec.get("notice_days", 7)),
        documents=tuple(spec.get("documents") or ()),
        attestations=dict(spec.get("attestations") or {}), versions=tuple(versions),
        eligible_by=str(spec.get("eligible_by", "residence")),
    )


def load_programmes(path: Path | str = YAML_PATH) -> dict[str, Programme]:
    """The programmes of a YAML file, checked."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    entries = data.get("programmes")
    if not isinstance(entries, dict) or not entries:
        raise ProgrammeError("the file has no 'programmes' mapping")
    return {code: _parse(code, spec) for code, spec in entries.items()}


@lru_cache(maxsize=4)
def _shipped(path: str) -> dict[str, Programme]:
    return load_programmes(path)


def _with_db_versions(p: Programme) -> Programme:
    from .models import ProgrammeVersion

    extra = []
    for row in ProgrammeVersion.objects.filter(programme=p.code):
        base = p.version_for(row.org_prefix or "", row.effective_from)
        criteria = row.criteria or (base.criteria if base else {})
        extra.append(Version(row.effective_from, row.org_prefix,
                             {k: Decimal(str(v)) for k, v in row.amounts.items()},
                             dict(criteria), source="db"))
    if not extra:
        return p
    return Programme(**{**p.__dict__, "versions": p.versions + tuple(extra)})


def programmes(path: Path | str = YAML_PATH) -> dict[str, Programme]:
    """Every programme, with the database versions merged in."""
    return {code: _with_db_versions(p) for code, p in _shipped(str(path)).items()}


def programme(code: str, path: Path | str = YAML_PATH) -> Programme:
    """One programme by code, with the database versions merged in; ``KeyError`` if none."""
    return _with_db_versions(_shipped(str(path))[code])
