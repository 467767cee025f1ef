"""Text as renkou keeps it: one normalisation for every input (files, forms, the API).

Input is normalised to Unicode NFKC, so a full-width ID number (３４０６２１…) or a
compatibility ideograph is the same text as its ordinary form and cannot slip past a
uniqueness check; control and format characters (NUL, tabs and line breaks inside a
cell, zero-width spaces, bidirectional overrides) are dropped, a line break or tab
becoming a space. The standard library's ``unicodedata`` does the work; this module
only decides, once, what renkou keeps.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_text", "neutralise_formula", "reasons"]

_SPACES = re.compile(r"[\t\n\r\v\f\u2028\u2029]+")


def clean_text(value: str) -> str:
    """``value`` in NFKC, without control or format characters, stripped."""
    if value.isascii() and value.isprintable():
        return value.strip()
    value = unicodedata.normalize("NFKC", _SPACES.sub(" ", value))
    if not value.isprintable():
        value = "".join(c for c in value
                        if c == " " or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    return value.strip()


#: What a spreadsheet program takes for the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_formula(value: str) -> str:
    """A text cell that Excel or WPS would run as a formula, made inert by a leading
    apostrophe (which both show as text and do not display); a plain number such as
    ``-1.5`` is left as it is (it is not a formula)."""
    if value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def reasons(invalid) -> list[tuple[str, str]]:
    """``(field, reason)`` of each message of a Django ``ValidationError``, in order; the
    field is "" for one raised without a field (how the API, the imports and the
    commands each report a refusal)."""
    if hasattr(invalid, "error_dict"):
        return [(field, str(message)) for field, messages in invalid.message_dict.items()
                for message in messages]
    return [("", str(message)) for message in invalid.messages]
