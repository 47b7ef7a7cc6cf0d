"""Procedure components (thành phần hồ sơ): per version, in the fixtures and over the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from apps.catalogue.models import ProcedureComponent, ProcedureVersion
from tests.factories import ProcedureVersionFactory

pytestmark = pytest.mark.django_db


def test_every_fixture_version_lists_its_documents_in_order():
    call_command("loaddata", str(Path(settings.BASE_DIR) / "fixtures" / "procedures.json"), verbosity=0)
    for version in ProcedureVersion.objects.prefetch_related("components"):
        components = list(version.components.all())
        assert [c.position for c in components] == list(range(1, len(components) + 1)), version
        assert any(c.mandatory for c in components), version
        assert any(not c.mandatory for c in components), version  # e.g. a proxy's authorisation
    forms = set(ProcedureComponent.objects.values_list("form", flat=True))
    assert {"original", "copy", "certified_copy"} <= forms


def test_the_detail_shows_the_components_of_the_version_in_force(users, client_for):
    old = ProcedureVersionFactory(valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2025, 12, 31))
    new = ProcedureVersionFactory(procedure=old.procedure, valid_from=dt.date(2026, 1, 1))
    ProcedureComponent.objects.create(version=old, position=1, name="Đơn cũ")
    ProcedureComponent.objects.create(version=new, position=1, name="Tờ khai", form="original")
    ProcedureComponent.objects.create(
        version=new, position=2, name="Bản vẽ", form="copy", quantity=2, mandatory=False
    )
    client = client_for(users["clerk_c1"])

    body = client.get(f"/api/v1/procedures/{old.procedure.code}/").json()
    assert body["current"]["components"] == [
        {"position": 1, "name": "Tờ khai", "form": "original", "quantity": 1, "mandatory": True},
        {"position": 2, "name": "Bản vẽ", "form": "copy", "quantity": 2, "mandatory": False},
    ]
    then = client.get(f"/api/v1/procedures/{old.procedure.code}/?on=2025-06-01").json()
    assert [c["name"] for c in then["current"]["components"]] == ["Đơn cũ"]
    assert [len(v["components"]) for v in body["versions"]] == [2, 1]
