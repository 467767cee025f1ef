"""The service catalogue (服务项目目录) as data: the shipped ``catalogue.yaml`` plus an
office's own file.

:func:`services` is the catalogue in use: the shipped file, then the entries of the file
the ``RENKOU_SERVICE_CATALOGUE`` setting (or environment variable) names, added or
replacing the shipped one of the same code, so an office adds a service without code.
:func:`load_catalogue` reads and checks one file; each mistake names the service, the
item and the reason, in the interface language.

The loader is where DESIGN.md §2 is enforced for services: an item or follow-up that would
record a pregnancy check, pregnancy or contraceptive status, IUD or pregnancy monitoring,
"policy compliance" or an assigned method is refused (:data:`OUT_OF_SCOPE`), and every
follow-up needs the person's follow-up consent (``consent: follow_up``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

__all__ = ["CatalogueError", "Choice", "Item", "FollowUpSpec", "Service", "ITEM_KINDS",
           "OUT_OF_SCOPE", "YAML_PATH", "load_catalogue", "services", "service",
           "out_of_scope_reason", "scope_refusal"]

YAML_PATH = Path(__file__).with_name("catalogue.yaml")
ITEM_KINDS = ("text", "choice", "yes_no", "number", "date")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")

#: Words that name what DESIGN.md §2 keeps out of a service record, in codes (English)
#: and names (Chinese): pregnancy checks and monitoring, pregnancy or contraceptive status,
#: IUD checks, policy compliance, assigned methods, sterilisation or abortion procedures
#: counted as targets. Matched in an item's or follow-up's code and names.
OUT_OF_SCOPE = (
    "pregnancy_status", "pregnancy_check", "pregnancy_test", "pregnancy_monitoring",
    "contraceptive_status", "contraceptive_method_assigned", "assigned_method", "method_assigned",
    "iud_check", "iud_status", "ring_check", "compliance", "in_plan", "out_of_plan",
    "policy", "sterilisation", "sterilization", "abortion", "birth_permit",
    "孕情", "环情", "查环", "查孕", "三查", "双查", "孕检监测", "避孕状况", "避孕措施落实",
    "节育措施", "上环", "结扎", "引产", "流产", "计划内", "计划外", "政策内", "政策外",
    "政策符合", "违法生育", "社会抚养费", "指定避孕",
)


class CatalogueError(ValueError):
    """A mistake in a service catalogue file; the message names the service and item."""


class _Named:
    """``name``: the Chinese name, or the English one in an English interface."""

    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


@dataclass(frozen=True)
class Choice(_Named):
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Item(_Named):
    """One thing an encounter records (a step of the service and its result)."""

    code: str
    name_zh: str
    name_en: str
    kind: str = "text"
    choices: tuple[Choice, ...] = ()
    unit: str = ""
    sensitive: bool = False

    def choice(self, code: str) -> Choice | None:
        return next((c for c in self.choices if c.code == code), None)


@dataclass(frozen=True)
class FollowUpSpec(_Named):
    """A follow-up staff may arrange after an encounter: listed, and the person contacted,
    only while she has an active follow-up consent."""

    code: str
    name_zh: str
    name_en: str
    after_days: int


@dataclass(frozen=True)
class Service(_Named):
    code: str
    name_zh: str
    name_en: str
    who_may_ask_zh: str
    who_may_ask_en: str
    information_version: str
    items: tuple[Item, ...]
    follow_ups: tuple[FollowUpSpec, ...] = ()
    risk_item: str = ""
    source: str = "shipped"

    @property
    def who_may_ask(self) -> str:
        return self.who_may_ask_en if (get_language() or "").startswith("en") else self.who_may_ask_zh

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def follow_up(self, code: str) -> FollowUpSpec | None:
        return next((f for f in self.follow_ups if f.code == code), None)


def scope_refusal() -> str:
    """The sentence that explains a refusal on scope (cited by the loader and the API)."""
    return _("renkou records voluntary services a person asked for; it keeps no pregnancy "
             "or contraceptive status, no pregnancy or IUD checks, no policy compliance "
             "and no assigned methods (DESIGN.md §2)")


def out_of_scope_reason(*texts: str) -> str | None:
    """Why a field named by ``texts`` (its code and names) is refused, or ``None``."""
    joined = " ".join(t.lower() for t in texts if t)
    word = next((w for w in OUT_OF_SCOPE if w in joined), None)
    if word is None:
        return None
    return _("“%(word)s” is out of scope: %(why)s") % {"word": word, "why": scope_refusal()}


def _problem(where: str, reason: str) -> CatalogueError:
    return CatalogueError(f"{where}: {reason}")


def _text(spec: dict, key: str, where: str, *, default: str | None = None) -> str:
    value = spec.get(key, default)
    if value is None or not str(value).strip():
        raise _problem(where, _("the field “%(field)s” is missing") % {"field": key})
    return str(value).strip()


def _code(spec: dict, where: str) -> str:
    code = str(spec.get("code") or "")
    if not _CODE.match(code):
        raise _problem(where, _("the code “%(code)s” must be letters, digits and _, starting "
                                "with a letter") % {"code": code})
    return code


def _item(spec: Any, where: str) -> Item:
    if not isinstance(spec, dict):
        raise _problem(where, _("each item must be a mapping"))
    code = _code(spec, where)
    where = f"{where} {code}"
    name_zh = _text(spec, "name_zh", where)
    name_en = _text(spec, "name_en", where, default=name_zh)
    refused = out_of_scope_reason(code, name_zh, name_en)
    if refused:
        raise _problem(where, refused)
    kind = str(spec.get("kind") or "text")
    if kind not in ITEM_KINDS:
        raise _problem(where, _("the kind “%(kind)s” is not one of %(kinds)s")
                       % {"kind": kind, "kinds": ", ".join(ITEM_KINDS)})
    choices: list[Choice] = []
    if kind == "choice":
        for c in spec.get("choices") or ():
            if not isinstance(c, dict):
                raise _problem(where, _("each choice must be a mapping"))
            choice_code = _code(c, where)
            choice_zh = _text(c, "name_zh", f"{where} {choice_code}")
            choice_en = _text(c, "name_en", f"{where} {choice_code}", default=choice_zh)
            refused = out_of_scope_reason(choice_code, choice_zh, choice_en)
            if refused:
                raise _problem(f"{where} {choice_code}", refused)
            choices.append(Choice(choice_code, choice_zh, choice_en))
        if not choices:
            raise _problem(where, _("an item of kind choice needs its choices"))
    return Item(code=code, name_zh=name_zh, name_en=name_en, kind=kind, choices=tuple(choices),
                unit=str(spec.get("unit") or ""), sensitive=bool(spec.get("sensitive")))


def _follow_up(spec: Any, where: str) -> FollowUpSpec:
    if not isinstance(spec, dict):
        raise _problem(where, _("each follow-up must be a mapping"))
    code = _code(spec, where)
    where = f"{where} {code}"
    name_zh = _text(spec, "name_zh", where)
    name_en = _text(spec, "name_en", where, default=name_zh)
    refused = out_of_scope_reason(code, name_zh, name_en)
    if refused:
        raise _problem(where, refused)
    if spec.get("consent") != "follow_up":
        raise _problem(where, _("a follow-up needs the person's follow-up consent (consent: "
                                "follow_up): nobody is followed up who did not agree to it "
                                "(DESIGN.md §2)"))
    try:
        after_days = int(spec.get("after_days", 30))
    except (TypeError, ValueError) as exc:
        raise _problem(where, _("after_days must be a whole number of days")) from exc
    if not 0 < after_days <= 3660:
        raise _problem(where, _("after_days must be between 1 and 3660"))
    return FollowUpSpec(code=code, name_zh=name_zh, name_en=name_en, after_days=after_days)


def _service(spec: Any, source: str) -> Service:
    if not isinstance(spec, dict):
        raise CatalogueError(_("each service must be a mapping"))
    code = _code(spec, _("service"))
    where = _("service %(code)s") % {"code": code}
    name_zh = _text(spec, "name_zh", where)
    items = spec.get("items")
    if not isinstance(items, list) or not items:
        raise _problem(where, _("a service needs its items (what an encounter records)"))
    parsed = tuple(_item(i, f"{where}, {_('item')}") for i in items)
    if len({i.code for i in parsed}) != len(parsed):
        raise _problem(where, _("two items have the same code"))
    follow_ups = tuple(_follow_up(f, f"{where}, {_('follow-up')}")
                       for f in spec.get("follow_ups") or ())
    risk_item = str(spec.get("risk_item") or "")
    if risk_item:
        risk = next((i for i in parsed if i.code == risk_item), None)
        if risk is None or risk.choice("high") is None:
            raise _problem(where, _("risk_item must name an item of kind choice with a choice "
                                    "“high”"))
    for key in spec:
        if key not in {"code", "name_zh", "name_en", "who_may_ask_zh", "who_may_ask_en",
                       "information_version", "items", "follow_ups", "risk_item"}:
            refused = out_of_scope_reason(str(key))
            raise _problem(where, refused or _("unknown field “%(field)s”") % {"field": key})
    return Service(
        code=code, name_zh=name_zh, name_en=str(spec.get("name_en") or name_zh),
        who_may_ask_zh=str(spec.get("who_may_ask_zh") or ""),
        who_may_ask_en=str(spec.get("who_may_ask_en") or spec.get("who_may_ask_zh") or ""),
        information_version=str(spec.get("information_version") or ""),
        items=parsed, follow_ups=follow_ups, risk_item=risk_item, source=source)


def load_catalogue(path: Path | str = YAML_PATH, *, source: str = "shipped") -> dict[str, Service]:
    """The services of one catalogue file, checked; :class:`CatalogueError` names the first
    mistake."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(_("the service catalogue %(path)s cannot be read: %(reason)s")
                             % {"path": path, "reason": exc}) from exc
    entries = data.get("services") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(_("the file has no list “services”"))
    found: dict[str, Service] = {}
    for spec in entries:
        s = _service(spec, source)
        if s.code in found:
            raise CatalogueError(_("service %(code)s is defined twice") % {"code": s.code})
        found[s.code] = s
    return found


def office_catalogue_path() -> str:
    """The office's own catalogue file, or "" (``RENKOU_SERVICE_CATALOGUE``)."""
    return str(getattr(settings, "RENKOU_SERVICE_CATALOGUE", "")
               or os.environ.get("RENKOU_SERVICE_CATALOGUE", ""))


@lru_cache(maxsize=4)
def _catalogue(office_path: str) -> dict[str, Service]:
    found = load_catalogue(YAML_PATH)
    if office_path:
        found.update(load_catalogue(office_path, source="office"))
    return found


def services() -> dict[str, Service]:
    """The catalogue in use: shipped services, then the office's (see the module)."""
    return _catalogue(office_catalogue_path())


def service(code: str) -> Service:
    """One service by code; ``KeyError`` when the catalogue has none."""
    return services()[code]
