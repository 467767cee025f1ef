"""Django settings for renkou.

Everything an office changes comes from the environment:

- ``DATABASE_URL``: default ``sqlite:///renkou.sqlite3`` in the working folder;
  ``postgres://user:pass@127.0.0.1:5432/renkou`` for a real deployment.
- ``RENKOU_SECRET_KEY``: required when ``RENKOU_DEBUG`` is off in production.
- ``RENKOU_DEBUG``: ``1`` for development.
- ``RENKOU_ALLOWED_HOSTS``: comma-separated host names.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
WORK_DIR = Path(os.environ.get("RENKOU_HOME", Path.cwd()))

#: The key used when ``RENKOU_SECRET_KEY`` is not set: fine on a clerk's own machine, refused
#: by ``renkou check --deploy`` and by ``renkou serve`` behind HTTPS (renkou.core.checks).
RENKOU_DEVELOPMENT_SECRET_KEY = "renkou-local-development-key-change-me-in-production-0123456789"
SECRET_KEY = os.environ.get("RENKOU_SECRET_KEY", RENKOU_DEVELOPMENT_SECRET_KEY)
DEBUG = os.environ.get("RENKOU_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("RENKOU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    # first: its logged versions of createsuperuser, dumpdata, dbshell, axes_reset… win
    # over the originals of the apps below (renkou.core.management.audited)
    "renkou.core",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma: 50,000 rows
    "axes",  # login throttling; listed before renkou.accounts so its signal handlers run first
    "ninja",  # serves its API docs (Swagger UI) from its own static files, not a CDN
    "django_tasks",  # background jobs (renkou.core.jobs) …
    "django_tasks_db",  # … queued in the database: no broker to run
    "renkou.accounts",
    "renkou.orgunits",
    "renkou.register",
    "renkou.synthetic",
    "renkou.analytics",
    "renkou.quality",
    "renkou.dedupe",
    "renkou.reconciliation",
    "renkou.benefits",
    "renkou.migrants",
    "renkou.services",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "renkou.core.middleware.SessionRenewalMiddleware",
    "renkou.core.middleware.InterfaceLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "renkou.accounts.middleware.PasswordChangeRequiredMiddleware",  # a given password is changed first
    "django.contrib.messages.middleware.MessageMiddleware",
    "renkou.core.middleware.AuditActorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "renkou.core.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a throttled log-in into the lockout page
]

ROOT_URLCONF = "renkou.urls"
WSGI_APPLICATION = "renkou.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "renkou.core.context_processors.menu",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{WORK_DIR / 'renkou.sqlite3'}"
    # Persistent connections help a busy PostgreSQL site; off by default so that test
    # databases and batch jobs never keep a connection open.
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("RENKOU_CONN_MAX_AGE", "0")))
    if config["ENGINE"].endswith("sqlite3"):
        # WAL lets the site read while a batch job writes; IMMEDIATE avoids
        # "database is locked" upgrades inside write transactions.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        config["CONN_MAX_AGE"] = 0
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses log-ins while locked out
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "register:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Dates follow the language: 2026年12月2日 / 2 Dec 2026 (renkou/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["renkou.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Only needed for ``collectstatic`` behind a separate web server; the package's own
# server reads the files from the package.
STATIC_ROOT = os.environ.get("RENKOU_STATIC_ROOT") or None
# Assets are served from the package itself: deployments have no internet.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# A session ends after 30 idle minutes or when the browser closes; activity renews it,
# at most every five minutes (renkou.core.middleware.SessionRenewalMiddleware).
SESSION_COOKIE_AGE = int(os.environ.get("RENKOU_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# The CSRF cookie ends with the browser session, like the session cookie (shared office machines).
CSRF_COOKIE_AGE = None
# A refused form gets a page in the interface language, in the site's layout.
CSRF_FAILURE_VIEW = "renkou.core.error_views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
#: Sent on every response by ``renkou.core.middleware.ContentSecurityPolicyMiddleware``;
#: every asset is the package's own (inline ``style`` attributes are allowed, scripts are not).
RENKOU_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Login throttling (django-axes): five wrong passwords for one user name from one
# address lock that pair out for 15 minutes; a successful log-in clears the count.
# Twenty failed log-ins from one address, whatever the user names, lock the address out
# for 15 minutes (renkou.accounts.throttling).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = "renkou.accounts.throttling.lockout_parameters"
RENKOU_ADDRESS_FAILURE_LIMIT = 20
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "renkou.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "renkou.core.audit.client_address"  # the address the log records
AXES_VERBOSE = False
if os.environ.get("RENKOU_HTTPS", "0") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Where the analytics snapshot (Parquet) and the computed indicators (DuckDB) live.
RENKOU_ANALYTICS_DIR = Path(os.environ.get("RENKOU_ANALYTICS_DIR", WORK_DIR / "renkou-analytics"))

# The family-planning statistical year runs 1 October – 30 September.
RENKOU_STAT_YEAR_START_MONTH = int(os.environ.get("RENKOU_STAT_YEAR_START_MONTH", "10"))
# Files uploaded for an import wait here between the preview and the import (a day at most).
RENKOU_UPLOAD_DIR = Path(os.environ.get("RENKOU_UPLOAD_DIR", WORK_DIR / "renkou-uploads"))
# Each background job's progress, log and result file (a week).
RENKOU_JOB_DIR = Path(os.environ.get("RENKOU_JOB_DIR", WORK_DIR / "renkou-jobs"))

# Migrant information exchange (renkou.migrants): days to answer a verification request
# (协查: urgent 15, ordinary 30) and working days to notify an arrival to the hukou place.
RENKOU_EXCHANGE_DEADLINE_DAYS = {"urgent": 15, "ordinary": 30}
RENKOU_ARRIVAL_NOTICE_WORKING_DAYS = 3
# Where this office's private signing key is kept, when not in the database (a file the
# server's account alone may read); empty: in the database.
RENKOU_EXCHANGE_KEY_FILE = os.environ.get("RENKOU_EXCHANGE_KEY_FILE", "")

# Background jobs (renkou.core.jobs): queued in the database, run by the worker that
# `renkou serve` starts beside the web server (or `renkou worker` alone).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
