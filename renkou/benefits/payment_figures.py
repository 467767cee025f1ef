"""Payment figures of family benefits: recipients, amounts due and paid, payment rate
(兑现率) and timeliness, rolled up the org tree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

from .workflow import user_scope

__all__ = ["FIGURE_COLUMNS", "figures"]

FIGURE_COLUMNS = ["org_code", "org_name", "level", "programme", "period", "recipients",
                  "amount_due", "amount_paid", "payment_rate", "paid_on_time", "timeliness"]


def figures(year: int, *, user=None, org_code: str | None = None, max_level: int = 3
            ) -> list[dict[str, Any]]:
    """Recipients, amount due and paid, payment rate (兑现率 = paid / due) and timeliness
    (share of paid amount paid by the roster's due date) by org unit, programme and
    roster period: one GROUP BY over the org paths, each payment counted in every unit
    above it."""
    scope = user_scope(user, org_code)
    where = ["p.year = %s", "a.level <= %s"]
    params: list[int | str] = [year, max_level]
    if scope is not None:
        where.append("(a.path = %s OR a.path LIKE %s)")
        params += [scope.path, scope.path + "/%"]
    sql = f"""
        SELECT a.code, a.name, a.level, r.programme, r.period,
               COUNT(DISTINCT p.application_id),
               SUM(p.amount),
               SUM(CASE WHEN p.paid THEN p.amount ELSE 0 END),
               SUM(CASE WHEN p.paid AND p.paid_on <= r.due_on THEN p.amount ELSE 0 END)
        FROM benefits_payment p
        JOIN benefits_roster r ON r.id = p.roster_id
        JOIN orgunits_orgunit o ON o.id = p.org_id
        JOIN orgunits_orgunit a ON (o.path = a.path OR o.path LIKE a.path || '/%%')
        WHERE {' AND '.join(where)}
        GROUP BY a.code, a.name, a.level, r.programme, r.period
        ORDER BY a.code, r.programme, r.period
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for code, name, level, prog, period, recipients, due, paid, timely in rows:
        due, paid, timely = (Decimal(str(v or 0)).quantize(Decimal("0.01")) for v in (due, paid, timely))
        out.append({
            "org_code": code, "org_name": name, "level": level, "programme": prog,
            "period": period, "recipients": recipients, "amount_due": due, "amount_paid": paid,
            "payment_rate": round(float(paid / due * 100), 1) if due else None,
            "paid_on_time": timely,
            "timeliness": round(float(timely / paid * 100), 1) if paid else None,
        })
    return out
