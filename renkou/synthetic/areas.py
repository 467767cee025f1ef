"""Area codes of ID numbers (身份证号码前六位) for a birth year, from python-stdnum's table.

An ID number carries the area code of the place that first issued it, as that code was
in the holder's birth year; python-stdnum's ``cn.ric`` knows some codes only from a year
(341322 萧县 is "[1998-]", before that the same county was 342222 of 宿县地区) and refuses
an ID number whose code did not yet, or no longer, exist when its holder was born.
:func:`area_code_for` gives the code valid for a birth year: the code itself, else the
code of the same-named county (县 or 市) in the same province in that year, else the prefecture's or
the province's code, else the first county-level code of the province valid that year.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

__all__ = ["area_code_for", "area_codes_for", "is_valid_for_year", "area_name"]

_RANGE = re.compile(r"^\[(\d*)-(\d*)\](.*)$")


@dataclass(frozen=True)
class _Name:
    name: str
    start: int | None
    end: int | None

    def valid(self, year: int) -> bool:
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)


def _parse(county: str) -> tuple[_Name, ...]:
    names = []
    for part in county.split(","):
        match = _RANGE.match(part)
        if match:
            start, end, name = match.groups()
            names.append(_Name(name, int(start) if start else None, int(end) if end else None))
        else:
            names.append(_Name(part, None, None))
    return tuple(names)


@functools.cache
def _province(province: str) -> dict[str, tuple[_Name, ...]]:
    """The six-digit codes of a province (two digits) with their names over the years."""
    db = numdb.get("cn/loc")
    for _length, low, high, _props, children in db.prefixes:
        if low <= province <= high:
            return {province + c_low: _parse(c_props["county"])
                    for _l, c_low, c_high, c_props, _c in children
                    if c_low == c_high and "county" in c_props}
    return {}


@functools.cache
def is_valid_for_year(code: str, year: int) -> bool:
    """Whether an ID number of someone born in ``year`` may carry the area code ``code``."""
    try:
        ric.get_birth_place(f"{code}{year:04d}0101001X")
    except (StdnumError, KeyError):  # KeyError: a code stdnum holds only as a prefix
        return False
    return True


def area_name(code: str) -> str:
    """The county's latest name in stdnum's table ("" when unknown)."""
    names = _province(code[:2]).get(code[:6], ())
    return names[-1].name if names else ""


def _stem(name: str) -> str:
    """The name without its kind (射洪县 and 射洪市 are one place)."""
    return re.sub(r"(自治县|县|市|区)$", "", name)


@functools.cache
def area_code_for(code: str, year: int) -> str:
    """The area code an ID number of someone born in ``year`` in county ``code`` carries
    (see the module)."""
    code = code[:6]
    if is_valid_for_year(code, year):
        return code
    province = _province(code[:2])
    own_names = {_stem(n.name) for n in province.get(code, ())}
    candidates = sorted(province)
    for other in candidates:
        if other != code and any(_stem(n.name) in own_names and n.valid(year)
                                 for n in province[other]) and is_valid_for_year(other, year):
            return other
    for other in (code[:4] + "00", code[:2] + "0000"):
        if is_valid_for_year(other, year):
            return other
    for other in candidates:
        if not other.endswith(("00", "01")) and is_valid_for_year(other, year):
            return other
    raise ValueError(f"no area code of province {code[:2]} is valid for {year}")


def area_codes_for(codes, years):
    """:func:`area_code_for` of many (code, year) pairs, computed once per distinct pair."""
    import numpy as np

    codes = np.asarray(codes, dtype="U6")
    years = np.asarray(years, dtype=np.int64)
    if len(codes) == 0:
        return codes
    pairs, inverse = np.unique(np.char.add(codes, years.astype("U4")), return_inverse=True)
    mapped = np.array([area_code_for(p[:6], int(p[6:])) for p in pairs.tolist()], dtype="U6")
    return mapped[inverse]
