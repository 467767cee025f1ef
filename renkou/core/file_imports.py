"""Imports from a file, in the browser (从文件导入): one flow for every app's import.

An app describes each import it offers as a :class:`FileImport` — what it checks, what
it writes, its columns, its template, the settings asked beside the file — in its
``file_imports`` module, and mounts the pages with :func:`import_urls`. The clerk then:

1. picks a file (.xlsx, .xls or CSV in UTF-8 or GBK) and the settings, or first
   downloads the template;
2. sees the columns recognised, the first rows and every problem, with the row and the
   header as written in her file (:func:`preview`), and can download her own file back
   with the bad cells marked (:mod:`renkou.core.error_workbook`);
3. imports all or nothing: at once, or, for a file of :data:`BACKGROUND_ROWS` rows or
   more, as a background job with a progress bar (:mod:`renkou.core.jobs`), which
   checks the whole file first, as the page does for a small one.

The import functions are the ones the CLI runs: the same checks, scoping and log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django import forms

from .columns import Column, machine_header
from .tables import Header, ImportRejected, RowError, read_table

__all__ = ["FileImport", "Checked", "Imported", "Preview", "preview", "file_import",
           "options_of", "import_urls", "BACKGROUND_ROWS", "PREVIEW_ROWS"]

#: files with at least this many rows are checked and imported by the background worker
BACKGROUND_ROWS = 10_000
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class Checked:
    """What checking a file found, nothing written: its rows and every problem."""

    rows: int
    problems: Sequence[RowError]
    total: int  # problems found (more than listed when the list was capped)
    note: str = ""  # what the clerk should know besides (how a survey's frame is known)


@dataclass(frozen=True)
class Imported:
    """What an import did, for the clerk: one sentence and where to look."""

    message: str
    url: str = ""


@dataclass(frozen=True)
class FileImport:
    """One import an app offers (persons, org units, a survey …).

    ``check(path, user, options)`` finds every problem without writing; ``run(path,
    user, options)`` imports all or nothing (raising :class:`ImportRejected`) and logs
    it. ``options`` are the cleaned data of ``options_form`` (a survey's date, a
    department list's source). ``columns`` name the file's columns in machine form and
    in Chinese, for the preview and the marked copy; an import of a non-table file
    (office rules in YAML) has none and ``tabular`` false.
    """

    kind: str
    title: Any
    capability: str
    url_name: str  # its pages' name in the app's namespace: ``register:import``
    check: Callable[[Path, Any, dict[str, Any]], Checked]
    run: Callable[[Path, Any, dict[str, Any]], Imported]
    columns: tuple[Column, ...] = ()
    explanation: Any = ""
    template: Callable[[str, Any, str], Any] | None = None  # write(path, user, variant)
    template_name: str = ""
    #: templates in several forms (a department list per department): (variant, label)
    template_variants: tuple[tuple[str, Any], ...] = ()
    options_form: type[forms.Form] | None = None
    suffixes: tuple[str, ...] = (".xlsx", ".xls", ".csv")
    tabular: bool = True
    back_url: str = "register:home"

    @property
    def has_template(self) -> bool:  # for templates, which would call ``template``
        return self.template is not None

    def page(self, which: str = "") -> str:
        """The URL name of one of its pages: "", "template", "preview" or "marked"."""
        return f"{self.url_name}_{which}" if which else self.url_name


def file_import(kind: str) -> FileImport | None:
    """The import of that kind, from the apps' ``file_imports`` modules."""
    from . import registry

    return registry.file_imports().get(kind)


def options_of(spec: FileImport, data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned settings of an import from what the clerk sent (kept as sent)."""
    if spec.options_form is None:
        return {}
    form = spec.options_form(data=data)
    if not form.is_valid():  # checked when the file was kept: only a changed form fails
        raise ImportRejected([RowError(0, name, "; ".join(map(str, errors)))
                              for name, errors in form.errors.items()])
    return form.cleaned_data


@dataclass
class Preview:
    """What the preview page shows of a kept file."""

    #: (header as written, the column it stands for in Chinese, or "" when not used)
    columns: list[tuple[str, str]] = field(default_factory=list)
    above: list[list[str]] = field(default_factory=list)  # title rows above the header
    header_row: int = 1
    rows: list[list[str]] = field(default_factory=list)
    total_rows: int = 0
    large: bool = False  # BACKGROUND_ROWS or more: checked by the background job
    #: (row, header as written, reason, value) of every problem kept
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)
    problem_count: int = 0
    readable: bool = True  # the file could be read as a table (a marked copy is possible)
    errors: list[RowError] = field(default_factory=list)  # the problems as the check gave them
    note: str = ""


def header_names(columns: Sequence[Column]) -> dict[str, str]:
    """Machine column → its Chinese header."""
    return {c.name: c.chinese for c in columns}


def preview(spec: FileImport, path: Path, user, options: dict[str, Any]) -> Preview:
    """The preview of a kept file for ``user``: its columns, first rows, size and —
    unless it is large — every problem its import would refuse it for."""
    shown = Preview()
    chinese = header_names(spec.columns)
    written: dict[str, str] = {}
    if spec.tabular:
        try:
            header, rows = read_table(path)
            machine = machine_header(header, spec.columns) if spec.columns else list(header)
            shown.rows = list(islice(rows, PREVIEW_ROWS))
            counted = len(shown.rows) + sum(1 for _row in islice(rows, BACKGROUND_ROWS))
        except ImportRejected as rejected:
            shown.readable = False
            return _with_problems(shown, rejected.errors, rejected.total, {}, chinese)
        assert isinstance(header, Header)
        shown.above, shown.header_row = header.above, header.row
        written = dict(zip(machine, header, strict=True))
        shown.columns = [(h, chinese.get(m, "")) for h, m in zip(header, machine, strict=True)]
        if counted >= BACKGROUND_ROWS:
            shown.large, shown.total_rows = True, BACKGROUND_ROWS
            return shown
    try:
        checked = spec.check(path, user, options)
    except ImportRejected as rejected:  # the file breaks down further on
        shown.readable = spec.tabular and rejected.errors[0].row > 0
        return _with_problems(shown, rejected.errors, rejected.total, written, chinese)
    shown.total_rows, shown.note = checked.rows, checked.note
    return _with_problems(shown, list(checked.problems), checked.total, written, chinese)


def problems_as_written(problems: Sequence[RowError], written: dict[str, str],
                        chinese: dict[str, str]) -> list[tuple[int, str, str, str]]:
    return [(p.row, written.get(p.field) or chinese.get(p.field, p.field), p.reason, p.value)
            for p in problems]


def _with_problems(shown: Preview, problems: Sequence[RowError], total: int,
                   written: dict[str, str], chinese: dict[str, str]) -> Preview:
    shown.errors = list(problems)
    shown.problems = problems_as_written(problems, written, chinese)
    shown.problem_count = total
    return shown


def import_urls(spec: FileImport, prefix: str) -> list[Any]:
    """The pages of one import under ``prefix`` (e.g. ``persons/import/``), named after
    ``spec.url_name`` (``import``, ``import_template``, ``import_preview``,
    ``import_marked`` in the app's namespace), each guarded by the import's capability."""
    from django.urls import path

    from . import import_views as views

    name = spec.url_name.split(":")[-1]
    pages = views.pages_of(spec)
    patterns = [path(prefix, pages["upload"], name=name),
                path(f"{prefix}<str:token>/", pages["preview"], name=f"{name}_preview"),
                path(f"{prefix}<str:token>/marked.xlsx", pages["marked"], name=f"{name}_marked")]
    if spec.template is not None:
        patterns.insert(1, path(f"{prefix}template.xlsx", pages["template"],
                                name=f"{name}_template"))
    return patterns
