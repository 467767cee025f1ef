"""Printed benefit forms: the payment roster (发放花名册) as a PDF, and the public notice
(公示) laid out for the notice board, as a page and as a PDF.

Both list persons (names, masked ID numbers, masked bank accounts), so each PDF is
logged as an export. The roster's title block comes from
:func:`renkou.benefits.rosters.roster_title_block`, as on its page and in its workbook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core import audit, pdf
from renkou.core.models import AuditAction
from renkou.register.identity import mask_id_number

from .models import Notice, Roster
from .programmes import programme
from .rosters import ROSTER_SIGNATURES, roster_rows, roster_title_block, roster_total

__all__ = ["write_roster_pdf", "NoticeSheet", "notice_sheet", "write_notice_pdf"]


# --------------------------------------------------------------------------- 花名册

#: (column of :data:`~renkou.benefits.rosters.ROSTER_COLUMNS`, header, width weight): the
#: columns of the roster page
_ROSTER_PRINTED = ((0, gettext_lazy("person ID"), 0.9), (1, gettext_lazy("Name"), 1.1),
                   (2, gettext_lazy("ID number"), 2.0), (4, gettext_lazy("org unit"), 1.3),
                   (5, gettext_lazy("account holder"), 1.1), (7, gettext_lazy("bank account number"), 2.0),
                   (9, gettext_lazy("months"), 1.8), (10, gettext_lazy("months in arrears"), 0.9),
                   (11, gettext_lazy("amount"), 1.1))


def write_roster_pdf(roster: Roster, out: IO[bytes] | str | Path, *, user) -> int:
    """The roster on A4 landscape: the title block (title, unit, period, payment date),
    the lines with masked ID numbers and accounts, the total and the signature lines
    (经办人、审核人、负责人); logged. Returns the number of lines."""
    head = roster_title_block(roster)
    rows = roster_rows(roster)
    amount_at = len(_ROSTER_PRINTED) - 1

    def body(st: pdf.Styles, width: float) -> list[Any]:
        lines = [[f"{r[i]:.2f}" if i == 11 else r[i] for i, _m, _w in _ROSTER_PRINTED]
                 for r in rows]
        total = [""] * len(_ROSTER_PRINTED)
        total[0], total[amount_at] = _("total"), f"{roster_total(rows):.2f}"
        return [pdf.grid(st, [str(h) for _i, h, _w in _ROSTER_PRINTED], lines, width=width,
                         weights=[w for _i, _m, w in _ROSTER_PRINTED],
                         numeric=(7, amount_at), total=total)]

    pdf.write_form(out, title=head.title, lines=[" · ".join(head.lines)], body=body,
                   signatures=[str(s) for s in ROSTER_SIGNATURES],
                   unit=f"{roster.org.name}（{roster.org.code}）", printed=pdf.printed_by(user),
                   landscape=True)
    audit.record(AuditAction.EXPORT, "benefit_roster", roster.pk,
                 details={"format": "pdf", "rows": len(rows)})
    return len(rows)


# --------------------------------------------------------------------------- 公示


@dataclass(frozen=True)
class NoticeRow:
    number: int
    name: str
    id_number: str  # masked
    org: str


@dataclass(frozen=True)
class NoticeSheet:
    """A public notice as posted on the notice board: what it is, whom it lists (names
    and masked ID numbers only), when it runs, and how and where to object."""

    notice: Notice
    title: str
    office: str
    intro: str
    rows: list[NoticeRow]
    period: str
    how_to_object: list[str]
    issued_on: dt.date

    @property
    def issued_display(self) -> str:
        return formats.date_format(self.issued_on, "DATE_FORMAT")


def notice_sheet(notice: Notice) -> NoticeSheet:
    prog = programme(notice.programme)
    apps = list(notice.applications.select_related("person", "org").order_by("org__code", "id"))
    office = notice.org.name
    start, end = (formats.date_format(d, "DATE_FORMAT") for d in (notice.starts_on, notice.ends_on))
    days = (notice.ends_on - notice.starts_on).days + 1
    return NoticeSheet(
        notice=notice,
        title=f"{prog.label}{_('Public notice')}",
        office=office,
        intro=_("The following %(n)s applicants for %(programme)s have passed the village "
                "and township reviews. As the programme's rules require, they are made public "
                "before the county approves them.") % {"n": len(apps), "programme": prog.label},
        rows=[NoticeRow(n, a.person.name, mask_id_number(a.person.id_number), a.org.name)
              for n, a in enumerate(apps, start=1)],
        period=_("Posted from %(start)s to %(end)s (%(days)s days).")
        % {"start": start, "end": end, "days": days},
        how_to_object=[
            _("%(org)s: from %(start)s to %(end)s. Objections may be raised with the office "
              "during this period.") % {"org": office, "start": start, "end": end},
            _("Anyone who finds that a person listed does not meet the conditions may object, "
              "in person, by telephone or in writing, giving the facts. Each objection is "
              "recorded, checked and answered; the name of the person who objects is kept "
              "confidential."),
        ],
        issued_on=notice.starts_on,
    )


def _fill_in(label: str) -> str:
    return f"{label}：" + "_" * 24


def write_notice_pdf(sheet: NoticeSheet, out: IO[bytes] | str | Path, *, user) -> int:
    """The notice for the notice board on A4: title, office, the list, the posting
    dates, how and where to object, the office's name and date; logged. Returns the
    number of persons listed."""
    def body(st: pdf.Styles, width: float) -> list[Any]:
        from reportlab.lib.enums import TA_RIGHT
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.platypus import KeepTogether, Spacer

        text = ParagraphStyle("notice-text", parent=st.text, fontSize=12, leading=20,
                              firstLineIndent=24)
        plain = ParagraphStyle("notice-plain", parent=text, firstLineIndent=0)
        right = ParagraphStyle("notice-right", parent=plain, alignment=TA_RIGHT)
        rows = [[r.number, r.name, r.id_number, r.org] for r in sheet.rows]
        return [
            pdf.paragraph(sheet.intro, text),
            Spacer(1, 6),
            pdf.grid(st, [_("No."), _("Name"), _("ID number"), _("org unit")], rows,
                     width=width, weights=(0.6, 1.4, 2.4, 2.0)),
            Spacer(1, 10),
            pdf.paragraph(sheet.period, text),
            *[pdf.paragraph(line, text) for line in sheet.how_to_object],
            pdf.paragraph(_fill_in(_("Office address")), plain),
            pdf.paragraph(_fill_in(_("Telephone")), plain),
            KeepTogether([Spacer(1, 24), pdf.paragraph(sheet.office, right),
                          pdf.paragraph(_("(seal)"), right),
                          pdf.paragraph(sheet.issued_display, right)]),
        ]

    pdf.write_form(out, title=sheet.title, lines=[f"{_('Unit')}：{sheet.office}"], body=body,
                   unit=sheet.office, printed=pdf.printed_by(user))
    audit.record(AuditAction.EXPORT, "benefit_notice", sheet.notice.pk,
                 details={"format": "pdf", "rows": len(sheet.rows),
                          "programme": sheet.notice.programme})
    return len(sheet.rows)
