"""Fixtures for the petition tests: a receiving helper on top of the root fixtures."""

from __future__ import annotations

import pytest

from apps.core.actors import Actor
from apps.petitions import services

SETUP = Actor.of_system("setup")


@pytest.fixture
def receive(calendar, tree):
    """Receive a petition at commune c1 (by default) with a fixed subject; keyword overrides pass through."""

    def make(received_at, *, unit: str = "c1", **kwargs):
        return services.receive_petition(
            unit=tree[unit], subject="Slow land registration", actor=SETUP, received_at=received_at, **kwargs
        )

    return make
