"""An edit to the registers in the admin drops the filed scores it makes stale, as the register services
do: a closed month's snapshots from the earlier date involved, in every province involved, and no other."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.catalogue.models import OnlineOffering, PublicationDecision
from apps.statistics.models import ScoreSnapshot
from apps.statistics.snapshots import snapshot_closed_periods
from tests.factories import UserFactory
from tests.statistics.test_registers_scoring import (  # noqa: F401  (fixtures)
    MARCH,
    indicators,
    offerings,
    published,
    supervisor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site():
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def filed_march(root: str) -> int:
    return ScoreSnapshot.objects.filter(
        period_kind="month", period_start="2026-03-01", unit__path__startswith=f"{root}/"
    ).count()


def test_an_offering_moved_in_the_admin_refiles_the_months_it_touched(
    offerings,  # noqa: F811
    tree,
    supervisor,  # noqa: F811
    admin_site,
):
    snapshot_closed_periods()
    assert filed_march("P1") > 0 and filed_march("P2") > 0
    before = indicators(supervisor, "P1", MARCH)
    offering = OnlineOffering.objects.filter(unit=tree["c1"], level="full").get()
    response = admin_site.post(
        f"/admin/catalogue/onlineoffering/{offering.pk}/change/",
        {
            "unit": offering.unit_id,
            "procedure": offering.procedure_id,
            "level": offering.level,
            "valid_from": "2026-04-01",  # no longer offered in March
            "valid_to": "",
        },
    )
    assert response.status_code == 302, response.content
    assert filed_march("P1") == 0  # the province of the offering: March is filed again, from the new data
    assert filed_march("P2") > 0  # another province's history is untouched
    after = indicators(supervisor, "P1", MARCH)
    assert after["_inputs"]["online_services_offered"] == before["_inputs"]["online_services_offered"] - 1

    snapshot_closed_periods()
    response = admin_site.post(f"/admin/catalogue/onlineoffering/{offering.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not OnlineOffering.objects.filter(pk=offering.pk).exists()
    assert filed_march("P1") > 0  # April on is dropped; March never had this offering
    assert not ScoreSnapshot.objects.filter(
        period_kind="month", period_start="2026-04-01", unit__path__startswith="P1/"
    ).exists()


def test_a_decision_deleted_in_the_admin_refiles_its_months(published, tree, admin_site):  # noqa: F811
    snapshot_closed_periods()
    decision = PublicationDecision.objects.get(
        authority=tree["p1"], number__isnull=False, decided_on="2026-03-10"
    )
    response = admin_site.post(
        "/admin/catalogue/publicationdecision/",
        {"action": "delete_selected", "_selected_action": [decision.pk], "post": "yes"},
    )
    assert response.status_code == 302, response.content
    assert not PublicationDecision.objects.filter(pk=decision.pk).exists()
    assert filed_march("P1") == 0 and filed_march("P2") > 0
