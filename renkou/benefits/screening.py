"""Screening (资格筛查): everyone eligible for a programme and year in a user's area,
as a list on a page or a CSV file; both are logged (a list of persons)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from renkou.core import audit
from renkou.core.models import AuditAction
from renkou.core.tables import InertCsvWriter
from renkou.register.identity import mask_id_number

from .eligibility import Result, evaluate
from .programmes import Programme, programme
from .workflow import user_scope

__all__ = ["SCREENING_COLUMNS", "screen_programme", "screening_rows", "write_screening_csv",
           "log_screening_view"]

SCREENING_COLUMNS = ["person_id", "name", "id_number", "sex", "birth_date", "org_code",
                     "org_name", "facts", "months_due", "months", "amount_due"]


def screen_programme(code: str, year: int, *, user=None, org_code: str | None = None
                     ) -> tuple[Programme, list[Result]]:
    """Everyone eligible for programme ``code`` in ``year`` within the user's scope."""
    prog = programme(code)
    scope = user_scope(user, org_code)
    return prog, [r for r in evaluate(prog, year, scope) if r.eligible]


def _facts_text(r: Result) -> str:
    return "; ".join(f"{k}={v}" for k, v in r.facts.items())


def screening_rows(results: Iterable[Result]) -> Iterable[list[Any]]:
    for r in results:
        yield [r.person_id, r.name, mask_id_number(r.id_number), r.sex, r.birth_date.isoformat(),
               r.org_code, r.org_name, _facts_text(r), len(r.months),
               " ".join(str(m) for m in r.months), f"{r.amount:.2f}"]


def write_screening_csv(prog: Programme, year: int, results: list[Result], out: IO[str], *,
                        org_code: str | None = None) -> int:
    """The screening list as CSV (``person_id`` first, masked ID numbers); logged."""
    writer = InertCsvWriter(out)
    writer.writerow(SCREENING_COLUMNS)
    n = 0
    for row in screening_rows(results):
        writer.writerow(row)
        n += 1
    audit.record(AuditAction.EXPORT, "benefit_screening", prog.code,
                 details={"programme": prog.code, "year": year, "org": org_code or "",
                          "rows": n})
    return n


def log_screening_view(prog: Programme, year: int, org_code: str | None, rows: int) -> None:
    """A screening list shown on a page is a list of persons: logged like an export."""
    audit.record(AuditAction.VIEW, "benefit_screening", prog.code,
                 details={"programme": prog.code, "year": year, "org": org_code or "",
                          "rows": rows})
