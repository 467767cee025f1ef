"""Columns and coded values as offices write them (表头与代码值).

A clerk's spreadsheet says 姓名, 性别 男, 户口性质 农业; renkou's machine form says
``name``, ``sex`` ``M``, ``hukou_type`` ``rural``. Every import accepts both, and every
export and template can write either, from this one place:

- :class:`Column`: a machine name, its Chinese header and other headers met in the
  field (身份证号 for 公民身份号码);
- :func:`machine_header`: a file's header in machine names, by a table of columns;
- :func:`coded_values`: the texts accepted for a coded column — the code, its Chinese
  and English label as the pages show them (the model's choices, through the
  translations, so an export read back in is always understood), and older words
  still in use (农业 for 农业户口).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from .text import clean_text

__all__ = ["Column", "machine_header", "coded_values", "chinese_labels", "columns_from_aliases"]


@dataclass(frozen=True)
class Column:
    """One column of a file: its machine name, its Chinese header, other headers."""

    name: str
    chinese: str
    aliases: tuple[str, ...] = ()


def columns_from_aliases(names: Iterable[str], aliases: dict[str, str]) -> tuple[Column, ...]:
    """Columns from an importer's table of other headers (``{"姓名": "name", …}``): each
    machine name with the first header naming it as its Chinese header."""
    headers: dict[str, list[str]] = {}
    for text, name in aliases.items():
        headers.setdefault(name, []).append(text)
    return tuple(Column(name, (headers.get(name) or [name])[0], tuple(headers.get(name, [])[1:]))
                 for name in names)


def machine_header(header: Sequence[str], columns: Iterable[Column]) -> list[str]:
    """``header`` with each Chinese header or alias replaced by its machine name (an
    unknown header is kept, lower-cased, for the importer to report or ignore). Two
    headers naming one column (姓名 and name) refuse the file, naming both."""
    from .tables import Header, ImportRejected, RowError

    row = header.row if isinstance(header, Header) else 1
    names = {}
    for column in columns:
        for text in (column.name, column.chinese, *column.aliases):
            names[_key(text)] = column.name
    out = [names.get(_key(h), _key(h)) for h in header]
    first: dict[str, int] = {}
    for i, name in enumerate(out):
        if name and name in first:
            raise ImportRejected([RowError(row, name, _(
                "the headers %(a)s and %(b)s name the same column")
                % {"a": header[first[name]], "b": header[i]})])
        first.setdefault(name, i)
    return Header(out, row, header.above) if isinstance(header, Header) else out


def coded_values(choices: type[models.Choices], synonyms: dict[str, str] | None = None
                 ) -> dict[str, str]:
    """Text → code for a coded column: the codes, their Chinese and English labels (as
    the pages show them) and ``synonyms``; keys in NFKC and lower-cased, as a cell read
    by ``read_table`` is (match ``text.lower()``)."""
    accepted = {_key(str(value)): str(value) for value in choices.values}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            accepted.update({_key(str(label)): str(value) for value, label in choices.choices})
    accepted.update({_key(text): code for text, code in (synonyms or {}).items()})
    return accepted


def _key(text: str) -> str:
    """Text as a file's cell arrives (NFKC: 高中（中专） reads 高中(中专)), lower-cased."""
    return clean_text(text).lower()


def chinese_labels(choices: type[models.Choices]) -> dict[str, str]:
    """Code → the Chinese label the pages show (for exports and templates in Chinese)."""
    with translation.override("zh-hans"):
        return {str(value): str(label) for value, label in choices.choices}
