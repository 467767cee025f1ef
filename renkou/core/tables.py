"""Tables in and out: the reader of ``.csv`` and ``.xlsx`` files every import shares,
the streaming writer every export shares, and the row/field/reason problems an
all-or-nothing import reports (the header is row 1, as the user sees it).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, SupportsIndex

from django.utils.translation import gettext as _

from .text import clean_text, neutralise_formula

__all__ = ["parse_date_cell", "RowError", "Problems", "ImportRejected", "InputLimits", "input_limits",
           "read_table",
           "Header",
           "TableWriter", "write_error_report", "inert_row", "inert_cells", "InertCsvWriter",
           "save_workbook"]


#: How dates are written in the files offices keep (a cell read from Excel arrives ISO).
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")


def parse_date_cell(text: str) -> dt.date | None:
    """The date a cell holds (2026-03-01, 2026/3/1, 2026.03.01, 20260301), else ``None``."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an input file: spreadsheet row (header = 1), column, reason."""

    row: int
    field: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        if self.row == 0:  # the file as a whole, or a setting of the import
            return f"{self.field}: {self.reason}" if self.field else self.reason
        return _("row %(row)s, %(field)s: %(reason)s") % {
            "row": self.row, "field": self.field or "-", "reason": self.reason,
        }


class Problems(list[RowError]):
    """The problems of one file: the first ``limit`` are kept, the rest only counted, so
    that a file of a million bad rows costs no more memory than one of a thousand."""

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        self.limit = input_limits().kept_problems if limit is None else limit
        self.dropped = 0

    def append(self, problem: RowError) -> None:
        if len(self) < self.limit:
            super().append(problem)
        else:
            self.dropped += 1

    def extend(self, problems: Iterable[RowError]) -> None:
        for problem in problems:
            self.append(problem)

    def insert(self, index: SupportsIndex, problem: RowError) -> None:
        super().insert(index, problem)
        if len(self) > self.limit:
            self.pop()
            self.dropped += 1

    @property
    def total(self) -> int:
        return len(self) + self.dropped


class ImportRejected(Exception):
    """The file has problems; nothing was written. ``errors`` holds the first of them,
    ``total`` counts them all."""

    def __init__(self, errors: list[RowError], rows: int = 0):
        self.errors = errors
        self.rows = rows
        self.total = errors.total if isinstance(errors, Problems) else len(errors)
        super().__init__(
            _("%(n)s problem(s) found in %(rows)s row(s); nothing was written")
            % {"n": self.total, "rows": rows}
        )


@dataclass(frozen=True)
class InputLimits:
    """What an input file may hold. Beyond any of these it is refused before it can
    exhaust the machine (a few megabytes of zip can unpack to gigabytes). The defaults
    hold a county's whole register; a deployment may change them with the setting
    ``RENKOU_INPUT_LIMITS`` (a dict of these names)."""

    file_bytes: int = 300 * 2**20       # the file as stored or uploaded
    unpacked_bytes: int = 2 * 2**30     # an .xlsx: all its parts, unpacked
    shared_strings_bytes: int = 256 * 2**20  # an .xlsx: its text table, held in memory
    rows: int = 1_000_000
    columns: int = 256
    cell_chars: int = 2_000
    kept_problems: int = 1_000          # problems kept to show; the rest are counted


def input_limits() -> InputLimits:
    from django.conf import settings

    return InputLimits(**getattr(settings, "RENKOU_INPUT_LIMITS", {}))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))


def _refuse(row: int, reason: str, field: str = "") -> ImportRejected:
    return ImportRejected([RowError(row, field, reason)], 0)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _checked_header(cells: list[str], limits: InputLimits, row: int = 1) -> list[str]:
    if not any(cells):
        raise _refuse(row, _("the file is empty: its first row must hold the column names"))
    if len(cells) > limits.columns:
        raise _refuse(row, _("the file has %(n)s columns, more than %(max)s")
                      % {"n": len(cells), "max": limits.columns})
    header = [c.lower() for c in cells]
    first: dict[str, int] = {}
    for i, name in enumerate(header):
        if name and name in first:
            raise _refuse(row, _("the column appears twice (columns %(a)s and %(b)s)")
                          % {"a": _column_letter(first[name]), "b": _column_letter(i)}, name)
        first.setdefault(name, i)
    return header


class Header(list[str]):
    """A file's column names (lower-cased) and the spreadsheet row they stand on: row 1,
    unless a title stands above them (``above``: those rows as read), as on a sheet
    made in WPS or Excel with a merged title row (``XX村人员登记表``) and a line of
    填报单位/日期 before the header. Data rows start at ``row + 1``."""

    def __init__(self, names: Iterable[str], row: int = 1,
                 above: Sequence[list[str]] = ()) -> None:
        super().__init__(names)
        self.row = row
        self.above = list(above)


#: how far down a header is looked for under title rows
HEADER_SEARCH_ROWS = 10


def _filled(row: list[str]) -> int:
    return sum(1 for cell in row if cell)


def _find_header(rows: Iterator[list[str]], limits: InputLimits,
                 unreadable: type[Exception] | tuple[type[Exception], ...]
                 ) -> tuple[Header, Iterator[list[str]]]:
    """The header row and the rows below it. The header is the first row, among the
    first :data:`HEADER_SEARCH_ROWS`, filled in at least half as many cells as the
    fullest of them (and in two or more): a merged title fills one cell, a line of
    填报单位 two or three, the header every column. A file where no row qualifies
    (one column) has its header in row 1."""
    ahead: list[list[str]] = []
    try:
        for row in rows:
            ahead.append(row)
            if len(ahead) == HEADER_SEARCH_ROWS:
                break
    except unreadable as exc:
        raise _refuse(len(ahead) + 1, _("the file cannot be read from this row on (%(why)s)")
                      % {"why": _reason_of(exc)}) from None
    widest = max(map(_filled, ahead), default=0)
    need = max(2, -(-widest // 2))
    at = next((i for i, row in enumerate(ahead) if _filled(row) >= need), 0)
    cells = ahead[at] if ahead else []
    header = Header(_checked_header(cells, limits, at + 1), at + 1, ahead[:at])
    return header, chain(ahead[at + 1:], rows)


def _table(rows: Iterator[list[str]], limits: InputLimits,
           unreadable: type[Exception] | tuple[type[Exception], ...],
           close) -> tuple[Header, Iterator[list[str]]]:
    """The header and the checked data rows of a reader's rows; the open file is closed
    (``close``) when the header is refused."""
    try:
        header, rest = _find_header(rows, limits, unreadable)
    except ImportRejected:
        close()
        raise
    return header, _checked_rows(header, rest, limits, unreadable)


def _checked_rows(header: Header, rows: Iterator[list[str]], limits: InputLimits,
                  unreadable: type[Exception] | tuple[type[Exception], ...]
                  ) -> Iterator[list[str]]:
    """The data rows, refused as a whole at the first one beyond the limits; a file
    with none is refused too (a header alone is not a list)."""
    n = header.row
    try:
        for n, row in enumerate(rows, start=header.row + 1):  # noqa: B007 (reported below)
            if n - header.row > limits.rows:
                raise _refuse(n, _("the file has more than %(max)s rows; split it")
                              % {"max": f"{limits.rows:,}"})
            if len(row) > limits.columns:
                row = row[:limits.columns]
            if sum(map(len, row)) <= limits.cell_chars:  # most rows: no cell can be too long
                yield row
                continue
            for i, cell in enumerate(row):
                if len(cell) > limits.cell_chars:
                    raise _refuse(n, _("the cell holds %(n)s characters, more than %(max)s")
                                  % {"n": f"{len(cell):,}", "max": f"{limits.cell_chars:,}"},
                                  header[i] if i < len(header) else _column_letter(i))
            yield row
    except ImportRejected:
        raise
    except unreadable as exc:
        raise _refuse(n + 1, _("the file cannot be read from this row on (%(why)s)")
                      % {"why": _reason_of(exc)}) from None
    if n == header.row:
        raise _refuse(header.row + 1, _("the file has no rows below the column names"))


def _reason_of(exc: Exception) -> str:
    """Why a file could not be read, in the user's language where the cause is known."""
    text = str(exc).strip()
    if isinstance(exc, csv.Error) and "field larger than field limit" in text:
        return _("a cell holds more than %(max)s characters") % {
            "max": f"{csv.field_size_limit():,}"}
    if isinstance(exc, csv.Error) and "NUL" in text:
        return _("the row holds a NUL byte")
    if isinstance(exc, UnicodeDecodeError):
        return _("the text is not in %(encoding)s") % {"encoding": exc.encoding.upper()}
    return text[:120] or type(exc).__name__


_ZIP, _OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_table(path: str | Path) -> tuple[Header, Iterator[list[str]]]:
    """The header (lower-cased, a :class:`Header` that knows its row) and the data rows
    of an .xlsx or old .xls workbook or a CSV file, whichever the file holds (by its
    content, not its name).

    Cells come back as text in NFKC without control characters (``clean_text``):
    Excel dates become ``YYYY-MM-DD``, whole numbers lose their ``.0``. A CSV file is
    UTF-8 (with or without a byte-order mark) or GB18030, which includes GBK (what
    Excel and WPS save as "CSV" on a Chinese Windows). Title rows above the header are
    passed over (:func:`_find_header`). Rows are streamed, so a large file is never
    held in memory (an .xls, at most 65,536 rows, is read whole by xlrd). A file that
    is not a table, or is beyond :class:`InputLimits`, raises :class:`ImportRejected`
    with the row and the reason: at once for what the start of the file shows, else
    when its rows reach that point.
    """
    path = Path(path)
    limits = input_limits()
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise _refuse(0, _("the file is %(mb)s MB, more than %(max)s MB")
                      % {"mb": f"{size / 2**20:,.0f}", "max": f"{limits.file_bytes / 2**20:,.0f}"})
    with open(path, "rb") as handle:
        start = handle.read(64 * 1024)
    if start.startswith(_ZIP):
        return _read_xlsx(path, limits)
    if start.startswith(_OLE2):
        return _read_xls(path, limits)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise _refuse(0, _("the file is named %(suffix)s but is not an Excel workbook")
                      % {"suffix": path.suffix.lower()})
    return _read_csv(path, start, limits)


def _text_encoding(start: bytes) -> str:
    """UTF-8 or GB18030, decided by strict decoding of the file's start (both are exact:
    a text in one is almost never valid in the other). No guessing library is needed for
    the two encodings Chinese office software writes (a guesser such as
    charset-normalizer can take a short GBK file for Big5 or Shift-JIS); anything else
    is refused."""
    if b"\x00" in start:
        raise _refuse(0, _("the file holds NUL bytes: it is not a text table; save it from "
                           "Excel as .xlsx or as CSV"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(start, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _refuse(0, _("the file is neither an Excel workbook nor text in UTF-8 or "
                       "GBK/GB18030"))


def _read_csv(path: Path, start: bytes, limits: InputLimits
              ) -> tuple[Header, Iterator[list[str]]]:
    encoding = _text_encoding(start)
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 (closed by the generator)
    reader = csv.reader(handle)

    def csv_rows() -> Iterator[list[str]]:
        strip, is_normalized = str.strip, unicodedata.is_normalized
        with handle:
            for row in reader:
                text = "".join(row)
                if text.isprintable() and is_normalized("NFKC", text):
                    yield list(map(strip, row))  # the usual row: nothing to clean
                    continue
                if "\x00" in text:  # the csv module reads NUL since Python 3.11
                    raise csv.Error("NUL")
                yield list(map(clean_text, row))

    return _table(csv_rows(), limits, (csv.Error, UnicodeDecodeError), handle.close)


def _read_xlsx(path: Path, limits: InputLimits) -> tuple[Header, Iterator[list[str]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(0, _("the file is damaged: it is not a readable Excel workbook")) from None
    unpacked = sum(p.file_size for p in parts)
    if unpacked > limits.unpacked_bytes:
        raise _refuse(0, _("the workbook unpacks to %(mb)s MB, more than %(max)s MB")
                      % {"mb": f"{unpacked / 2**20:,.0f}",
                         "max": f"{limits.unpacked_bytes / 2**20:,.0f}"})
    strings = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    if strings > limits.shared_strings_bytes:
        raise _refuse(0, _("the workbook's text table unpacks to %(mb)s MB, more than %(max)s MB")
                      % {"mb": f"{strings / 2**20:,.0f}",
                         "max": f"{limits.shared_strings_bytes / 2**20:,.0f}"})
    try:
        # openpyxl parses through defusedxml (installed with renkou): no entity expansion
        book = load_workbook(path, read_only=True, data_only=True)
        values = book.active.iter_rows(values_only=True)
    except Exception as exc:  # noqa: BLE001 (any failure to parse a foreign file is its fault)
        raise _refuse(0, _("the file cannot be read as an Excel workbook (%(why)s)")
                      % {"why": _reason_of(exc)}) from None

    def xlsx_rows() -> Iterator[list[str]]:
        try:
            for row in values:
                yield [_cell_text(c) for c in row]
        finally:
            book.close()

    return _table(xlsx_rows(), limits, Exception, book.close)


def _read_xls(path: Path, limits: InputLimits) -> tuple[Header, Iterator[list[str]]]:
    """An Excel 97-2003 workbook, read by xlrd (2.x reads only this format, and is kept
    for it); its first sheet, dates as dates."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception:  # noqa: BLE001 (any failure to parse a foreign file is its fault)
        # xlrd's reasons speak of OLE2 sectors; the clerk needs to know what to do
        raise _refuse(0, _("the file is damaged: it is not a readable Excel 97-2003 (.xls) "
                           "workbook; open it and save it again, or as .xlsx")) from None
    if sheet.nrows - 1 > limits.rows:
        raise _refuse(limits.rows + 2, _("the file has more than %(max)s rows; split it")
                      % {"max": f"{limits.rows:,}"})

    def cell_value(cell) -> Any:
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate_as_datetime(cell.value, book.datemode)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return cell.value
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        return cell.value

    def xls_rows() -> Iterator[list[str]]:
        try:
            for i in range(sheet.nrows):
                yield [_cell_text(cell_value(c)) for c in sheet.row(i)]
        finally:
            book.release_resources()

    return _table(xls_rows(), limits, Exception, book.release_resources)


def inert_row(row: Iterable[Any]) -> list[Any]:
    """A row for a CSV file, its text cells unable to run as formulas in Excel or WPS
    (``neutralise_formula``). Every CSV renkou writes goes through this."""
    return [neutralise_formula(v) if isinstance(v, str) else v for v in row]


class InertCsvWriter:
    """``csv.writer`` whose rows go through :func:`inert_row`."""

    def __init__(self, handle: Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(inert_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def inert_cells(sheet: Any, row: Iterable[Any]) -> list[Any]:
    """A row for an openpyxl write-only sheet: text starting with "=" (which openpyxl
    takes for a formula; nothing else is one in a workbook) is stored as text."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in row:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append("" if value is None else value)
    return out


def save_workbook(book, out: Any) -> None:
    """Save an openpyxl workbook with no formulas in it: a name or an address such as
    ``=HYPERLINK(…)`` stays text (renkou writes values only, never formulas)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    book.save(out)


class TableWriter:
    """Write rows to .csv (UTF-8 with a byte-order mark, so Excel shows Chinese) or
    .xlsx (openpyxl write-only mode, constant memory), chosen by the file suffix.
    Text that a spreadsheet would run as a formula is written inert."""

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
            self._csv = InertCsvWriter(self._handle)
            self._csv.writerow(header)

    def writerow(self, row: Sequence[Any]) -> None:
        if self.xlsx:
            self._sheet.append(inert_cells(self._sheet, row))
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


