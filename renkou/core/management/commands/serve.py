"""``renkou serve``: serve the site from the configured database with waitress."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Serve renkou on 127.0.0.1 (waitress, static files from the package)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, port: int, host: str, threads: int, **options):
        serve(host=host, port=port, threads=threads, stdout=self.stdout)


def serve(*, host: str, port: int, threads: int = 8, stdout=None) -> None:
    from django.conf import settings
    from waitress import serve as waitress_serve

    from renkou.core.checks import uses_development_key
    from renkou.wsgi import application

    if settings.SESSION_COOKIE_SECURE and uses_development_key():  # RENKOU_HTTPS=1
        raise CommandError(_("RENKOU_HTTPS=1 with the built-in development secret key: set "
                             "RENKOU_SECRET_KEY to a long random value first"), returncode=1)

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
