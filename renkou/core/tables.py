"""Tables in and out: the reader of ``.csv`` and ``.xlsx`` files every import shares,
the streaming writer every export shares, and the row/field/reason problems an
all-or-nothing import reports (the header is row 1, as the user sees it).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

__all__ = ["RowError", "ImportRejected", "read_table", "TableWriter", "write_error_report"]


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an input file: spreadsheet row (header = 1), column, reason."""

    row: int
    field: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        return _("row %(row)s, %(field)s: %(reason)s") % {
            "row": self.row, "field": self.field or "-", "reason": self.reason,
        }


class ImportRejected(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, errors: list[RowError], rows: int = 0):
        self.errors = errors
        self.rows = rows
        super().__init__(
            _("%(n)s problem(s) found in %(rows)s row(s); nothing was written")
            % {"n": len(errors), "rows": rows}
        )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(path: str | Path) -> tuple[list[str], Iterator[list[str]]]:
    """The header (lower-cased, stripped) and the data rows of a .csv or .xlsx file.

    CSV is read as UTF-8 with or without a byte-order mark. Cells come back as
    text: Excel dates become ``YYYY-MM-DD``, whole numbers lose their ``.0``.
    Rows are streamed, so a large file is never held in memory.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        rows = book.active.iter_rows(values_only=True)
        header = [_cell_text(c).lower() for c in next(rows, ())]

        def xlsx_rows() -> Iterator[list[str]]:
            try:
                for row in rows:
                    yield [_cell_text(c) for c in row]
            finally:
                book.close()

        return header, xlsx_rows()

    handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed by the generator)
    reader = csv.reader(handle)
    header = [h.strip().lower() for h in next(reader, [])]

    def csv_rows() -> Iterator[list[str]]:
        with handle:
            strip = str.strip
            for row in reader:
                yield list(map(strip, row))

    return header, csv_rows()


class TableWriter:
    """Write rows to .csv (UTF-8 with a byte-order mark, so Excel shows Chinese) or
    .xlsx (openpyxl write-only mode, constant memory), chosen by the file suffix."""

    def __init__(self, path: str | Path, header: Sequence[str], sheet_title: str = "data"):
        self.path = Path(path)
        self.xlsx = self.path.suffix.lower() == ".xlsx"
        if self.xlsx:
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet(sheet_title)
            self._sheet.append(list(header))
        else:
            self._handle = open(self.path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._csv = csv.writer(self._handle)
            self._csv.writerow(header)

    def writerow(self, row: Sequence[Any]) -> None:
        if self.xlsx:
            self._sheet.append(["" if v is None else v for v in row])
        else:
            self._csv.writerow(row)

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def close(self) -> None:
        if self.xlsx:
            self._book.save(self.path)
        else:
            self._handle.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_error_report(path: str | Path, errors: Iterable[RowError]) -> None:
    """Write problems as a table: row, field, value, reason."""
    with TableWriter(path, [_("row"), _("field"), _("value"), _("reason")], "errors") as out:
        for e in errors:
            out.writerow([e.row, e.field, e.value, e.reason])


