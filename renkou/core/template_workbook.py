"""Templates to fill in (导入模板): the workbook an import offers for download.

Chinese headers, the required ones coloured; drop-down lists (Excel data validation,
kept by WPS too) for coded columns, fed from a hidden sheet of the accepted values;
code and ID-number columns formatted as text, so Excel does not turn an 18-digit
number into 3.40621E+17; an example row; any reference sheets (the user's units and
their codes); and a sheet of instructions. Written with openpyxl.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from .tables import save_workbook

__all__ = ["TemplateColumn", "write_template", "TEMPLATE_ROWS"]

TEMPLATE_ROWS = 1000  # how far down the drop-down lists and text formats reach


@dataclass(frozen=True)
class TemplateColumn:
    header: str  # as the clerk reads it: 姓名
    required: bool = False
    text: bool = False  # codes and ID numbers: kept as typed
    choices: Sequence[str] = ()  # a drop-down list of these
    example: str = ""


def write_template(out: IO[bytes] | Any, *, sheet_title: str, columns: Sequence[TemplateColumn],
                   notes: Sequence[str], references: dict[str, list[list[Any]]] | None = None
                   ) -> None:
    """The template: one data sheet with ``columns`` and an example row, the reference
    sheets (title → rows, the first being its header) and the instructions."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append([c.header for c in columns])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FDE9D9")
    for i, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font = bold
        if column.required:
            cell.fill = fill
        sheet.column_dimensions[cell.column_letter].width = 20 if column.text else 12
        if column.text:
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=i).number_format = "@"
        if column.example:
            sheet.cell(row=2, column=i, value=column.example)
    sheet.freeze_panes = "A2"

    listed = [(i, c) for i, c in enumerate(columns, start=1) if c.choices]
    if listed:
        values = book.create_sheet("代码表")
        for col, (target_index, column) in enumerate(listed, start=1):
            values.cell(row=1, column=col, value=column.header).font = bold
            for row, item in enumerate(column.choices, start=2):
                values.cell(row=row, column=col, value=item)
            letter = values.cell(row=1, column=col).column_letter
            rule = DataValidation(
                type="list", formula1=f"=代码表!${letter}$2:${letter}${len(column.choices) + 1}",
                allow_blank=not column.required, showErrorMessage=True,
                errorTitle="请从列表中选择", error="请从下拉列表中选择一项")
            target = sheet.cell(row=1, column=target_index).column_letter
            rule.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
            sheet.add_data_validation(rule)
        values.sheet_state = "hidden"

    for title, lines in (references or {}).items():
        reference = book.create_sheet(title)
        for line in lines:
            reference.append(line)
        for cell in reference[1]:
            cell.font = bold
            reference.column_dimensions[cell.column_letter].width = 20

    sheet_notes = book.create_sheet("填写说明")
    for note in notes:
        sheet_notes.append([note])
    sheet_notes.column_dimensions["A"].width = 100
    save_workbook(book, out)
