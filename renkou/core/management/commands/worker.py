"""``renkou worker``: run the background jobs as they come (:mod:`renkou.core.jobs`).

``renkou serve`` starts one beside the web server; a deployment serving with another
WSGI server runs this command beside it. ``--batch`` runs what is queued and stops.
Starting, it marks the jobs a stopped worker left running as interrupted.
"""

from __future__ import annotations

import os
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

#: set by ``renkou serve``: the worker ends when that process does (also when killed)
PARENT_VARIABLE = "RENKOU_WORKER_PARENT"


def _end_with_parent(parent: int) -> None:
    """End this process once ``parent`` is gone. A job running then is cut off; it is
    one transaction, which the database rolls back, and its page says it stopped."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


class Command(BaseCommand):
    help = ("Run queued background jobs (refreshes, detection, checks, screening, rosters, "
            "reports, large imports) as they come; --batch: run and stop.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true",
                            help="run the jobs queued now, then stop")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between looks at the queue")

    def handle(self, *args, batch: bool, interval: float, **options):
        parent = os.environ.get(PARENT_VARIABLE)
        if parent:
            threading.Thread(target=_end_with_parent, args=(int(parent),), daemon=True).start()
        from renkou.core.jobs import mark_interrupted

        if n := mark_interrupted():
            self.stderr.write(f"{n} interrupted job(s) marked")
        call_command("db_worker", batch=batch, interval=interval, startup_delay=False,
                     queue_name="*", reload=False, verbosity=options.get("verbosity", 1))
