"""Today's date and the current time: the one place domain code reads the clock.

Every rule that depends on "today" — an event may not be dated in the future,
the synthetic county's ten years end today, the current statistical period is
incomplete, a notice has run its seven days — asks :func:`today` or :func:`now`
here instead of calling ``date.today()`` or ``timezone.now()`` itself (ruff's
banned-API rule TID251 refuses those calls outside this module).

Tests move this clock with time-machine (the ``clock`` fixture of
``renkou/testing``; ``pytest --clock DATE`` runs the date-sensitive tests on
another day), which also moves Django's own timestamps (``auto_now``,
sessions), so the whole process agrees on what day it is. The database's and
DuckDB's own ``current_date`` are not moved: SQL that needs today takes it as
a parameter from here.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

__all__ = ["now", "today"]


def now() -> dt.datetime:
    """The current time, aware, in UTC (Django's ``timezone.now``)."""
    return timezone.now()  # noqa: TID251 — the one home of the clock


def today() -> dt.date:
    """Today's date in the office's time zone (``TIME_ZONE``, Asia/Shanghai by default)."""
    return timezone.localdate()  # noqa: TID251 — the one home of the clock
