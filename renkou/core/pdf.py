"""PDF files with Chinese text, and the printed-form layout they share.

The font: ReportLab embeds (as a subset) a TrueType font with Chinese glyphs, found by
:func:`find_cjk_font` (``RENKOU_PDF_FONT`` first, then the usual Debian places); Noto
CJK is OpenType/CFF, which ReportLab cannot embed.

The layout (:func:`write_form`), as a paper form of an office reads: A4, a title block
(the title, then the unit, the period and whatever else names the form), a running head
on every page with the unit and who printed it when (as the browser's print head in
``base.html``), "第 n 页 共 m 页" at the foot, and the signature lines the paper form
has. The callers (``register/printing.py``, ``benefits/printing.py``,
``quality/printing.py``, ``analytics/exports.py``) bring the body and log the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clock

__all__ = ["CJK_FONT_PATHS", "PDF_FONT_NAME", "CJKFontMissing", "find_cjk_font", "register_font",
           "Styles", "styles", "paragraph", "grid", "fields", "signature_lines", "printed_by",
           "page_label", "write_form"]

#: TrueType fonts with Chinese glyphs that ReportLab can embed (Noto CJK is OpenType/CFF,
#: which ReportLab cannot embed). Debian: ``apt-get install fonts-wqy-microhei``.
CJK_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
#: The name the font is registered and embedded under (a subset is named ``<name>+<n>``).
PDF_FONT_NAME = "WenQuanYiMicroHei"


class CJKFontMissing(ImproperlyConfigured):
    """No TrueType font with Chinese glyphs was found for PDF files."""


def find_cjk_font() -> Path:
    """The first CJK TrueType font found (``RENKOU_PDF_FONT`` first, if set)."""
    configured = os.environ.get("RENKOU_PDF_FONT") or getattr(settings, "RENKOU_PDF_FONT", None)
    candidates = ([configured] if configured else []) + list(CJK_FONT_PATHS)
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    raise CJKFontMissing(
        _("No Chinese TrueType font for PDF files (looked for %(paths)s). Install one: "
          "apt-get install fonts-wqy-microhei, or set RENKOU_PDF_FONT to a .ttf/.ttc file.")
        % {"paths": ", ".join(candidates)})


def register_font() -> str:
    """Register the CJK font with ReportLab once; returns its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if PDF_FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = find_cjk_font()
        font = TTFont(PDF_FONT_NAME, str(path), subfontIndex=0) if path.suffix == ".ttc" \
            else TTFont(PDF_FONT_NAME, str(path))
        pdfmetrics.registerFont(font)
    return PDF_FONT_NAME


# --------------------------------------------------------------------------- the form layout


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of a form, all in the CJK font."""

    font: str
    title: Any
    lines: Any
    heading: Any
    text: Any
    cell: Any
    number: Any
    header: Any
    small: Any


def styles() -> Styles:
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    font = register_font()
    text = ParagraphStyle("form-text", fontName=font, fontSize=10, leading=14)
    cell = ParagraphStyle("form-cell", fontName=font, fontSize=9, leading=11.5)
    return Styles(
        font=font,
        title=ParagraphStyle("form-title", fontName=font, fontSize=17, leading=23,
                             alignment=TA_CENTER, spaceAfter=4),
        lines=ParagraphStyle("form-lines", parent=text, alignment=TA_CENTER, spaceAfter=2),
        heading=ParagraphStyle("form-heading", fontName=font, fontSize=12, leading=16,
                               spaceBefore=8, spaceAfter=4),
        text=text,
        cell=cell,
        number=ParagraphStyle("form-number", parent=cell, alignment=TA_RIGHT),
        header=ParagraphStyle("form-header", parent=cell),
        small=ParagraphStyle("form-small", fontName=font, fontSize=8, leading=10),
    )


def paragraph(text: Any, style: Any) -> Any:
    """A paragraph of plain text (escaped; line breaks kept)."""
    from reportlab.platypus import Paragraph

    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), style)


def grid(st: Styles, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, width: float,
         weights: Sequence[float] | None = None, numeric: Sequence[int] = (),
         total: Sequence[Any] | None = None) -> Any:
    """A ruled table whose header row repeats on every page; ``numeric`` columns are
    right-aligned; ``total`` is a last row set off in bold rule (合计)."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    def line(values: Sequence[Any], header: bool = False) -> list[Any]:
        return [paragraph(v, st.header if header else st.number if i in numeric else st.cell)
                for i, v in enumerate(values)]

    data = [line(headers, header=True)] + [line(r) for r in rows]
    if total is not None:
        data.append(line(total))
    weights = list(weights or [1] * len(headers))
    unit = width / sum(weights)
    table = Table(data, colWidths=[w * unit for w in weights], repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF2F7")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if total is not None:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 1.2, colors.black))
    table.setStyle(TableStyle(style))
    return table


def fields(st: Styles, pairs: Sequence[tuple[str, Any]], *, width: float, columns: int = 2) -> Any:
    """Label–value pairs in a ruled grid, ``columns`` pairs a row (the head of a card)."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    rows: list[list[Any]] = []
    for start in range(0, len(pairs), columns):
        row: list[Any] = []
        for label, value in pairs[start:start + columns]:
            row += [paragraph(label, st.header), paragraph(value if value not in (None, "") else "—",
                                                           st.cell)]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    label_w = width * 0.13 * 2 / columns
    value_w = width / columns - label_w
    table = Table(rows, colWidths=[label_w, value_w] * columns)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
        *[("BACKGROUND", (2 * c, 0), (2 * c, -1), colors.HexColor("#EEF2F7"))
          for c in range(columns)],
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def signature_lines(st: Styles, labels: Sequence[str], *, width: float) -> Any:
    """The signature lines at the foot of a form: each label over a rule to sign on."""
    from reportlab.lib import colors
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    cells = [paragraph(f"{label}：", st.text) for label in labels]
    gap = width * 0.04
    each = (width - gap * (len(labels) - 1)) / len(labels)
    widths: list[float] = []
    row: list[Any] = []
    for i, cell in enumerate(cells):
        if i:
            row.append("")
            widths.append(gap)
        row.append(cell)
        widths.append(each)
    table = Table([row], colWidths=widths, rowHeights=[26])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        *[("LINEBELOW", (2 * i, 0), (2 * i, 0), 0.8, colors.black) for i in range(len(cells))],
    ]))
    return KeepTogether([Spacer(1, 18), table])


def printed_by(user: Any) -> str:
    """"打印于 2026-06-30 10:00 · clerk": when and by whom, for the running head."""
    at = timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M")
    who = user.get_username() if user is not None and getattr(user, "is_authenticated", False) \
        else ""
    return f"{_('printed')} {at}" + (f" · {who}" if who else "")


def page_label(page: int, pages: int) -> str:
    """The foot of a page: 第 n 页 共 m 页."""
    return _("Page %(page)s of %(pages)s") % {"page": page, "pages": pages}


def _numbered_canvas(decorate: Callable[[Any, int, int], None]) -> Callable[..., Any]:
    """A ReportLab canvas class that knows the page count when it draws each page's head
    and foot (the pages are kept until the document is saved)."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._kept_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 — ReportLab's name
            self._kept_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._kept_pages)
            for state in self._kept_pages:
                self.__dict__.update(state)
                decorate(self, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def write_form(out: IO[bytes] | str | Path, *, title: str,
               body: Callable[[Styles, float], Sequence[Any]], lines: Sequence[str] = (),
               signatures: Sequence[str] = (), unit: str = "", printed: str = "",
               landscape: bool = False, subject: str = "") -> int:
    """Write a form to ``out``: the title block (``title`` over ``lines``), the body
    (the flowables ``body(styles, frame_width)`` makes), the signature lines; on every
    page the running head (``unit`` left, ``printed`` right) and the page number.
    Returns the number of pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as turned
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer

    st = styles()
    size = turned(A4) if landscape else A4
    doc = SimpleDocTemplate(out, pagesize=size, leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm, title=title,
                            author="renkou", subject=subject or title)
    pages = {"n": 0}

    def decorate(canvas: Any, number: int, total: int) -> None:
        width, height = size
        canvas.saveState()
        canvas.setFont(st.font, 8)
        top = height - 11 * mm
        if unit:
            canvas.drawString(14 * mm, top, unit)
        if printed:
            canvas.drawRightString(width - 14 * mm, top, printed)
        canvas.setLineWidth(0.5)
        canvas.line(14 * mm, top - 2, width - 14 * mm, top - 2)
        canvas.setFont(st.font, 9)
        canvas.drawCentredString(width / 2, 9 * mm, page_label(number, total))
        canvas.restoreState()
        pages["n"] = total

    story: list[Any] = [paragraph(title, st.title)]
    story += [paragraph(line, st.lines) for line in lines if line]
    story.append(Spacer(1, 6))
    story += list(body(st, doc.width))
    if signatures:
        story.append(signature_lines(st, signatures, width=doc.width))
    doc.build(story, canvasmaker=_numbered_canvas(decorate))
    return pages["n"]
