"""Deadlines of the exchange (协查时限, 通报时限): calendar days to answer a request, working
days to notify an arrival.

A request is answered within 15 days when urgent and 30 when ordinary (calendar days from
the day it was sent; ``RENKOU_EXCHANGE_DEADLINE_DAYS`` changes them). An arrival is
notified to the hukou place within 3 working days (``RENKOU_ARRIVAL_NOTICE_WORKING_DAYS``):
Monday to Friday except China's public holidays, with the weekend days worked in their
place (调休), from the ``holidays`` package — a kept table of the State Council's yearly
notices, so no office types them in.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays
from django.conf import settings

__all__ = ["answer_deadline", "add_working_days", "is_working_day", "notice_deadline"]

DEFAULT_DEADLINE_DAYS = {"urgent": 15, "ordinary": 30}
DEFAULT_NOTICE_WORKING_DAYS = 3


def answer_deadline(sent_on: dt.date, urgency: str) -> dt.date:
    """The last day to answer a request sent on ``sent_on`` (its 15th or 30th day after)."""
    days = {**DEFAULT_DEADLINE_DAYS, **getattr(settings, "RENKOU_EXCHANGE_DEADLINE_DAYS", {})}
    return sent_on + dt.timedelta(days=days[urgency])


@functools.cache
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=range(year - 1, year + 2))


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a public holiday, or a weekend day worked instead (调休)."""
    return _calendar(day.year).is_working_day(day)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``day`` itself not counted)."""
    count = 0
    while count < n:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return day


def notice_deadline(arrival: dt.date) -> dt.date:
    """The last day to notify the hukou place of an arrival on ``arrival``."""
    n = getattr(settings, "RENKOU_ARRIVAL_NOTICE_WORKING_DAYS", DEFAULT_NOTICE_WORKING_DAYS)
    return add_working_days(arrival, n)
