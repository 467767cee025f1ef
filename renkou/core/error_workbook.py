"""The file a clerk sent back with its problems marked (标注错误的文件).

A rejected import answers, besides the table of problems, the clerk's own file as an
Excel workbook: the same header and rows, each cell with a problem filled red with the
reason as a comment (a problem of the whole row marks the row's first cell), and a
sheet listing every problem with the row and the header as written in the file. She
corrects that file and uploads it again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from .columns import Column, machine_header
from .tables import ImportRejected, RowError, read_table, save_workbook

__all__ = ["header_as_written", "write_marked_copy"]

_RED = PatternFill("solid", fgColor="FFC7CE")


def header_as_written(path: Any, columns: Iterable[Column]) -> dict[str, str]:
    """Machine column → the header the file gives it (``name`` → ``姓名``)."""
    try:
        header, _rows = read_table(path)
        machine = machine_header(header, list(columns))
    except ImportRejected:
        return {}
    return dict(zip(machine, header, strict=True))


def write_marked_copy(path: Any, problems: Sequence[RowError], columns: Iterable[Column],
                      out: IO[bytes] | Any) -> None:
    """``path`` as a workbook with the cells of ``problems`` marked."""
    columns = list(columns)
    header, rows = read_table(path)
    machine = machine_header(header, columns)
    index = {name: i for i, name in enumerate(machine)}
    by_row: dict[int, list[RowError]] = defaultdict(list)
    for problem in problems:
        by_row[problem.row].append(problem)
    book = Workbook()
    sheet = book.active
    sheet.title = _("data")
    at = getattr(header, "row", 1)  # the clerk's title rows stay, so the row numbers agree
    for title in getattr(header, "above", []):
        sheet.append(title)
    sheet.append(list(header))
    for cell in sheet[at]:
        cell.font = Font(bold=True)
    for problem in by_row.get(at, []):  # a problem of the header: mark that column's head
        column = index.get(problem.field, 0)
        _mark(sheet.cell(row=at, column=column + 1), problem.reason)
    for number, cells in enumerate(rows, start=at + 1):
        sheet.append(cells)
        for problem in by_row.get(number, []):
            column = index.get(problem.field, 0)
            _mark(sheet.cell(row=number, column=column + 1), problem.reason)
    listed = book.create_sheet(_("problems"))
    listed.append([_("row"), _("column"), _("reason"), _("value")])
    written = dict(zip(machine, header, strict=True))
    for problem in problems:
        listed.append([problem.row, written.get(problem.field, problem.field), problem.reason,
                       problem.value])
    save_workbook(book, out)


def _mark(cell, reason: str) -> None:
    cell.fill = _RED
    old = cell.comment.text + "\n" if cell.comment else ""
    cell.comment = Comment(old + reason, "renkou")
