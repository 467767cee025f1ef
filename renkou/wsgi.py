"""WSGI entry point (waitress serves it in ``renkou serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
application = get_wsgi_application()
