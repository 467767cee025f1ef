"""Demo set-up of data quality: run the rules over the demo county and compute the scorecard.

Idempotent (a second run replaces the open findings and keeps decisions) and fast: on the
200,000-person demo county generated with ``--defects 0.01`` the check and the scorecard
take about 12 s together (see the report of ``renkou quality check``).
"""

from __future__ import annotations

import time

from django.utils.translation import gettext as _

from .scorecard import compute_scorecard
from .services import run_checks


def prepare_demo(stdout) -> None:
    started = time.perf_counter()
    report = run_checks()
    compute_scorecard()
    _say(stdout, _("data quality: %(n)s open findings of %(rules)s rules, scorecard computed "
                   "(%(s).1f s)") % {"n": f"{sum(report.open.values()):,}",
                                     "rules": len(report.rules),
                                     "s": time.perf_counter() - started})


def _say(stdout, message: str) -> None:
    """One line of the demo's report, on a plain stream or a command's stdout alike."""
    stdout.write(message if message.endswith("\n") else message + "\n")
