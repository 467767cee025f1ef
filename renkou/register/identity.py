"""Resident ID numbers (公民身份号码) and name spellings.

ID numbers are checked with python-stdnum's ``cn.ric`` (GB 11643: length, area code,
birth date and the ISO 7064 MOD 11-2 check digit); this module only adds the
cross-checks against the record (birth date and the sex digit) and masking.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from renkou.core.text import clean_text

__all__ = ["id_number_problems", "id_columns", "id_number_is_valid", "normalise_id_number",
           "mask_id_number", "name_spellings", "spell_names"]


def normalise_id_number(value: str | None) -> str | None:
    """In NFKC (a full-width ３４０６… is the same number), without spaces or control
    characters, upper-case; an empty value is ``None`` (the ID is optional)."""
    if value is None:
        return None
    value = clean_text(str(value)).replace(" ", "").upper()
    return value or None


def id_number_problems(
    id_number: str, birth_date: dt.date | None = None, sex: str | None = None
) -> list[str]:
    """Reasons ``id_number`` is not acceptable for a person with this birth date and sex.

    An empty list means the number is valid and agrees with the record.
    """
    try:
        ric.validate(id_number)
    except InvalidLength:
        return [str(_("an ID number has 18 characters"))]
    except InvalidChecksum:
        return [str(_("the check digit (last character) is wrong"))]
    except (InvalidComponent, KeyError):
        # python-stdnum 2.x raises KeyError for an area code its table holds only as a
        # prefix (e.g. 340622): the same answer as an unknown one
        return [str(_("the area code or the birth date in the ID number does not exist"))]
    except InvalidFormat:
        return [str(_("the ID number has characters other than digits and a final X"))]
    problems = []
    if birth_date is not None and ric.get_birth_date(id_number) != birth_date:
        problems.append(
            str(_("the birth date in the ID number (%(id)s) differs from the birth date (%(bd)s)"))
            % {"id": ric.get_birth_date(id_number).isoformat(), "bd": birth_date.isoformat()}
        )
    if sex in ("M", "F"):
        id_sex = "M" if int(id_number[16]) % 2 == 1 else "F"
        if id_sex != sex:
            problems.append(str(_("the sex digit of the ID number disagrees with the sex")))
    return problems


@lru_cache(maxsize=10_000)
def _area_ok(area: str, year: int = 1990) -> bool:
    """Whether the area code existed in ``year`` (the holder's birth year): python-stdnum
    knows some codes only from or until a year (341322 萧县 from 1998), as ``ric.validate``
    checks them."""
    try:
        ric.get_birth_place(f"{area}{year:04d}0101001X")
    except (StdnumError, KeyError):  # KeyError: see id_number_problems
        return False
    return True


def id_columns(id_number: str | None) -> tuple:
    """``(valid_format, check_ok, area_ok, date_ok, birth_date, sex, body)`` of one ID number
    (the columns the quality rules read).

    ``body`` is the first 17 characters; a 15-digit first-generation number (area,
    yymmdd, 3-digit sequence) is widened to the same 17 characters (19yymmdd), so the
    two forms of one number compare equal.
    """
    if not id_number:
        return (None,) * 7
    n = id_number.strip().upper()
    if len(n) == 15 and n.isdigit():
        return (False, None, _area_ok(n[:6], 1900 + int(n[6:8])), None, None, None,
                n[:6] + "19" + n[6:])
    valid = len(n) == 18 and n[:17].isdigit() and (n[17].isdigit() or n[17] == "X")
    if not valid:
        return (False, None, None, None, None, None, n[:17] if len(n) >= 17 else None)
    try:
        birth = dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        birth = None
    return (True, ric.calc_check_digit(n) == n[17], _area_ok(n[:6], int(n[6:10]) or 1990),
            birth is not None, birth,
            "M" if int(n[16]) % 2 else "F", n[:17])


def id_number_is_valid(id_number: str | None) -> bool:
    """Whether the number is a well-formed 18-character ID with the right check digit
    (what duplicate detection trusts: two different valid numbers are two people)."""
    parts = id_columns(id_number)
    return bool(parts[0] and parts[1])


def mask_id_number(id_number: str | None, *, beside_birth_date: bool = False) -> str:
    """First 6 and last 4 characters, e.g. ``110101********123X``: the hidden digits are
    the birth date, so a list shows it with the age or birth year, never the birth date.
    Where the birth date must stand beside it (duplicate review), ``beside_birth_date``
    hides the last four as well (``110101************``): the two together then leave
    about a hundred candidates, not one."""
    if not id_number:
        return ""
    if len(id_number) < 10:
        return "*" * len(id_number)
    if beside_birth_date:
        return id_number[:6] + "*" * (len(id_number) - 6)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


@lru_cache(maxsize=200_000)
def name_spellings(name: str) -> tuple[str, str]:
    """``(full pinyin, initials)`` of a Chinese name, e.g. 张晓明 → (zhangxiaoming, zxm)."""
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    full = "".join(syllables).lower().replace("ü", "v")
    initials = "".join(s[0] for s in syllables if s).lower()
    return full, initials


def spell_names(names: list[str]) -> list[tuple[str, str]]:
    """:func:`name_spellings` of each name; what the importer's helper process runs (this
    module needs no Django set-up, so a freshly spawned process can import it)."""
    return [name_spellings(n) for n in names]
