"""``renkou migrants rates …``: the exchange rates from the command line.

``renkou migrants rates --period P [--to CODE] [--format json|csv|xlsx] [--out FILE]
[--user U]`` prints (or writes) the rates of the period (通报率, 反馈率, 及时反馈率, overdue
requests, median days to answer, 建档率; :mod:`renkou.migrants.rates`) per counterpart
office and in total: of the whole deployment, or of what ``--user`` may see; ``--to``
keeps one counterpart office.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from renkou.core.management.options import add_user_argument

ACTIONS = ("rates",)


def add_parsers(sub: Any) -> None:
    """Add the subcommand ``rates`` to ``renkou migrants``."""
    p = sub.add_parser("rates", help="the exchange rates of a period, per counterpart office "
                                     "and in total")
    p.add_argument("--period", required=True, metavar="P",
                   help="2026H1, 2026Q3, 2026, 2026-05 or SY2026")
    p.add_argument("--to", metavar="CODE", help="only this counterpart office (division code)")
    p.add_argument("--format", default="csv", choices=["json", "csv", "xlsx"])
    p.add_argument("--out", metavar="FILE", help="write to this file (xlsx: required)")
    add_user_argument(p, "the rates of what this user may see (default: the whole office)")


def handle(command: Any, action: str, options: dict[str, Any]) -> None:
    """Run ``rates`` (``command`` is the management command: its stdout)."""
    from renkou.analytics.periods import PeriodError
    from renkou.core.tables import InertCsvWriter, TableWriter
    from renkou.migrants.rates import exchange_rates, flat_header, flat_rows, report_json

    fmt, out = options["format"], options.get("out")
    if fmt == "xlsx" and not out:
        raise CommandError(_("--out is required for an Excel file"))
    try:
        report = exchange_rates(options["period"], options.get("user"),
                                counterparty=options.get("to"))
    except PeriodError as bad:
        raise CommandError(str(bad), returncode=1) from None
    if fmt == "json":
        text = json.dumps(report_json(report), ensure_ascii=False, indent=1)
    elif fmt == "csv" and not out:
        buffer = io.StringIO()
        writer = InertCsvWriter(buffer, lineterminator="\n")
        writer.writerow(flat_header())
        writer.writerows(flat_rows(report))
        text = buffer.getvalue().rstrip("\n")
    else:
        assert out is not None  # an Excel file requires --out (checked above); csv without it is done
        path = Path(out)
        path = path if path.suffix.lower() == "." + fmt else path.with_suffix("." + fmt)
        with TableWriter(path, flat_header(), sheet_title=_("exchange rates")) as table:
            table.writerows(flat_rows(report))
        command.stdout.write(_("written to %(file)s") % {"file": path})
        return
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
        command.stdout.write(_("written to %(file)s") % {"file": out})
    else:
        command.stdout.write(text)

