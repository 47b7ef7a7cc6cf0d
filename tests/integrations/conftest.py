"""Machine clients with keys, over the shared tree (P1 with a department and two communes; P2)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.integrations.services.clients import create_client, issue_key


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _webhooks_to_the_test_host(settings):
    """Webhook tests subscribe https://example.test/… (a name that resolves nowhere; sending is mocked)."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["example.test"]


@pytest.fixture
def machine(db, calendar, tree, procedure):
    """``machine(scopes, unit="p1", name=...)`` → (client row, APIClient sending its key)."""

    def make(scopes=("write_dossiers", "read_dossiers"), unit="p1", name="onestop", rate=0, **key_kwargs):
        client = create_client(name=name, unit=tree[unit], scopes=list(scopes), rate_limit_per_minute=rate)
        _key, plaintext = issue_key(client, **key_kwargs)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
        api.plaintext = plaintext
        return client, api

    return make
