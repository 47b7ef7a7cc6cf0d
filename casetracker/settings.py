"""Project settings. Every value that varies between deployments comes from :mod:`casetracker.env`."""

from __future__ import annotations

from datetime import timedelta
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

# HTTPS only when DEBUG is off (`manage.py check --deploy` is clean with these defaults). Behind a proxy
# that terminates TLS, SECURE_PROXY_SSL_HEADER names the header it sets; to try gunicorn over plain HTTP,
# set SECURE_SSL_REDIRECT=false and SECURE_COOKIES=false.
SECURE_SSL_REDIRECT = env.read_bool("SECURE_SSL_REDIRECT", fallback=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.read_bool("SECURE_COOKIES", fallback=not DEBUG)
_proxy_header = env.read("SECURE_PROXY_SSL_HEADER").strip()
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else env.read_int("SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.read_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env.read_bool("SECURE_HSTS_PRELOAD")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # staff tokens: stored hashed, expiring, one per device (apps/accounts/tokens.py)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally: the docs work offline
    "django_htmx",  # request.htmx for the console's partial updates; serves htmx.min.js locally
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
    "apps.queues",
    "apps.console",  # the web console: server-rendered pages over the same services as the API
    "apps.exports",  # CSV/XLSX downloads of the console's tables; large ones as background jobs
]

MIDDLEWARE = [
    # Outermost: every response carries X-Request-ID and every 5xx is logged with it.
    "apps.core.middleware.RequestIdMiddleware",
    # Vietnamese unless `?lang=en` or `Accept-Language: en` asks otherwise, for every answer below it
    # (413s and NUL refusals included); sets Content-Language and Vary: Accept-Language (apps/core/i18n.py).
    "apps.core.i18n.LanguageMiddleware",
    "apps.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # NUL characters in the path, query string or Idempotency-Key answer 400 (apps/core/middleware.py).
    "apps.core.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Machine clients' Idempotency-Key replays (apps/integrations/idempotency.py).
    "apps.integrations.idempotency.IdempotencyMiddleware",
]

if not DEBUG:
    # Serves the admin and API-docs assets under gunicorn (after `collectstatic`); runserver does it in DEBUG.
    MIDDLEWARE.insert(3, "whitenoise.middleware.WhiteNoiseMiddleware")

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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when the server is unreachable: the request answers 503 instead of holding a worker.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.read_int("DATABASE_CONNECT_TIMEOUT")
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed or a task writes; SQLite is the embedded default only.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
# A read replica (streaming standby) for statistics and exports; see apps/core/replica.py for which reads
# go there. Test runs treat it as a mirror of default instead of creating a second test database.
if env.read("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(env.read("DATABASE_REPLICA_URL"), conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.read_int("DATABASE_CONNECT_TIMEOUT")
        )
DATABASE_ROUTERS = ["apps.core.replica.ReplicaRouter"]
# Sessions in the database (Django's default, stated): any web process serves any signed-in user.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Vietnamese first, English second: every text a person reads comes from the catalogue in locale/
# (English source strings, Vietnamese in locale/vi/LC_MESSAGES/django.po with its compiled .mo committed
# beside it, so no gettext tools are needed to install or test). Codes never change with the language.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
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
        "apps.accounts.auth.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # Staff users pass; machine clients need the scope the endpoint asks for.
        "apps.integrations.auth.ClientScopePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["apps.integrations.auth.MachineClientThrottle"],
    # Client addresses come from the socket unless proxies are declared: a forged X-Forwarded-For must
    # not mint fresh addresses for the sign-in throttle (apps/accounts/throttling.py).
    "NUM_PROXIES": env.read_int("TRUSTED_PROXY_COUNT"),
    # django-filter, refusing query parameters a list does not know (400 unknown_parameter).
    "DEFAULT_FILTER_BACKENDS": ["apps.core.api.params.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.BoundedPageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.errors.exception_handler",
    # Strict JSON with a depth limit and no NUL characters (apps/core/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.parsers.SafeJSONParser",
        "apps.core.api.parsers.SafeFormParser",
        "apps.core.api.parsers.SafeMultiPartParser",
    ],
    "PAGE_SIZE": env.read_int("API_PAGE_SIZE"),
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
API_MAX_PAGE_SIZE = env.read_int("API_MAX_PAGE_SIZE")
# A request holding an Idempotency-Key keeps its claim this long; then a retry may take it over.
IDEMPOTENCY_LEASE = timedelta(seconds=env.read_int("IDEMPOTENCY_LEASE_SECONDS"))

# Staff tokens (django-rest-knox): clients keep sending `Authorization: Token <token>`.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.read_int("AUTH_TOKEN_TTL_HOURS")),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,  # a token lives a fixed time from sign-in, however busy
}
AUTH_TOKENS_PER_USER = env.read_int("AUTH_TOKENS_PER_USER")
# Failed sign-ins (API token and admin login) allowed per user name and per client address in the window.
AUTH_FAILURES_PER_USERNAME = env.read_int("AUTH_FAILURES_PER_USERNAME")
AUTH_FAILURES_PER_ADDRESS = env.read_int("AUTH_FAILURES_PER_ADDRESS")
AUTH_FAILURE_WINDOW_SECONDS = env.read_int("AUTH_FAILURE_WINDOW_SECONDS")
if REST_KNOX["TOKEN_TTL"] <= timedelta(0) or AUTH_TOKENS_PER_USER < 1 or AUTH_FAILURE_WINDOW_SECONDS < 1:
    raise ImproperlyConfigured(
        "AUTH_TOKEN_TTL_HOURS, AUTH_TOKENS_PER_USER and AUTH_FAILURE_WINDOW_SECONDS must be positive."
    )

# The default cache holds the sign-in throttle's counters, so with several gunicorn workers it must be
# shared (Redis). Per-process caches (apps/statistics/reports.py scorers) are plain dicts, not this.
CACHE_URL = env.read("CACHE_URL")
if not CACHE_URL or CACHE_URL.startswith("locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            # Reads become misses and writes are dropped while Redis is unreachable (apps/core/cache.py).
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "casetracker",
        }
    }
else:
    raise ImproperlyConfigured("CACHE_URL must be empty, locmem:// or a redis:// URL.")

# The citizens' status lookup (GET /api/v1/public/lookup/, no login): lookups per client address,
# counted in the default cache (shared when CACHE_URL is Redis). See apps/dossiers/api/public.py.
PUBLIC_LOOKUP_RATE = "10/min"

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
        "ApplicantKindEnum": "apps.dossiers.applicant.ApplicantKind",
        "WebhookDeliveryStatusEnum": "apps.integrations.models.DeliveryStatus",
        "WebhookEventEnum": "apps.integrations.models.WebhookEvent",
        "OfferedOnlineLevelEnum": "apps.catalogue.models.OFFERED_LEVELS",
        "ProcedureLevelEnum": "apps.catalogue.models.Level",
        "TicketStatusEnum": "apps.queues.status.TicketStatus",
        "TicketEventOutcomeEnum": "apps.queues.api.serializers.EVENT_OUTCOMES",
        "ItemOutcomeEnum": "apps.queues.api.serializers.ITEM_OUTCOMES",
    },
}

# Webhook destinations exempt from the public-address check (apps/integrations/services/destinations.py).
WEBHOOK_ALLOWED_HOSTS = env.read_list("WEBHOOK_ALLOWED_HOSTS")

# Celery: with no broker configured, tasks run in-process so a newcomer needs nothing but Python.
CELERY_BROKER_URL = env.read("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# Crash safety: a task's message is acknowledged when it ends (tasks are idempotent; the few that are not
# worth re-running opt out), re-queued if the worker process dies, and a worker holds one message at a
# time. A message held by a worker killed with -9 comes back after the visibility timeout; the beat
# sweepers below catch its work within seconds anyway. The timeout must exceed the longest countdown.
# Sending gives up after one quick retry (not the default ~2 s of retries): with the broker down, a write
# must not wait on it (see casetracker.celery.RecoverableTask).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300, "max_retries": 1, "interval_start": 0}
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Sweepers run often and cheaply; a copy queued while no worker runs expires instead of piling up.
_SWEEP = {"expires": 10}
CELERY_BEAT_SCHEDULE: dict = {
    # The outbox sweepers: dirty marks and events whose kick was lost (broker down, worker killed).
    "statistics-drain": {"task": "statistics.drain_dirty_leaves", "schedule": 2.0, "options": _SWEEP},
    "dossiers-dispatch-pending": {
        "task": "dossiers.dispatch_pending_events",
        "schedule": 5.0,
        "options": _SWEEP,
    },
    "petitions-dispatch-pending": {
        "task": "petitions.dispatch_pending_events",
        "schedule": 5.0,
        "options": _SWEEP,
    },
    "queues-dispatch-pending": {"task": "queues.dispatch_pending_events", "schedule": 5.0, "options": _SWEEP},
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
    # Staff tokens of devices that never came back (knox drops an expired token only when presented).
    "accounts-token-purge": {"task": "accounts.purge_expired_tokens", "schedule": crontab(hour=3, minute=20)},
    # Console exports: jobs whose kick was lost or whose worker died; files a day old deleted.
    "exports-run-pending": {"task": "exports.run_pending_jobs", "schedule": 30.0, "options": _SWEEP},
    "exports-expire": {"task": "exports.expire_jobs", "schedule": crontab(minute=15)},
}

# Console exports (apps/exports): above EXPORTS_ASYNC_THRESHOLD rows an export is a background job whose
# file is written to EXPORTS_DIR (shared by the web and worker processes) and deleted after a day.
EXPORTS_DIR = BASE_DIR / env.read("EXPORTS_DIR")  # an absolute path replaces BASE_DIR
EXPORTS_ASYNC_THRESHOLD = 50_000
EXPORTS_LIFETIME_HOURS = 24
EXPORTS_PROGRESS_EVERY = 1000

# Everything goes to the console (gunicorn's/celery's stderr) as key=value lines an operator can grep,
# each with the request id (apps/core/requestlog.py). `django.request` logs every 5xx with its traceback;
# 4xx answers are the clients' business and are not logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.requestlog.RequestIdFilter"}},
    "formatters": {
        "keyvalue": {
            "format": "%(asctime)s level=%(levelname)s logger=%(name)s request_id=%(request_id)s %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "keyvalue", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Replaces Django's default handlers (console only with DEBUG on): records reach the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"level": "ERROR"},
        "casetracker": {"level": env.read("LOG_LEVEL")},
        "apps": {"level": env.read("LOG_LEVEL")},
    },
}
