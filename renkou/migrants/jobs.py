"""The migrant application's background jobs: sending the exchange batches over HTTP
(:func:`renkou.migrants.transport.send_all`) from a page's button.

The job waits on the counterpart offices' servers, so it is not one transaction: each
batch is made, delivered and its receipts applied in transactions of their own, and a
batch not delivered is kept and sent again unchanged by the next run.
"""

from __future__ import annotations

from pathlib import Path

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core.jobs import JobKind, Outcome
from renkou.core.models import Job, JobStatus
from renkou.core.progress import step

from .permissions import EXCHANGE_MIGRANTS

__all__ = ["JOBS", "SEND_BATCHES"]

#: the job kind of "send the exchange batches" (start it with ``start_job(SEND_BATCHES, user)``)
SEND_BATCHES = "migrant_exchange_send"


def _send(job: Job, folder: Path) -> Outcome:
    from .transport import send_all

    step(_("sending the batches"))
    report = send_all(job.user, attempts=int(job.options.get("attempts", 3)),
                      backoff=float(job.options.get("backoff", 2.0)))
    delivered = sum(r.delivered for r in report.results)
    message = _("%(delivered)s batches delivered, %(failed)s not delivered.") % {
        "delivered": delivered, "failed": len(report.failed)}
    for line in report.summary.splitlines():
        step(line)
    status = JobStatus.FAILED if report.failed and not delivered else JobStatus.DONE
    return Outcome(message + " " + report.summary.replace("\n", " "), url=_result_url(),
                   status=status)


def _result_url() -> str:
    for name in ("migrants:exchange", "migrants:outbox", "migrants:index"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


JOBS = (
    JobKind(SEND_BATCHES, gettext_lazy("Send the exchange batches"), EXCHANGE_MIGRANTS, _send,
            once="all", atomic=False),
)
