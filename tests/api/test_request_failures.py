"""Request ids, logged 5xx answers, and 503 ``service_unavailable`` when the database cannot be reached.

In-process tests make one layer raise the database's own ``OperationalError`` (a DRF view, DRF
authentication, a middleware, a non-DRF view); a subprocess then runs the real thing against a closed
port, with the production settings.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin.sites import AdminSite
from django.db import InterfaceError, OperationalError
from rest_framework.test import APIClient

import apps.integrations.auth as integrations_auth
from apps.integrations.services.clients import create_client, issue_key
from apps.organisation.api.views import UnitViewSet

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin_api(users, client_for):
    api = client_for(users["admin_p1"])
    api.raise_request_exception = False
    return api


def _failing(exc: Exception):
    def view(*args, **kwargs):
        raise exc

    return view


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        (None, False),
        ("3f2b8c1e-9d4a-4c55-8e0b-2f6a7d9c1b04", True),  # a UUID from a proxy
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", True),  # a W3C trace parent
        ("short", False),  # too short to be an id
        ("x" * 129, False),  # too long
        ("id with spaces=1", False),  # would forge key=value pairs in the log
        ('abc"def-12345', False),
    ],
)
def test_request_id_header(admin_api, incoming, kept):
    headers = {"HTTP_X_REQUEST_ID": incoming} if incoming is not None else {}
    for path in ("/api/v1/units/", "/api/v1/no-such-thing/"):
        response = admin_api.get(path, **headers)
        request_id = response["X-Request-ID"]
        if kept:
            assert request_id == incoming
        else:
            assert re.fullmatch(r"[0-9a-f]{32}", request_id)


def test_unexpected_error_is_logged_with_its_request_id(admin_api, monkeypatch, caplog):
    monkeypatch.setattr(UnitViewSet, "list", _failing(RuntimeError("boom in a view")))
    with caplog.at_level(logging.INFO):
        response = admin_api.get("/api/v1/units/", HTTP_X_REQUEST_ID="req-0123456789")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error" and body["request_id"] == "req-0123456789"
    assert response["X-Request-ID"] == "req-0123456789"
    [line] = [r for r in caplog.records if r.name == "casetracker.request"]
    assert line.levelno == logging.ERROR
    fields = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line.getMessage()))
    assert fields["event"] == "request_failed" and line.request_id == "req-0123456789"
    assert fields["status"] == "500" and fields["method"] == "GET" and fields["path"] == '"/api/v1/units/"'
    assert fields["error"] == "RuntimeError" and fields["user"] == '"admin_p1"'
    assert json.loads(fields["detail"]) == "boom in a view"
    # Django's own record carries the traceback, stamped with the same id by the logging filter.
    traceback = [r for r in caplog.records if r.name == "django.request"]
    assert traceback and traceback[0].exc_info and traceback[0].exc_info[0] is RuntimeError


def test_client_errors_are_not_logged_as_failures(admin_api, caplog):
    with caplog.at_level(logging.INFO):
        assert admin_api.get("/api/v1/dossiers/NOPE/").status_code == 404
    assert not [r for r in caplog.records if r.name == "casetracker.request"]


def _assert_unavailable(response):
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "service_unavailable" and body["message"]
    assert body["request_id"] == response["X-Request-ID"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("exc", [OperationalError("connection refused"), InterfaceError("connection closed")])
def test_database_error_in_a_view_is_503(admin_api, monkeypatch, caplog, exc):
    monkeypatch.setattr(UnitViewSet, "list", _failing(exc))
    with caplog.at_level(logging.INFO):
        response = admin_api.get("/api/v1/units/")
    _assert_unavailable(response)
    [line] = [r.getMessage() for r in caplog.records if r.name == "casetracker.request"]
    assert "status=503" in line and f"error={type(exc).__name__}" in line


def test_database_error_while_authenticating_is_503(tree, monkeypatch):
    client = create_client(
        name="onestop", unit=tree["p1"], scopes=["write_dossiers"], rate_limit_per_minute=0
    )
    _key, plaintext = issue_key(client)
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    monkeypatch.setattr(integrations_auth, "key_from_plaintext", _failing(OperationalError("no route")))
    _assert_unavailable(api.get("/api/v1/units/"))  # DRF's authentication
    # With an Idempotency-Key the key is looked up by a middleware, before DRF: Django's 500 handler.
    _assert_unavailable(api.post("/api/v1/ingest/", {"items": []}, format="json", HTTP_IDEMPOTENCY_KEY="k"))


def test_database_error_in_a_non_api_view_is_503(users, monkeypatch):
    # (index itself is bound when the URLs are built; each_context is looked up per request)
    monkeypatch.setattr(AdminSite, "each_context", _failing(OperationalError("server closed the connection")))
    admin = APIClient(raise_request_exception=False)
    users["admin_p1"].is_staff = True
    users["admin_p1"].save()
    admin.force_login(users["admin_p1"])
    _assert_unavailable(admin.get("/admin/"))


REQUESTS_WITHOUT_DATABASE = """
import json
import django
django.setup()
from django.test import Client
from knox.settings import knox_settings
client = Client(raise_request_exception=False)
token = knox_settings.TOKEN_PREFIX + "a" * knox_settings.AUTH_TOKEN_CHARACTER_LENGTH  # well formed, unknown
answers = {
    "staff token": client.get("/api/v1/units/", HTTP_AUTHORIZATION="Token " + token),
    "api key + idempotency": client.post("/api/v1/ingest/", data='{"items": []}', content_type="application/json",
                                        HTTP_AUTHORIZATION="Api-Key ctk_abc_def", HTTP_IDEMPOTENCY_KEY="k1"),
    "admin login": client.post("/admin/login/", {"username": "a", "password": "b"}),
}
print(json.dumps({name: [r.status_code, r.get("Retry-After"), r.get("X-Request-ID"), json.loads(r.content)]
                  for name, r in answers.items()}))
"""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once the socket closes: nothing listens there


def test_unreachable_database_answers_503_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECURE_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "casetracker.settings",
        "DEBUG": "false",
        "SECRET_KEY": "test-only-" + "k" * 60,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{_closed_port()}/casetracker",
    }
    run = subprocess.run([sys.executable, "-c", REQUESTS_WITHOUT_DATABASE], cwd=ROOT, env=env, text=True,
                         capture_output=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout.strip().splitlines()[-1])
    for name, (status, retry_after, request_id, body) in answers.items():
        assert status == 503, (name, body)
        assert body["code"] == "service_unavailable" and body["request_id"] == request_id, name
        assert int(retry_after) > 0
        # the console log (stderr) has the failure under the same id, for an operator's grep
        assert re.search(rf"request_id={request_id} event=request_failed .*status=503", run.stderr), name
    assert "Connection refused" not in json.dumps(answers)  # no internals in the answers
