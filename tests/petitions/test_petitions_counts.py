"""``petition_counts``: the satisfaction group's petition numbers for a period, from one query."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core.actors import Actor
from apps.petitions import services
from apps.petitions.selectors import PetitionCounts, petition_counts
from tests.helpers import vn

pytestmark = pytest.mark.django_db

ACTOR = Actor.of_system("test")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def _resolve(petition, at, rating=None):
    petition = services.start_handling(petition, actor=ACTOR, at=petition.received_at)
    petition = services.resolve_petition(petition, actor=ACTOR, at=at)
    if rating:
        petition = services.rate_petition(petition, rating, actor=ACTOR, at=at)
    return petition


@pytest.fixture
def table(receive):
    """Petitions of commune c1 around March 2026 (due = 15 working days after receipt)."""
    first = receive(vn(2026, 3, 2, 9))
    rows = {
        # answered before March: outside the period
        "before": _resolve(receive(vn(2026, 2, 2, 9)), vn(2026, 2, 5, 9)),
        # received in February, unanswered on 1 March, resolved early on 5 March (due 18 Mar)
        "open_at_start": _resolve(receive(vn(2026, 2, 25, 9)), vn(2026, 3, 5, 9)),
        # received in January, still open: due 26 Jan, overdue all through March
        "carried_overdue": receive(vn(2026, 1, 5, 9)),
        "satisfied": _resolve(first, vn(2026, 3, 4, 9), "satisfied"),
        "dissatisfied": _resolve(receive(vn(2026, 3, 3, 9)), vn(2026, 3, 5, 9), "dissatisfied"),
        # a repeat, still open and in time (due 6 Apr)
        "repeat": receive(vn(2026, 3, 16, 9), repeat_of=first),
        # rejected after its 2-working-day limit (due 12 Mar 09:00)
        "rejected_late": services.reject_petition(
            receive(vn(2026, 3, 10, 9)), actor=ACTOR, at=vn(2026, 3, 13, 10)
        ),
        # still open, due 10 Apr
        "open_in_time": receive(vn(2026, 3, 20, 9)),
        # information requested early: answered, waiting for the petitioner
        "asked": services.request_info(receive(vn(2026, 3, 11, 9)), actor=ACTOR, at=vn(2026, 3, 12, 9)),
        # resolved late (due 23 Mar 09:00) and rated dissatisfied: subtracted once
        "late_dissatisfied": _resolve(receive(vn(2026, 3, 2, 9)), vn(2026, 3, 25, 9), "dissatisfied"),
        "after": receive(vn(2026, 4, 2, 9)),
        "other_unit": receive(vn(2026, 3, 2, 9), unit="c3"),
    }
    return rows


def test_march(table, tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = petition_counts([tree["c1"].pk, tree["c2"].pk], *MARCH, judged_on=dt.date(2026, 3, 31))
    assert counts == PetitionCounts(
        # open_at_start, carried_overdue, satisfied, dissatisfied, repeat, rejected_late, open_in_time,
        # asked, late_dissatisfied
        petitions=9,
        # all but carried_overdue, rejected_late, late_dissatisfied
        on_time=6,
        # satisfied, dissatisfied, rejected_late, open_in_time, asked, late_dissatisfied
        first_received=6,
        # 6 − |{dissatisfied, late_dissatisfied} ∪ {repeat} ∪ {carried_overdue, rejected_late, late_dissatisfied}|
        satisfactory=1,
        dissatisfied=2,
        repeated=1,
        overdue=3,
        unsatisfactory=5,
    )


def test_a_past_period_judges_open_petitions_at_its_end(table, tree):
    """February, judged on its last day: open_at_start was still unanswered and in time (due 18 Mar)."""
    counts = petition_counts([tree["c1"].pk], dt.date(2026, 2, 1), dt.date(2026, 2, 28), dt.date(2026, 2, 28))
    # before (answered 5 Feb, on time), open_at_start, carried_overdue
    assert (counts.petitions, counts.on_time, counts.first_received, counts.overdue) == (3, 2, 2, 1)
    assert counts.satisfactory == 1


@pytest.mark.parametrize(
    ("judged_on", "on_time"),
    [
        (dt.date(2026, 4, 6), 6),  # the repeat is due 6 Apr: still in time that day
        (dt.date(2026, 4, 7), 5),  # overdue the day after
    ],
)
def test_the_judged_day_moves_unanswered_petitions(table, tree, judged_on, on_time):
    assert petition_counts([tree["c1"].pk], *MARCH, judged_on).on_time == on_time


def test_never_below_zero(receive, tree):
    receive(vn(2026, 1, 5, 9))  # overdue, carried into March; nothing new
    counts = petition_counts([tree["c1"].pk], *MARCH, dt.date(2026, 3, 31))
    assert (counts.petitions, counts.first_received, counts.unsatisfactory, counts.satisfactory) == (
        1,
        0,
        1,
        0,
    )


def test_no_units_and_no_petitions(db, tree, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert petition_counts([], *MARCH, dt.date(2026, 3, 31)) == PetitionCounts(0, 0, 0, 0)
    assert petition_counts([tree["c1"].pk], *MARCH, dt.date(2026, 3, 31)) == PetitionCounts(0, 0, 0, 0)


def test_an_inverted_period_is_refused(db):
    with pytest.raises(ValueError):
        petition_counts([1], dt.date(2026, 3, 31), dt.date(2026, 3, 1), dt.date(2026, 3, 31))
