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

__all__ = ["id_number_problems", "normalise_id_number", "mask_id_number", "name_spellings"]


def normalise_id_number(value: str | None) -> str | None:
    """Upper-case, strip spaces; an empty value is ``None`` (the ID is optional)."""
    if value is None:
        return None
    value = str(value).strip().replace(" ", "").upper()
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
    except InvalidComponent:
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


def mask_id_number(id_number: str | None) -> str:
    """First 6 and last 4 characters, e.g. ``110101********123X``."""
    if not id_number:
        return ""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


@lru_cache(maxsize=200_000)
def name_spellings(name: str) -> tuple[str, str]:
    """``(full pinyin, initials)`` of a Chinese name, e.g. 张晓明 → (zhangxiaoming, zxm)."""
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    full = "".join(syllables).lower().replace("ü", "v")
    initials = "".join(s[0] for s in syllables if s).lower()
    return full, initials
