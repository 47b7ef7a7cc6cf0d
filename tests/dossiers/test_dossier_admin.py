"""The dossier admin shows records and history but changes nothing."""

import pytest

from apps.core.actors import Actor
from apps.dossiers import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(calendar, tree, procedure):
    d = services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=Actor())
    return services.request_supplement(d, actor=Actor(), reason="missing copy")


def test_changelist_and_detail_render(admin_client, dossier):
    assert admin_client.get("/admin/dossiers/dossier/").status_code == 200
    page = admin_client.get(f"/admin/dossiers/dossier/{dossier.pk}/change/")
    assert page.status_code == 200
    assert b"missing copy" in page.content
    assert admin_client.get("/admin/dossiers/dossierevent/").status_code == 200


def test_admin_cannot_change_or_delete(admin_client, dossier):
    before = dossier.status
    admin_client.post(f"/admin/dossiers/dossier/{dossier.pk}/change/", {"status": 9})
    dossier.refresh_from_db()
    assert dossier.status == before
    assert admin_client.get(f"/admin/dossiers/dossier/{dossier.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/dossiers/dossier/add/").status_code == 403
