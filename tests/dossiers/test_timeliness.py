"""Early / on time / late and "overdue now", as tables of cases."""

import pytest

from apps.dossiers.timeliness import Timeliness, classify, is_overdue_now
from tests.helpers import vn

DUE = vn(2026, 2, 25, 16, 30)  # Wednesday


@pytest.mark.parametrize(
    ("ended_at", "due_at", "supplements", "expected"),
    [
        (vn(2026, 2, 24, 9, 0), DUE, 0, Timeliness.EARLY),  # Tue, a day before the due day
        (vn(2026, 2, 25, 8, 0), DUE, 0, Timeliness.ON_TIME),  # Wed morning, same day as due
        (vn(2026, 2, 25, 16, 30), DUE, 0, Timeliness.ON_TIME),  # exactly at the due instant
        (vn(2026, 2, 25, 16, 31), DUE, 0, Timeliness.LATE),  # a minute after
        (vn(2026, 3, 2, 9, 0), DUE, 0, Timeliness.LATE),  # next week
        (vn(2026, 2, 24, 9, 0), DUE, 2, Timeliness.LATE),  # early by dates, but a 2nd supplement request
        (vn(2026, 2, 24, 9, 0), DUE, 1, Timeliness.EARLY),  # one request is fine
        (vn(2026, 2, 24, 9, 0), None, 0, Timeliness.ON_TIME),  # no due and no legal time
    ],
)
def test_classify(ended_at, due_at, supplements, expected):
    assert classify(ended_at=ended_at, due_at=due_at, supplement_count=supplements) == expected


@pytest.mark.parametrize(
    ("net", "legal", "expected"),
    [(100, 480, Timeliness.ON_TIME), (480, 480, Timeliness.ON_TIME), (481, 480, Timeliness.LATE)],
)
def test_classify_without_due_date_uses_net_working_time(net, legal, expected):
    got = classify(
        ended_at=vn(2026, 2, 24, 9), due_at=None, net_working_minutes=net, legal_working_minutes=legal
    )
    assert got == expected


@pytest.mark.parametrize(
    ("now", "paused_since", "supplements", "expected"),
    [
        (vn(2026, 2, 25, 16, 0), None, 0, False),  # still in time
        (vn(2026, 2, 26, 8, 0), None, 0, True),  # past due, clock running
        (vn(2026, 3, 10, 8, 0), vn(2026, 2, 20, 9, 0), 1, False),  # paused before due: clock stopped
        (vn(2026, 3, 10, 8, 0), vn(2026, 2, 26, 9, 0), 1, True),  # paused after it was already late
        (vn(2026, 2, 20, 8, 0), None, 2, True),  # second request ⇒ overdue
    ],
)
def test_overdue_now(now, paused_since, supplements, expected):
    assert (
        is_overdue_now(now=now, due_at=DUE, paused_since=paused_since, supplement_count=supplements)
        is expected
    )
