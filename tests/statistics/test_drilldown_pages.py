"""A drill-down page cut inside the ids' query lists the same dossiers, in the same order, as the whole list.

``reports.dossiers_behind(..., limit=, offset=)`` sorts and limits each arm of the period (ended in it,
ended after it, still open) before the union (apps/statistics/reports.py); page after page it must give
back exactly the unpaged list, and that list exactly the count the score shows, for every measure.
"""

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.flags import Flag
from apps.statistics import reports
from apps.statistics.measures import DRILL_DOWN_MEASURES
from apps.statistics.periods import parse
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
MARCH = parse("2026-03")


@pytest.fixture
def march(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """Dossiers in each arm of March 2026, and some outside it."""

    def receive(unit: str, month: int, day: int, hour: int = 9, channel: int = 1):
        return services.receive_dossier(
            procedure=procedure,
            receiving_unit=tree[unit],
            actor=S,
            received_at=vn(2026, month, day, hour),
            channel=channel,
        )

    with django_capture_on_commit_callbacks(execute=True):
        services.finish(receive("c1", 2, 10), actor=S, at=vn(2026, 2, 20, 9))  # ended before: out
        services.finish(receive("c2", 2, 12), actor=S, at=vn(2026, 3, 20, 9))  # carried over, ended in
        receive("c1", 2, 14)  # carried over, still open (overdue)
        for day in (2, 3, 4, 5, 6, 9, 10):
            d = receive("c1" if day % 2 else "c2", 3, day, 8 + day % 3, channel=2 if day % 2 else 1)
            if day % 3 == 0:
                services.set_flag(d, Flag.PORTAL_SYNCED, actor=S, at=vn(2026, 3, day, 10))
            if day in (2, 3):
                services.finish(d, actor=S, at=vn(2026, 3, day + 1, 9))  # on time
            elif day == 4:
                services.finish(d, actor=S, at=vn(2026, 3, 30, 9))  # late
            elif day == 5:
                services.finish(d, actor=S, at=vn(2026, 4, 20, 9))  # ended after March: open at its end
        services.finish(receive("c1", 3, 9, 15), actor=S, at=vn(2026, 3, 9, 16))  # same day as another
        receive("c2", 4, 2)  # received after March: out


def _codes(queryset) -> list[str]:
    return [d.code for d in queryset]


def _paged(unit, measure: str, size: int) -> list[str]:
    codes, offset = [], 0
    while True:
        page = _codes(reports.dossiers_behind(unit, MARCH, measure, limit=size, offset=offset))
        assert len(page) <= size
        codes += page
        if len(page) < size:
            return codes
        offset += size


@pytest.mark.parametrize("code", ["p1", "c1"])
def test_pages_put_together_are_the_whole_list_and_its_count(march, tree, code):
    unit, listed = tree[code], 0
    for measure in DRILL_DOWN_MEASURES:
        whole = _codes(reports.dossiers_behind(unit, MARCH, measure))
        assert len(whole) == reports.dossiers_behind_count(unit, MARCH, measure), measure
        for size in (1, 2, 5):
            assert _paged(unit, measure, size) == whole, (measure, size)
        listed += len(whole)
    assert listed > 40  # the measures list something, so the comparisons compare


def test_every_arm_is_listed_newest_first(march, tree):
    rows = list(reports.dossiers_behind(tree["p1"], MARCH, "in_period", limit=100))
    assert len(rows) == 10  # 8 received in March, 2 carried over; the February one ended before is out
    keys = [(d.received_at, d.id) for d in rows]
    assert keys == sorted(keys, reverse=True)
    assert {d.ended_on is None for d in rows} == {True, False}
    late = _codes(reports.dossiers_behind(tree["p1"], MARCH, "late", limit=100))
    open_at_end = _codes(reports.dossiers_behind(tree["p1"], MARCH, "open_overdue", limit=100))
    assert set(open_at_end) <= set(late) and len(late) > len(open_at_end) >= 1
