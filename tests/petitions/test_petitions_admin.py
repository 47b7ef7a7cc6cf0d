"""The petition admin screens are read-only views of the record and its history."""

from __future__ import annotations

import pytest

from apps.petitions.models import PetitionEvent
from tests.helpers import vn

pytestmark = pytest.mark.django_db


def test_changelist_and_detail_with_events(admin_client, receive):
    petition = receive(vn(2026, 3, 2, 9))
    assert admin_client.get("/admin/petitions/petition/").status_code == 200
    detail = admin_client.get(f"/admin/petitions/petition/{petition.pk}/change/")
    assert detail.status_code == 200
    assert petition.code.encode() in detail.content
    assert b"received" in detail.content
    assert admin_client.get("/admin/petitions/petitionevent/").status_code == 200


def test_nothing_can_be_added_or_deleted(admin_client, receive):
    petition = receive(vn(2026, 3, 2, 9))
    assert admin_client.get("/admin/petitions/petition/add/").status_code == 403
    assert admin_client.post(f"/admin/petitions/petition/{petition.pk}/delete/").status_code == 403
    event = PetitionEvent.objects.get()
    assert admin_client.post(f"/admin/petitions/petitionevent/{event.pk}/delete/").status_code == 403
