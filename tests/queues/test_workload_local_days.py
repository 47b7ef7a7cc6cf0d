"""The workload panel counts dossiers received on the period's local days, whatever the UTC date.

It bounds ``received_at`` by the local days' first and last instant (an index range) instead of
filtering ``received_on``; these tests hold it to a direct count on ``received_on`` across the local
midnights where the two calendars differ (00:30 +07 is 17:30 the day before in UTC).
"""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core.actors import Actor
from apps.dossiers import services as dossier_services
from apps.dossiers.models import Dossier
from apps.dossiers.status import Status
from apps.queues import figures
from apps.statistics.periods import parse
from tests.helpers import vn

pytestmark = pytest.mark.django_db


@pytest.fixture
def around_midnights(calendar, tree, users, procedure):
    """Dossiers received just before and just after the local midnights that open and close 2026-W46."""
    clerk = Actor.of_user(users["clerk_c1"])
    times = [
        vn(2026, 11, 8, 23, 30),  # Sunday before the week: out
        vn(2026, 11, 9, 0, 30),  # Monday 00:30 +07 = Sunday 17:30 UTC: in
        vn(2026, 11, 12, 12, 0),  # in
        vn(2026, 11, 15, 23, 30),  # Sunday 23:30 +07 = Sunday 16:30 UTC: in
        vn(2026, 11, 16, 0, 30),  # next Monday 00:30 +07 = Sunday 17:30 UTC: out
    ]
    for unit, at in zip(["c1", "c2", "c1", "c2", "c1"], times, strict=True):
        dossier_services.receive_dossier(
            procedure=procedure, receiving_unit=tree[unit], actor=clerk, received_at=at
        )


def _direct(period, units) -> dict[int, int]:
    """The count the panel must equal: received_on in the period, registered-only and refused left out."""
    counted = Dossier.objects.filter(
        receiving_unit__in=units, received_on__gte=period.start, received_on__lte=period.end
    ).exclude(status__in=(Status.REGISTERED, Status.REFUSED_AT_INTAKE))
    return {pk: counted.filter(receiving_unit_id=pk).count() for pk in units}


def test_received_counts_follow_local_days(around_midnights, tree):
    period = parse("2026-W46")
    result = figures.workload(tree["p1"], period, dt.date(2026, 11, 23))
    by_code = {row["unit"]: row["received"] for row in result["units"]}
    direct = _direct(period, [tree["c1"].pk, tree["c2"].pk])
    assert by_code[tree["c1"].code] == direct[tree["c1"].pk] == 1
    assert by_code[tree["c2"].code] == direct[tree["c2"].pk] == 2
    assert result["total"]["received"] == 3


def test_a_utc_day_boundary_is_not_a_local_one(around_midnights, tree):
    """The UTC dates would put the Monday 00:30 dossiers in the week before: the panel does not."""
    before, after = parse("2026-W45"), parse("2026-W47")
    for period in (before, after):
        result = figures.workload(tree["p1"], period, dt.date(2026, 11, 23))
        direct = _direct(period, [tree["c1"].pk, tree["c2"].pk])
        assert result["total"]["received"] == sum(direct.values()) == 1
