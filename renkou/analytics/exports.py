"""Statistical tables as files: Excel, PDF (with an embedded Chinese font) and DHIS2
``dataValueSets`` JSON.

Every file is built from :func:`renkou.analytics.reports.org_report` (or, for DHIS2,
straight from ``indicator_values``), so files and pages always agree. Every export is
written to the access log with its org unit, period, format and row count; the files
hold aggregates only, never person data.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core import clock
from renkou.core.audit import AuditAction, current_actor, record
from renkou.core.pdf import printed_by, write_form
from renkou.core.tables import save_workbook

from . import dhis2, reports, store
from .figures import Cell
from .labels import place_label, service_label
from .tables import OrgReport

__all__ = ["FORMATS", "STATISTICS_SIGNATURES", "export_statistics", "write_pdf", "write_xlsx"]

FORMATS = ("xlsx", "pdf", "dhis2")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "dhis2": "application/json",
}
EXTENSIONS = {"xlsx": "xlsx", "pdf": "pdf", "dhis2": "json"}
#: The signature lines of a printed statistical table (统计报表): 单位负责人, 统计负责人,
#: 填表人, 报出日期.
STATISTICS_SIGNATURES = (gettext_lazy("Head of the unit"), gettext_lazy("Head of statistics"),
                         gettext_lazy("Filled in by"), gettext_lazy("Date reported"))

# --------------------------------------------------------------------------- Excel

_DISAGGREGATION_HEADERS = ("sex", "age_group", "birth_order", "urban_rural")


def _cell_value(cell: Cell) -> float | str:
    return "—" if cell.value is None else round(float(cell.value), max(cell.decimals, 0) + 2)


def write_xlsx(report: OrgReport, out: BinaryIO | str | Path,
               rows: list[dict[str, Any]] | None = None) -> int:
    """One sheet per table (Chinese headers, numbers as numbers, "—" where missing,
    small numbers greyed with their interval as a comment) and a sheet of every
    indicator row with its numerator and denominator. Returns the number of table rows."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    book.remove(book.active)
    bold, grey = Font(bold=True), Font(color="808080", italic=True)
    fill = PatternFill("solid", fgColor="EEF2F7")
    count = 0
    for table in report.tables:
        sheet = book.create_sheet(_sheet_title(table.title))
        sheet.append([f"{report.org_name}（{report.org_code}） {table.title}"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([" ".join(p for p in (
            _("This period: %(period)s; previous period: %(previous)s")
            % {"period": report.period_display, "previous": report.previous_display},
            report.provenance) if p)])
        sheet.append(table.columns)
        for c in sheet[3]:
            c.font, c.fill = bold, fill
        for row in table.rows:
            sheet.append([row.label, *(_cell_value(c) for c in row.cells)])
            count += 1
            excel_row = sheet.max_row
            for i, cell in enumerate(row.cells, start=2):
                target = sheet.cell(row=excel_row, column=i)
                target.alignment = Alignment(horizontal="right")
                if cell.value is not None:
                    target.number_format = "0" if cell.decimals == 0 else "0." + "0" * cell.decimals
                    if cell.change and cell.unit_text:
                        target.comment = Comment(cell.unit_text, "renkou")
                if cell.small:
                    target.font = grey
                    target.comment = Comment(cell.small_note, "renkou")
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        sheet.column_dimensions["A"].width = 34
        for letter in "BCDEFGHIJ":
            sheet.column_dimensions[letter].width = 14

    if rows is not None:
        sheet = book.create_sheet(_sheet_title(_("Numerators and denominators")))
        sheet.append([_("Period"), _("Indicator code"), _("Indicator"), _("Sex"), _("Age group"),
                      _("Birth order"), _("Urban/rural"), _("Value"), _("Numerator"),
                      _("Denominator"), _("95% CI, lower"), _("95% CI, upper"),
                      _("Flag"), _("Origin (hukou place)"), _("Destination (residence)"),
                      _("Service")])
        for c in sheet[1]:
            c.font, c.fill = bold, fill
        for r in rows:
            sheet.append([r["period"], r["indicator"], reports.indicator_info(r["indicator"]).name,
                          *(r[d] for d in _DISAGGREGATION_HEADERS),
                          *("—" if r[k] is None else r[k]
                            for k in ("value", "numerator", "denominator", "ci_low", "ci_high")),
                          r["flag"], _place(r, "origin"), _place(r, "destination"),
                          service_label(r.get("service") or "")])
        sheet.column_dimensions["C"].width = 28
    save_workbook(book, out)
    return count


def _place(row: dict[str, Any], which: str) -> str:
    """The origin or destination of a migrant figure's row ("" for none): its county, else
    its province, with the name."""
    value = row.get(f"{which}_county") or row.get(f"{which}_province") or ""
    return place_label(value) if value else ""


def _sheet_title(title: str) -> str:
    for bad in '[]:*?/\\':
        title = title.replace(bad, " ")
    return title[:31]


# --------------------------------------------------------------------------- PDF

def write_pdf(report: OrgReport, out: BinaryIO | str | Path) -> int:
    """The tables on A4 landscape pages in the form layout of :mod:`renkou.core.pdf`
    (title block, running head with who printed them, page numbers), with the Chinese
    font embedded (subset). Returns the number of table rows."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    count = 0

    def body(st: Any, width: float) -> list[Any]:
        nonlocal count
        font = st.font
        head_style = ParagraphStyle("head", fontName=font, fontSize=11, leading=15,
                                    spaceBefore=8, spaceAfter=4)
        text_style = ParagraphStyle("text", fontName=font, fontSize=8, leading=10)
        cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, alignment=2)
        grey_style = ParagraphStyle("grey", parent=cell_style, textColor=colors.grey)
        head_cell = ParagraphStyle("headcell", parent=cell_style)
        story: list[Any] = [
            Paragraph(escape(_("Previous period: %(previous)s. Missing figures are shown as —; "
                               "greyed figures come from small numbers and are shown with their "
                               "95%% interval.") % {"previous": report.previous_display}),
                      text_style),
        ]
        if report.provenance:
            story.append(Paragraph(escape(report.provenance), text_style))
        for table in report.tables:
            data: list[list[Any]] = [[Paragraph(escape(c), text_style if i == 0 else head_cell)
                                      for i, c in enumerate(table.columns)]]
            for row in table.rows:
                cells: list[Any] = [Paragraph(("&#160;&#160;" * row.level) + escape(row.label),
                                              text_style)]
                for cell in row.cells:
                    text = escape(cell.display) + ("*" if cell.incomplete and not cell.missing
                                                   else "")
                    if cell.change and cell.value is not None and cell.unit_text:
                        text += f' <font size="6">{escape(cell.unit_text)}</font>'
                    if cell.small:
                        text += f'<br/><font size="6">{escape(cell.small_note)}</font>'
                    cells.append(Paragraph(text, grey_style if cell.small else cell_style))
                data.append(cells)
                count += 1
            first = 150 if len(table.columns) <= 5 else 95
            rest = (width - first) / (len(table.columns) - 1)
            pdf_table = PdfTable(data, colWidths=[first] + [rest] * (len(table.columns) - 1),
                                 repeatRows=1)
            pdf_table.setStyle(TableStyle([
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF2F7")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BCCCDC")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]))
            story += [Paragraph(escape(table.title), head_style), pdf_table]
            if table.note:
                story += [Spacer(1, 2), Paragraph(escape(table.note), text_style)]
        story += [Spacer(1, 8), Paragraph(escape(_("Made by renkou on %(date)s.")
                                                 % {"date": clock.today().isoformat()}),
                                          text_style)]
        return story

    write_form(out, title=_("Population statistics: %(org)s (%(code)s), %(period)s")
               % {"org": report.org_name, "code": report.org_code,
                  "period": report.period_display},
               body=body, unit=f"{report.org_name}（{report.org_code}）",
               signatures=[str(label) for label in STATISTICS_SIGNATURES],
               printed=printed_by(current_actor().user), landscape=True,
               subject=_("Population statistics"))
    return count


# --------------------------------------------------------------------------- one entry point

def export_statistics(org_code: str, period: str, fmt: str, out: BinaryIO | str | Path) -> int:
    """Write the tables of ``org_code`` for ``period`` as ``fmt`` (xlsx, pdf, dhis2) to
    ``out`` and log the export (aggregates only). Returns the number of rows written.
    The caller checks that the org unit is in the user's subtree."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    con = store.connect()
    try:
        if fmt == "dhis2":
            document = dhis2.data_value_set(org_code, period, con=con)
            payload = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
            n = len(document["dataValues"])
            if isinstance(out, (str, Path)):
                Path(out).write_bytes(payload)
            else:
                out.write(payload)
        else:
            report = reports.org_report(org_code, period, con=con)
            if fmt == "xlsx":
                n = write_xlsx(report, out, rows=reports.report_rows(org_code, period, con=con))
            else:
                n = write_pdf(report, out)
    finally:
        con.close()
    record(AuditAction.EXPORT, "statistics", org_code,
           details={"what": "statistics", "org": org_code, "period": period, "format": fmt,
                    "rows": n})
    return n


def export_bytes(org_code: str, period: str, fmt: str) -> bytes:
    """:func:`export_statistics` into memory (for a download)."""
    buffer = io.BytesIO()
    export_statistics(org_code, period, fmt, buffer)
    return buffer.getvalue()
