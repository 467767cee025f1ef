"""The person upload page's service (人员信息上传): what a file holds before it is imported.

:func:`preview` reads a kept upload once: the columns it recognised (the header as
written, the column it stands for), its first rows, how many rows it has, and every
problem the import would refuse it for, with the header as written in the file. The
page shows that, offers the marked copy when there are problems, and imports all or
nothing when the clerk confirms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from renkou.core.columns import machine_header
from renkou.core.tables import ImportRejected, RowError, read_table

from .file_columns import PERSON_FILE_COLUMNS, chinese_header
from .importing import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, validate_persons

__all__ = ["Preview", "preview", "PREVIEW_ROWS"]

PREVIEW_ROWS = 10
KNOWN = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)


@dataclass
class Preview:
    #: (header as written, the column it stands for in Chinese, or "" when not used)
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    total_rows: int = 0
    #: (row, header as written, reason, value) of every problem kept
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)
    problem_count: int = 0
    readable: bool = True  # the file could be read as a table (a marked copy is possible)
    errors: list[RowError] = field(default_factory=list)  # the problems as the importer gave them


def preview(path: Path, user) -> Preview:
    """The preview of a person file for ``user`` (its scope decides what may go in)."""
    shown = Preview()
    try:
        header, rows = read_table(path)
        machine = machine_header(header, PERSON_FILE_COLUMNS)
        shown.rows = [r for r in islice(rows, PREVIEW_ROWS)]
    except ImportRejected as rejected:
        shown.readable = False
        return _with_problems(shown, rejected.errors, rejected.total, {})
    written = dict(zip(machine, header, strict=True))
    shown.columns = [(h, chinese_header(m) if m in KNOWN else "")
                     for h, m in zip(header, machine, strict=True)]
    try:
        plan = validate_persons(path, user=user)
    except ImportRejected as rejected:  # the file breaks down further on
        shown.readable = rejected.errors[0].row > 0
        return _with_problems(shown, rejected.errors, rejected.total, written)
    if plan.spellings is not None:
        plan.spellings.cancel()
    shown.total_rows = len(plan.rows)
    return _with_problems(shown, plan.errors, plan.errors.total, written)


def _with_problems(shown: Preview, problems: list[RowError], total: int,
                   written: dict[str, str]) -> Preview:
    shown.errors = list(problems)
    shown.problems = [(p.row, written.get(p.field, chinese_header(p.field)), p.reason, p.value)
                      for p in problems]
    shown.problem_count = total
    return shown
