"""``renkou bench screening``: how long a county's screening takes once (the background
job's work) and how long each page turn takes after it (the stored list), on the
database in use — the demo county after ``renkou demo``."""

from __future__ import annotations

import statistics
import time
from typing import Any

from django.core.management.base import CommandError
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse
from django.utils.translation import gettext as _

from renkou.accounts.models import User

from .programmes import programmes
from .screening import store_screening

__all__ = ["bench_screening"]


def bench_screening(*, username: str, year: int, pages: int, stdout: Any) -> None:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("there is no user named %(name)s") % {"name": username})
    setup_test_environment()  # the test client's host; pages are served in this process
    client = Client()
    client.force_login(user)
    url = reverse("benefits:screen")
    for code in programmes():
        started = time.perf_counter()
        run = store_screening(user, code, year)
        once = time.perf_counter() - started
        last = max(1, -(-run.total // 20))
        turns = []
        for number in [1, 2, 3, *range(4, 4 + pages), last]:
            started = time.perf_counter()
            answer = client.get(url, {"programme": code, "year": year, "page": number})
            turns.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise CommandError(f"{code} page {number}: HTTP {answer.status_code}")
        stdout.write(_("%(code)s %(year)s: %(n)s eligible; screened and stored once in "
                       "%(once).2f s; %(turns)s page turns: median %(median).0f ms, "
                       "slowest %(max).0f ms") % {
            "code": code, "year": year, "n": f"{run.total:,}", "once": once,
            "turns": len(turns), "median": 1000 * statistics.median(turns),
            "max": 1000 * max(turns)})
