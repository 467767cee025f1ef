"""``renkou serve``: serve the site from the configured database with waitress, and
run the background worker beside it."""

from __future__ import annotations

import os
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Serve renkou on 127.0.0.1 (waitress, static files from the package)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start the background worker (run `renkou worker` "
                                 "elsewhere)")

    def handle(self, *args, port: int, host: str, threads: int, no_worker: bool, **options):
        serve(host=host, port=port, threads=threads, stdout=self.stdout, worker=not no_worker)


def start_worker() -> subprocess.Popen:
    """The background worker (``renkou worker``) as a child process of the server."""
    from .worker import PARENT_VARIABLE

    return subprocess.Popen([sys.executable, "-m", "renkou", "worker", "--verbosity", "0"],
                            env={**os.environ, PARENT_VARIABLE: str(os.getpid())})


def stop_worker(worker: subprocess.Popen) -> None:
    """Ask the worker to stop (it finishes the job it runs: a job is one transaction,
    so stopping it harder would lose nothing either), then make sure it did."""
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


def serve(*, host: str, port: int, threads: int = 8, stdout=None, worker: bool = True) -> None:
    from django.conf import settings

    from renkou.core.checks import uses_development_key
    from renkou.wsgi import application

    if settings.SESSION_COOKIE_SECURE and uses_development_key():  # RENKOU_HTTPS=1
        raise CommandError(_("RENKOU_HTTPS=1 with the built-in development secret key: set "
                             "RENKOU_SECRET_KEY to a long random value first"), returncode=1)

    jobs = start_worker() if worker else None
    try:
        _serve(application, host, port, threads, stdout)
    finally:
        if jobs is not None:
            stop_worker(jobs)


def _serve(application, host: str, port: int, threads: int, stdout) -> None:
    from waitress import serve as waitress_serve

    if stdout is not None:
        stdout.write(_("serving on http://%(host)s:%(port)s/ (Ctrl+C stops)")
                     % {"host": host, "port": port})
        stdout.flush()
    try:
        from renkou.core.tables import input_limits

        # a request body larger than the largest file an import takes is cut off unread
        waitress_serve(application, host=host, port=port, threads=threads, ident="renkou",
                       max_request_body_size=input_limits().file_bytes + 2**20)
    except OSError as exc:
        raise CommandError(_("cannot serve on %(host)s:%(port)s (%(reason)s); "
                             "choose another port with --port")
                           % {"host": host, "port": port, "reason": exc.strerror}) from None
