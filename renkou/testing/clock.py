"""The test clock: every test runs on a day the suite chooses, not on the day it is run.

Every test runs with the process clock moved (time-machine, ticking) to the
morning of one day in the office's time zone:

- by default :data:`DEFAULT_DAY`, so the suite gives the same result on any day;
- ``pytest --clock 2028-02-29`` runs it on another day, ``--clock today`` on
  the real one. CI runs the tests marked ``date_sensitive`` — those whose
  outcome depends on what day it is — on each of :data:`CI_DAYS` (the last
  day of a month, 1 January, 1 October when the statistical year turns,
  29 February, 31 December) and on the real day.

A test that needs a particular day asks for the ``clock`` fixture and calls
``clock.move_to(day)``. Code under test reads the day from
:mod:`renkou.core.clock`; the moved clock also moves Django's own timestamps.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine

#: The day every test runs on unless ``--clock`` says otherwise: an ordinary Monday,
#: mid-month, mid-quarter, away from every period boundary.
DEFAULT_DAY = dt.date(2026, 11, 16)
#: The days CI runs the date-sensitive tests on, besides the real day (.ci/run reads them here).
CI_DAYS = (dt.date(2027, 4, 30), dt.date(2027, 1, 1), dt.date(2027, 10, 1), dt.date(2028, 2, 29),
           dt.date(2027, 12, 31))
#: The hour of the day the clock stands at when a test starts (office time).
MORNING = dt.time(9, 30)


def _office_zone() -> zoneinfo.ZoneInfo:
    from django.conf import settings

    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock", default=DEFAULT_DAY.isoformat(), metavar="YYYY-MM-DD|today",
        help=f"the day the tests run on (default {DEFAULT_DAY.isoformat()}; 'today' for the real day)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "date_sensitive: the outcome depends on what day it is; CI runs it on several days "
        "(pytest -m date_sensitive --clock YYYY-MM-DD)")


def suite_day(config: pytest.Config) -> dt.date | None:
    """The day ``--clock`` names, or ``None`` for the real day."""
    value = config.getoption("--clock")
    if value == "today":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(f"--clock takes YYYY-MM-DD or 'today', not {value!r}") from None


_suite_travel: time_machine.travel | None = None


def _travel(day: dt.date, at: dt.time = MORNING) -> time_machine.travel:
    """A ticking clock from ``at`` o'clock (office time) on ``day``, started."""
    travel = time_machine.travel(dt.datetime.combine(day, at, tzinfo=_office_zone()), tick=True)
    travel.start()
    return travel


def pytest_sessionstart(session: pytest.Session) -> None:
    """Move the clock for the whole session, so that session- and module-scoped
    fixtures (a generated county, say) are built on the same day as the tests."""
    global _suite_travel
    day = suite_day(session.config)
    if day is not None:
        _suite_travel = _travel(day)


def pytest_sessionfinish(session: pytest.Session) -> None:
    global _suite_travel
    if _suite_travel is not None:
        _suite_travel.stop()
        _suite_travel = None


def pytest_report_header(config: pytest.Config) -> str:
    day = suite_day(config)
    return f"clock: {day.isoformat() if day else 'the real day'} (--clock)"


class TestClock:
    """A test's hold on the clock: ``move_to`` a day for the rest of the test."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        self._travels: list[time_machine.travel] = []

    def move_to(self, day: dt.date, at: dt.time = MORNING) -> None:
        """Move the clock to ``at`` o'clock (office time) on ``day``; it keeps ticking."""
        self._travels.append(_travel(day, at))

    def restore(self) -> None:
        while self._travels:
            self._travels.pop().stop()


@pytest.fixture
def clock() -> Iterator[TestClock]:
    """The clock of one test (see the module docstring); moves made with it end with the test."""
    hold = TestClock()
    yield hold
    hold.restore()
