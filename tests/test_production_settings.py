"""The defaults are production's: DEBUG off, HTTPS only, and `manage.py check --deploy` has nothing to say.

Settings are read once per process, so each case runs in a subprocess with its own environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SECRET_KEY": "prod-like-" + "0123456789abcdef" * 4,
    "ALLOWED_HOSTS": "casetracker.example.gov.vn",
    "DATABASE_URL": "postgres://casetracker@db.internal:5432/casetracker",
    # Several gunicorn workers share their limits and cache through Redis (apps/core/checks.py, core.W001).
    "CACHE_URL": "redis://cache.internal:6379/1",
}


def _environment(**overrides: str) -> dict[str, str]:
    """This process's environment without the variables the suite sets, plus ``overrides``."""
    # DJANGO_ALLOW_ASYNC_UNSAFE: set by tests/browser/conftest.py for Playwright, never in deployment.
    ours = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith("SECURE_")}
    return {**env, "DJANGO_SETTINGS_MODULE": "casetracker.settings", **overrides}


def _run(args: list[str], **overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=_environment(**overrides), text=True,
                          capture_output=True, timeout=120)  # fmt: skip


def test_check_deploy_has_no_warnings_with_production_settings():
    run = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "System check identified no issues (0 silenced)." in run.stdout


def test_check_deploy_notices_plain_http_settings():
    """The dev switches do what they say, and the check above would see it if they were the defaults."""
    run = _run(["manage.py", "check", "--deploy"], **PRODUCTION, SECURE_SSL_REDIRECT="false",
               SECURE_COOKIES="false", SECURE_HSTS_SECONDS="0")  # fmt: skip
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in run.stderr, run.stderr


def test_debug_defaults_to_off_and_then_a_secret_key_is_required():
    run = _run(["-c", "import django; django.setup()"])
    assert run.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in run.stderr


SHOW = """
import json
import django
django.setup()
from django.conf import settings
names = ["DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER"]
print(json.dumps({name: getattr(settings, name, None) for name in names} | {
    "connect_timeout": settings.DATABASES["default"].get("OPTIONS", {}).get("connect_timeout"),
    "lease": settings.IDEMPOTENCY_LEASE.total_seconds()}))
"""


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, {"DEBUG": False, "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
              "SECURE_HSTS_SECONDS": 31536000, "SECURE_PROXY_SSL_HEADER": None, "connect_timeout": 5,
              "lease": 120.0}),
        ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"},
         {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}),
        ({"SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false"},  # gunicorn on 127.0.0.1, plain HTTP
         {"SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 31536000}),
        ({"SECURE_HSTS_SECONDS": "0"}, {"SECURE_HSTS_SECONDS": 0}),
        ({"DEBUG": "true", "SECRET_KEY": ""},  # development: no HTTPS requirement at all
         {"DEBUG": True, "SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0}),
        ({"DATABASE_URL": "postgres://u@h:5432/d?connect_timeout=2", "IDEMPOTENCY_LEASE_SECONDS": "90"},
         {"connect_timeout": 2, "lease": 90.0}),  # a timeout in the URL wins
    ],
)  # fmt: skip
def test_settings_follow_the_environment(overrides, expected):
    run = _run(["-c", SHOW], **{**PRODUCTION, **overrides})
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert {name: shown[name] for name in expected} == expected
