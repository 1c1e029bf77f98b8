"""Django settings of the opslens workbench, read from the environment.

Environment:

``OPSLENS_DATA_DIR``        where the SQLite database, uploads, collected static files and sent
                            mail live (default ``./opslens-data``)
``DATABASE_URL``            e.g. ``postgres://user@host:5432/opslens``; default: SQLite in the
                            data dir
``OPSLENS_SECRET_KEY``      required by ``opslens serve``; ``opslens demo`` makes one per data dir
``OPSLENS_ALLOWED_HOSTS``   comma-separated host names for ``opslens serve`` (default: localhost)
``OPSLENS_CSRF_TRUSTED_ORIGINS``  comma-separated origins (https://ops.example.com) behind a proxy
``OPSLENS_DEBUG``           ``1`` for development only
``OPSLENS_EMAIL_URL``       ``smtp://user:password@host:587`` (with ``?tls=1``); default: mail is
                            written to files under the data dir
``OPSLENS_TIME_ZONE``       display time zone (default ``Asia/Shanghai``)
``OPSLENS_LANGUAGE``        default language (``en`` or ``zh-hans``) for browsers that state none,
                            and for e-mails and group-chat alerts sent by the worker
``OPSLENS_TODAY``           fix the workbench's "today" (ISO date); ``opslens demo`` sets 2024-09-10
``OPSLENS_BASE_URL``        the workbench's address as users reach it (https://ops.example.com),
                            for links in e-mails and group-chat alerts
``OPSLENS_SCHEDULE_SECONDS`` how often ``opslens worker`` runs the schedule (KPI rules, reminders)
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

WEB_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("OPSLENS_DATA_DIR", "opslens-data")).resolve()


def _env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = os.environ.get("OPSLENS_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("OPSLENS_SECRET_KEY", "")
if not SECRET_KEY:
    # Only tests and management commands get here; `opslens serve` refuses to start without a
    # key and `opslens demo` makes one per data dir.
    SECRET_KEY = "opslens-insecure-key-for-tests-only"
ALLOWED_HOSTS = _env_list("OPSLENS_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("OPSLENS_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "opslens.web.common",
    "opslens.web.org",
    "opslens.web.processes",
    "opslens.web.kpis",
    "opslens.web.costs",
    "opslens.web.quality",
    "opslens.web.datasets",
    "opslens.web.projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "opslens.web.urls"
WSGI_APPLICATION = "opslens.web.wsgi.application"
ASGI_APPLICATION = "opslens.web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opslens.web.common.context_processors.workbench",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'opslens.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Kept open per server thread: a new connection re-reads the schema and starts with a cold
    # page cache (demo pages under load: 61 → 71 requests/s; docs/decisions.md).
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    # WAL lets the worker and the web server write the same file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("OPSLENS_LANGUAGE", "en")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [WEB_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("OPSLENS_TIME_ZONE", "Asia/Shanghai")
OPSLENS_TODAY = os.environ.get("OPSLENS_TODAY", "") or None
OPSLENS_BASE_URL = os.environ.get("OPSLENS_BASE_URL", "")
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["opslens.web.formats"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [WEB_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
# Served from the app's own folders when `collectstatic` has not run (tests, development).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

_email_url = os.environ.get("OPSLENS_EMAIL_URL", "")
if _email_url:
    _parts = urlsplit(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _parts.hostname or "localhost"
    EMAIL_PORT = _parts.port or 25
    EMAIL_HOST_USER = unquote(_parts.username or "")
    EMAIL_HOST_PASSWORD = unquote(_parts.password or "")
    EMAIL_USE_TLS = parse_qs(_parts.query).get("tls", ["0"])[0] == "1"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("OPSLENS_FROM_EMAIL", "opslens@localhost")

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if os.environ.get("OPSLENS_SECURE_COOKIES") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Roles, in the order the organisation pages list them.
ROLE_LABELS = {
    "ops_admin": _("Operations admin"),
    "analyst": _("Analyst"),
    "head": _("Department head"),
    "member": _("Member"),
    "viewer": _("Viewer"),
}
