"""Screening (资格筛查): everyone eligible for a programme and year in a user's area,
as a list on a page or a CSV file; both are logged (a list of persons).

On the pages a screening is computed once and stored (:class:`~renkou.benefits.models.
ScreeningRun`): turning a page reads twenty stored rows instead of evaluating the
programme for the whole area again (seconds for a county). A stored screening stays
current until the ledger grows; a county's is computed by a background job
(:mod:`renkou.benefits.jobs`), a township's or a village's while the page waits."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.models import AuditAction
from renkou.core.progress import step
from renkou.core.tables import InertCsvWriter
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.identity import mask_id_number
from renkou.register.models import LifeEvent

from .eligibility import Result, evaluate
from .models import ScreeningRow, ScreeningRun
from .programmes import Programme, programme
from .workflow import user_scope

__all__ = ["SCREENING_COLUMNS", "screen_programme", "screening_rows", "write_screening_csv",
           "log_screening_view", "current_screening", "store_screening", "stored_rows",
           "screens_in_background"]

#: rows written to the database at a time when a screening is stored
_BATCH = 2000

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


def stored_rows(run: ScreeningRun) -> Iterable[list[Any]]:
    """A stored screening's rows, in the columns of :func:`screening_rows`."""
    for r in run.rows.order_by("position").iterator(chunk_size=_BATCH):
        yield [r.person_id, r.name, r.masked_id_number, r.sex, r.birth_date.isoformat(),
               r.org_code, r.org_name, r.facts, r.months_due, r.months, f"{r.amount:.2f}"]


def write_screening_csv(prog: Programme, year: int, rows: Iterable[list[Any]], out: IO[str], *,
                        org_code: str | None = None) -> int:
    """The screening list (:func:`screening_rows` or :func:`stored_rows`) as CSV
    (``person_id`` first, masked ID numbers); logged."""
    writer = InertCsvWriter(out)
    writer.writerow(SCREENING_COLUMNS)
    n = 0
    for row in rows:
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


def _ledger_position() -> int:
    return LifeEvent.objects.aggregate(last=Max("id"))["last"] or 0


def screens_in_background(user, org_code: str | None = None) -> bool:
    """Whether screening this area is a background job: a county's (or the whole
    register's) takes seconds; a township's or a village's is computed while the
    page waits."""
    scope = user_scope(user, org_code)
    return scope is None or scope.level <= OrgLevel.COUNTY


def current_screening(user, code: str, year: int, org_code: str | None = None
                      ) -> ScreeningRun | None:
    """The user's stored screening of ``code`` and ``year`` over the area, if the ledger
    has not grown since it was computed."""
    scope = user_scope(user, org_code)
    run = (ScreeningRun.objects.filter(user=user, programme=code, year=year, org=scope)
           .order_by("-created_at", "-id").first())
    if run is None or run.ledger_event_id != _ledger_position():
        return None
    return run


def store_screening(user, code: str, year: int, org_code: str | None = None) -> ScreeningRun:
    """Screen the area and store the list (replacing the user's earlier list of the
    same programme, year and area), in one transaction."""
    prog = programme(code)
    scope: OrgUnit | None = user_scope(user, org_code)
    position = _ledger_position()  # read first: a later event makes the list stale
    step(_("screening the register"), 0, 2)
    results = [r for r in evaluate(prog, year, scope) if r.eligible]
    step(_("storing the list"), 1, 2)
    with transaction.atomic():
        ScreeningRun.objects.filter(user=user, programme=code, year=year, org=scope).delete()
        run = ScreeningRun.objects.create(
            user=user, programme=code, year=year, org=scope, ledger_event_id=position,
            total=len(results), amount=sum((r.amount for r in results), Decimal("0.00")))
        rows = (ScreeningRow(run=run, position=n, person_id=r.person_id, name=r.name[:100],
                             masked_id_number=mask_id_number(r.id_number) or "", sex=r.sex,
                             birth_date=r.birth_date, org_code=r.org_code,
                             org_name=r.org_name[:100], facts_text=r.facts_text,
                             facts=_facts_text(r), months=" ".join(map(str, r.months))[:40],
                             months_due=len(r.months), amount=r.amount)
                for n, r in enumerate(results, start=1))
        batch: list[ScreeningRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH:
                ScreeningRow.objects.bulk_create(batch)
                batch = []
        ScreeningRow.objects.bulk_create(batch)
    step(_("the list is stored"), 2, 2)
    return run
