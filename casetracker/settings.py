"""Project settings. Every value that varies between deployments comes from :mod:`casetracker.env`."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from casetracker import env

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.read_bool("DEBUG")
SECRET_KEY = env.read("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env.read_list("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally: the docs work offline
    "apps.core",
    "apps.organisation",
    "apps.accounts",
    "apps.catalogue",
    "apps.workcalendar",
    "apps.dossiers",
    "apps.petitions",
    "apps.scoring",
    "apps.statistics",
    "apps.integrations",
]

MIDDLEWARE = [
    "apps.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Machine clients' Idempotency-Key replays (apps/integrations/idempotency.py).
    "apps.integrations.idempotency.IdempotencyMiddleware",
]

if not DEBUG:
    # Serves the admin and API-docs assets under gunicorn (after `collectstatic`); runserver does it in DEBUG.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "casetracker.urls"
WSGI_APPLICATION = "casetracker.wsgi.application"
ASGI_APPLICATION = "casetracker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.read("DATABASE_URL").replace("sqlite:///db.sqlite3", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed or a task writes; SQLite is the embedded default only.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env.read("TIME_ZONE")
USE_I18N = True
USE_TZ = True

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Requests larger than this are answered 413 by BodySizeLimitMiddleware before any parsing.
API_MAX_BODY_BYTES = env.read_int("API_MAX_BODY_BYTES")
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.integrations.auth.ApiKeyAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # Staff users pass; machine clients need the scope the endpoint asks for.
        "apps.integrations.auth.ClientScopePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["apps.integrations.auth.MachineClientThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.BoundedPageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.errors.exception_handler",
    "PAGE_SIZE": env.read_int("API_PAGE_SIZE"),
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
API_MAX_PAGE_SIZE = env.read_int("API_MAX_PAGE_SIZE")

SPECTACULAR_SETTINGS = {
    "TITLE": "casetracker API",
    "DESCRIPTION": (
        "Records administrative dossiers at one-stop centres and their history. "
        "Errors share one format: `{code, message, errors: [{field, code, message}]}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DossierStatusEnum": "apps.dossiers.status.Status",
        "ChannelEnum": "apps.dossiers.models.Channel",
        "WebhookDeliveryStatusEnum": "apps.integrations.models.DeliveryStatus",
        "WebhookEventEnum": "apps.integrations.models.WebhookEvent",
    },
}

# Celery: with no broker configured, tasks run in-process so a newcomer needs nothing but Python.
CELERY_BROKER_URL = env.read("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # Safety net for the debounced drain (a worker restart can drop a scheduled one).
    "statistics-drain": {"task": "statistics.drain_dirty_leaves", "schedule": 5.0},
    # Unfinished dossiers are judged on a new day after midnight.
    "statistics-refresh-current": {
        "task": "statistics.refresh_current_periods",
        "schedule": crontab(hour=0, minute=1),
    },
    "statistics-snapshot": {
        "task": "statistics.snapshot_closed_periods",
        "schedule": crontab(hour=0, minute=20),
    },
    # The exact, from-scratch recomputation; must equal what the incremental path kept.
    "statistics-rebuild": {"task": "statistics.rebuild_all", "schedule": crontab(hour=2, minute=30)},
    # Machine clients: overdue / due-within-24h alerts, webhook fan-out and retries, idempotency cleanup.
    "integrations-alerts": {"task": "integrations.raise_alerts", "schedule": 300.0},
    "integrations-webhook-fanout": {"task": "integrations.fan_out_events", "schedule": 10.0},
    "integrations-webhook-retry": {"task": "integrations.retry_due_deliveries", "schedule": 30.0},
    "integrations-idempotency-purge": {
        "task": "integrations.purge_idempotency_records",
        "schedule": crontab(hour=3, minute=10),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "casetracker": {"handlers": ["console"], "level": env.read("LOG_LEVEL"), "propagate": False},
        "apps": {"handlers": ["console"], "level": env.read("LOG_LEVEL"), "propagate": False},
    },
}
