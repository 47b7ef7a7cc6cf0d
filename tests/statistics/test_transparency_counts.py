"""The transparency counts of one authority for one period, from its publication register (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.statistics.catalogue_facts import Publication, transparency_counts

D = dt.date
MARCH = (D(2026, 3, 1), D(2026, 3, 31))


def weekdays(first: dt.date, last: dt.date) -> int:
    """Working days Monday–Friday from ``first`` to ``last``: enough calendar for these cases."""
    sign = 1 if last >= first else -1
    low, high = sorted((first, last))
    days = sum(1 for n in range((high - low).days) if (low + dt.timedelta(days=n)).weekday() < 5)
    return sign * days


def pub(pid: int, decided: dt.date, effective: dt.date, disclosed: dt.date | None = None, complete=True):
    return Publication(pid, decided, effective, disclosed, complete)


ALL = frozenset(range(1, 10))


def counts(publications, in_force=ALL) -> tuple[int, ...]:
    c = transparency_counts(
        publications,
        start=MARCH[0],
        end=MARCH[1],
        in_force=set(in_force),
        lead=5,
        delay=5,
        working_days=weekdays,
    )
    return (
        c["procedures_with_decision"],
        c["procedures_published_on_time"],
        c["procedures_to_disclose"],
        c["procedures_disclosed_on_time"],
        c["procedures_published"],
        c["procedures_content_full"],
    )


# (decided, published on time, to disclose, disclosed on time, published stock, content full)
CASES = [
    pytest.param([], (0, 0, 0, 0, 0, 0), id="nothing ever published: all 0 of 0"),
    pytest.param(
        [pub(1, D(2026, 1, 5), D(2026, 2, 1), D(2026, 1, 6))],
        (0, 0, 0, 0, 1, 1),
        id="a month without decisions: flows 0 of 0 (no data), the stock still counts",
    ),
    pytest.param(
        [pub(1, D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 6))],
        (1, 1, 1, 1, 1, 1),
        id="5 working days ahead and disclosed in 4: on time twice",
    ),
    pytest.param(
        [pub(1, D(2026, 3, 2), D(2026, 3, 6), D(2026, 3, 10))],
        (1, 0, 1, 0, 1, 1),
        id="4 working days ahead, disclosed after 6: late twice",
    ),
    pytest.param(
        [pub(1, D(2026, 3, 2), D(2026, 3, 30))],
        (1, 1, 1, 0, 1, 1),
        id="not disclosed yet: not on time",
    ),
    pytest.param(
        [
            pub(1, D(2026, 3, 2), D(2026, 3, 3), complete=False),
            pub(1, D(2026, 3, 20), D(2026, 4, 1), complete=True),
        ],
        (1, 1, 1, 0, 1, 1),
        id="published twice in the month: counted once, the later decision judged",
    ),
    pytest.param(
        [
            pub(1, D(2026, 2, 2), D(2026, 3, 1), complete=True),
            pub(1, D(2026, 4, 2), D(2026, 5, 1), complete=False),
        ],
        (0, 0, 0, 0, 1, 1),
        id="a decision after the period does not count yet",
    ),
    pytest.param(
        [pub(1, D(2026, 3, 2), D(2026, 4, 1), complete=False), pub(2, D(2025, 6, 2), D(2025, 7, 1))],
        (1, 1, 1, 0, 2, 1),
        id="content completeness is a stock over every published procedure",
    ),
]


@pytest.mark.parametrize(("publications", "expected"), CASES)
def test_transparency_counts(publications, expected):
    assert counts(publications) == expected


def test_procedures_no_longer_in_force_leave_the_stock_not_the_flow():
    publications = [pub(1, D(2026, 3, 2), D(2026, 3, 20)), pub(2, D(2025, 6, 2), D(2025, 7, 1))]
    assert counts(publications, in_force={3}) == (1, 1, 1, 0, 0, 0)
